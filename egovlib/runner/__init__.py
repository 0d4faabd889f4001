"""Batch runner: `egov run` executes the notebooks per survey year and publishes HTML reports.

See docs/runner.md for usage, the output layout and the safety model.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .batch import (
    DEFAULT_TIMEOUT,
    YearRun,
    discover_notebooks,
    load_params,
    plan_parameters,
    resolve_years,
    results_table,
    run_batch,
    select_notebooks,
)
from .execute import NotebookJob, NotebookResult, execute_notebook, notebook_parameters

__all__ = [
    "DEFAULT_TIMEOUT",
    "NotebookJob",
    "NotebookResult",
    "YearRun",
    "add_run_parser",
    "discover_notebooks",
    "execute_notebook",
    "load_params",
    "notebook_parameters",
    "plan_parameters",
    "resolve_years",
    "results_table",
    "run",
    "run_batch",
    "select_notebooks",
]


def add_run_parser(sub) -> argparse.ArgumentParser:
    """Add the ``run`` subcommand to the `egov` parser (``sub`` from ``add_subparsers``)."""
    p = sub.add_parser(
        "run",
        help="execute the notebooks for a survey year and publish HTML reports",
        description="Execute every notebook in notebooks/ (NN_*.ipynb) with papermill for a "
        "survey edition and publish outputs/<year>/: executed notebooks, HTML "
        "reports, index.html and manifest.json. A run with a failed notebook is "
        "kept in outputs/<year>.failed-<time>/ and the last good set stays published.",
    )
    years = p.add_mutually_exclusive_group()
    years.add_argument("--year", type=int, help="survey edition (default: latest in the data)")
    years.add_argument("--all-years", action="store_true", help="every edition in the data")
    p.add_argument(
        "--notebooks",
        nargs="+",
        metavar="NB",
        help="subset by number or name, e.g. `01 04` or `01_data_overview`",
    )
    p.add_argument(
        "--params",
        metavar="FILE.yml",
        help="YAML parameters (lists/dicts allowed), e.g. notebooks/params/gcc.yml",
    )
    p.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=None,
        help="notebooks executed in parallel (default: number of CPUs)",
    )
    p.add_argument("--out", type=Path, default=None, help="output folder (default: outputs/)")
    p.add_argument("--show-code", action="store_true", help="include code cells in the reports")
    p.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"time limit per notebook in seconds (default {DEFAULT_TIMEOUT})",
    )
    p.add_argument(
        "--isolate",
        action="store_true",
        help="start a new kernel for every notebook (default: a worker reuses its "
        "kernel after a success, with the namespace and settings reset)",
    )
    p.add_argument(
        "--pdf",
        action="store_true",
        help="also write a PDF (A4) of each report, printed by headless Chromium",
    )
    p.add_argument("--notebooks-dir", type=Path, default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Body of `egov run`: returns 0 when every notebook succeeded, 1 otherwise."""
    from ..errors import EgovError
    from .batch import skip_slow_optional_imports

    skip_slow_optional_imports()
    if args.jobs is not None and args.jobs < 1:
        raise EgovError("--jobs must be at least 1")
    if args.timeout <= 0:
        raise EgovError("--timeout must be a positive number of seconds")
    if args.pdf:  # fail before any notebook runs, not after the batch
        from .pdf import find_chromium

        find_chromium()
    available = discover_notebooks(args.notebooks_dir)
    notebooks = select_notebooks(available, args.notebooks)
    years = resolve_years(args.year, args.all_years)
    common, per_notebook = load_params(args.params)
    params = plan_parameters(
        notebooks, common, per_notebook, args.params or "--params", available=available
    )
    runs: list[YearRun] = run_batch(
        years=years,
        notebooks=notebooks,
        params=params,
        out=args.out,
        jobs=args.jobs,
        timeout=args.timeout,
        show_code=args.show_code,
        params_file=args.params,
        isolate=args.isolate,
        pdf=args.pdf,
    )
    print(results_table(runs))
    return 0 if all(r.ok for r in runs) else 1


def main(argv: list[str] | None = None) -> int:
    """``python -m egovlib.runner`` (same as ``egov run``)."""
    from ..cli import main as cli_main

    return cli_main(["run", *(argv if argv is not None else sys.argv[1:])])
