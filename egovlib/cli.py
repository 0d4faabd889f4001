"""The `egov` command: data status and verification, batch runs of the notebooks."""

from __future__ import annotations

import argparse
import contextlib
import sys

from .errors import EgovError


def data_status(verify: bool = False) -> int:
    """Print, per catalogued file, where it was found, checksum, years, rows and countries.

    With ``verify`` the command parses and checks every raw file afresh (never from a cache)
    and exits non-zero on any problem.
    """
    from .readers import fresh_tables

    with fresh_tables() if verify else contextlib.nullcontext():
        return _data_status(verify)


def _data_status(verify: bool) -> int:
    from . import sources
    from .readers import load_all

    try:
        root = sources.data_root()
    except EgovError as exc:
        print(f"ERROR {exc}", file=sys.stderr)
        return 2
    print(f"Data root: {root}")
    problems = 0
    tables = load_all()
    header = f"{'file':28} {'checksum':9} {'years':11} {'reader':22} {'rows':>6} {'countries':>9}"
    print(header)
    print("-" * len(header))
    for src in sources.load_catalogue().values():
        try:
            path = sources.file_path(src, root)
            ok = sources.sha256_of(path) == src.sha256
            status = "OK" if ok else "MISMATCH"
        except EgovError:
            status = "MISSING"
        except OSError:  # present but unreadable; the reader's error below says how to fix it
            status = "UNREADABLE"
        rows = countries = ""
        table = tables.get(src.reader) if src.reader else None
        if src.reader and src.reader not in tables:
            status = "NO READER"
        if src.role == "crosscheck":
            rows = "(cross-check)"
        elif isinstance(table, Exception):
            rows, countries = "error", ""
        elif table is not None and "source" in table.columns:  # rows of this file only
            part = table[table["source"] == src.id]
            rows, countries = str(len(part)), str(part["iso3"].nunique())
        elif table is not None:
            rows, countries = str(len(table)), str(table["iso3"].nunique())
        reader = src.reader or "(not read)"
        if src.role != "primary":
            reader += f" [{src.role}]"
        print(f"{src.id:28} {status:9} {src.year_span:11} {reader:22} {rows:>6} {countries:>9}")
        problems += status != "OK"
    for name, table in tables.items():
        if isinstance(table, Exception):
            problems += 1
            print(f"\nERROR in reader `{name}`: {table}", file=sys.stderr)
    if verify:
        from .readers.un_egov import crosscheck_editions

        if not any(isinstance(t, Exception) for t in tables.values()):
            cc = crosscheck_editions(tables["egdi"])
            print("\nCross-checks of duplicate EGDI copies:")
            print(cc.to_string(index=False))
            bad = cc[(cc["max_abs_diff"] > 1e-9) | (cc["rank_mismatches"] > 0)]
            problems += len(bad)
        print(f"\n{'OK' if problems == 0 else f'{problems} problem(s) found'}")
        return 1 if problems else 0
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `egov` (subcommands: data, run)."""
    parser = argparse.ArgumentParser(prog="egov", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    data = sub.add_parser("data", help="inspect and verify the raw data")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    data_sub.add_parser("status", help="each source: found where, checksum, years, rows, countries")
    data_sub.add_parser(
        "verify", help="parse and validate everything; non-zero exit on any problem"
    )
    data_sub.add_parser("statement", help="print the data availability statement (data/README.md)")
    export = data_sub.add_parser(
        "export",
        help="write the cleaned ISO3 panel 2003-2024 (flags, sources) and covariates as CSV and "
        "parquet",
    )
    export.add_argument("--out", default=None, help="folder (default: outputs/data)")
    export.add_argument(
        "--format", choices=["csv", "parquet", "both"], default="both", help="default: both"
    )
    try:
        from .runner import add_run_parser
    except ImportError:  # runner not installed in this build
        pass
    else:
        add_run_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `egov` command."""
    args = build_parser().parse_args(argv)
    from .config import absolute_env_paths

    absolute_env_paths()  # a relative $EGOV_DATA_DIR means the caller's folder, also in kernels
    try:
        if args.command == "data" and args.data_command == "statement":
            from .sources import availability_statement

            print(availability_statement(), end="")
            return 0
        if args.command == "data" and args.data_command == "export":
            from .export import FORMATS, export_data

            fmts = FORMATS if args.format == "both" else (args.format,)
            for path in export_data(args.out, fmts):
                print(path)
            return 0
        if args.command == "data":
            return data_status(verify=args.data_command == "verify")
        return args.func(args)
    except EgovError as exc:
        print(f"ERROR {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
