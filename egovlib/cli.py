"""The `egov` command: data status and verification, batch runs of the notebooks.

All command-line parsing lives here; `egovlib.runner` takes a `RunOptions` and never imports
this module (no import cycle).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import shlex
import sys
from pathlib import Path

from .errors import EgovError
from .runner.batch import DEFAULT_TIMEOUT


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
        status = _file_status(src, root)
        if src.reader and src.reader not in tables:
            status = "NO READER"
        rows, countries = _file_counts(src, tables)
        reader = src.reader or "(not read)"
        if src.role != "primary":
            reader += f" [{src.role}]"
        print(f"{src.id:28} {status:9} {src.year_span:11} {reader:22} {rows:>6} {countries:>9}")
        problems += status != "OK"
    for name, table in tables.items():
        if isinstance(table, Exception):
            problems += 1
            print(f"\nERROR in reader `{name}`: {table}", file=sys.stderr)
    if not verify:
        return 0
    problems += _crosscheck_problems(tables)
    print(f"\n{'OK' if problems == 0 else f'{problems} problem(s) found'}")
    return 1 if problems else 0


def _file_status(src, root: Path) -> str:
    """``OK``, ``MISMATCH`` (checksum), ``MISSING`` or ``UNREADABLE`` for one catalogued file."""
    from . import sources

    try:
        path = sources.file_path(src, root)
        return "OK" if sources.sha256_of(path) == src.sha256 else "MISMATCH"
    except EgovError:
        return "MISSING"
    except OSError:  # present but unreadable; the reader's error says how to fix it
        return "UNREADABLE"


def _file_counts(src, tables: dict) -> tuple[str, str]:
    """Rows and countries of one file in its reader's table (as text for the status table)."""
    table = tables.get(src.reader) if src.reader else None
    if src.role == "crosscheck":
        return "(cross-check)", ""
    if isinstance(table, Exception):
        return "error", ""
    if table is None:
        return "", ""
    if "source" in table.columns:  # rows of this file only
        table = table[table["source"] == src.id]
    return str(len(table)), str(table["iso3"].nunique())


def _crosscheck_problems(tables: dict) -> int:
    """Print the cross-checks of duplicate EGDI copies; the number of copies that disagree."""
    if any(isinstance(t, Exception) for t in tables.values()):
        return 0
    from .readers.un_egov import crosscheck_editions

    cc = crosscheck_editions(tables["egdi"])
    print("\nCross-checks of duplicate EGDI copies:")
    print(cc.to_string(index=False))
    return len(cc[(cc["max_abs_diff"] > 1e-9) | (cc["rank_mismatches"] > 0)])


def _timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a positive, finite number of seconds")
    return value


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: at least 1")
    return value


def add_run_parser(sub) -> argparse.ArgumentParser:
    """Add the ``run`` subcommand to the `egov` parser (``sub`` from ``add_subparsers``)."""
    p = sub.add_parser(
        "run",
        help="execute the notebooks for a survey year and publish HTML reports",
        description="Execute every notebook in notebooks/ (NN_*.ipynb) with papermill for a "
        "survey edition, each in a new kernel, and publish outputs/<year>/: executed "
        "notebooks, HTML reports, index.html and manifest.json. Notebooks whose inputs did not "
        "change since the published run are reused, not executed (--force reruns them). A run "
        "with a failed notebook is kept in outputs/<year>.failed-<time>-<id>/ and the last "
        "good set stays published. See docs/runner.md.",
    )
    years = p.add_mutually_exclusive_group()
    years.add_argument("--year", type=int, help="survey edition (default: latest in the data)")
    years.add_argument("--all-years", action="store_true", help="every edition in the data")
    p.add_argument(
        "--notebooks",
        nargs="+",
        metavar="NB",
        help="subset by number or name, e.g. `01 04` or `01_data_overview`; the other "
        "notebooks of a published set stay as they are",
    )
    p.add_argument(
        "--params",
        type=Path,
        metavar="FILE.yml",
        help="YAML parameters (checked against notebooks/parameter_schema.yml); the reports go "
        "to their own set, outputs/<year>/<file name>/",
    )
    p.add_argument(
        "--name",
        help="name of the report set (default: the --params file name; none: the default set)",
    )
    p.add_argument(
        "--jobs",
        "-j",
        type=_jobs,
        default=None,
        help="notebooks executed in parallel (default: the CPUs, capped by the memory a "
        "notebook needs on this machine)",
    )
    p.add_argument("--out", type=Path, default=None, help="output folder (default: outputs/)")
    p.add_argument("--show-code", action="store_true", help="include code cells in the reports")
    p.add_argument(
        "--timeout",
        type=_timeout,
        default=DEFAULT_TIMEOUT,
        help=f"time limit per notebook in seconds (default {DEFAULT_TIMEOUT})",
    )
    p.add_argument("--force", action="store_true", help="execute every notebook, even if unchanged")
    p.add_argument(
        "--profile",
        action="store_true",
        help="print where the time went: per notebook kernel wait, execution, export, publish",
    )
    p.add_argument(
        "--pdf",
        action="store_true",
        help="also write a PDF (A4) of each report, printed by headless Chromium",
    )
    p.add_argument(
        "--wait",
        action="store_true",
        help="if another run is writing to the output folder, wait for it instead of stopping",
    )
    p.add_argument(
        "--kernels",
        choices=("fork", "spawn"),
        default="fork",
        help="how new kernels are started ahead: fork a pre-warmed server (default, Linux) or "
        "spawn fresh processes (slower; used automatically where fork is unsafe)",
    )
    p.add_argument("--notebooks-dir", type=Path, default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=_run_command)
    return p


def _run_command(args: argparse.Namespace, argv: list[str]) -> int:
    from .runner import RunOptions, run

    options = RunOptions(
        year=args.year,
        all_years=args.all_years,
        notebooks=args.notebooks,
        params=args.params,
        name=args.name,
        jobs=args.jobs,
        out=args.out,
        show_code=args.show_code,
        timeout=args.timeout,
        force=args.force,
        profile=args.profile,
        wait=args.wait,
        kernels=args.kernels,
        pdf=args.pdf,
        notebooks_dir=args.notebooks_dir,
        command=shlex.join(["egov", *argv]),
        argv=tuple(argv),
        cwd=os.getcwd(),
    )
    return run(options)


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error printed as one ``ERROR`` line (exit status 2)."""

    def error(self, message: str):
        self.exit(2, f"ERROR {self.prog}: {message}. Fix: see `{self.prog} --help`\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `egov` (subcommands: data, run)."""
    parser = _Parser(prog="egov", description=__doc__.splitlines()[0])
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
    add_run_parser(sub)
    return parser


def one_line(exc: BaseException) -> str:
    """An error message on one line (a DataError's ``Fix:`` line joined to its problem)."""
    return " ".join(part.strip() for part in str(exc).splitlines() if part.strip())


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `egov` command.

    Exit status: 0 success; 1 a notebook failed or data verification found problems; 2 a
    usage, parameter, data or output-folder error (one ``ERROR`` line naming the file and the
    fix); 130 interrupted by Ctrl-C; 143 stopped by SIGTERM.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
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
        return args.func(args, argv)
    except EgovError as exc:
        print(f"ERROR {one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("egov: interrupted; nothing was published", file=sys.stderr)
        return 130
    except BaseException as exc:
        from .runner.pool import Interrupted

        if isinstance(exc, Interrupted):
            import signal

            what = "interrupted (Ctrl-C)" if exc.signum == signal.SIGINT else "stopped (SIGTERM)"
            print(
                f"egov run: {what}; every worker and kernel was stopped and nothing was "
                "published (the last good reports are unchanged)",
                file=sys.stderr,
            )
            return 128 + exc.signum
        raise


if __name__ == "__main__":
    sys.exit(main())
