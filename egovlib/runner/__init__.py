"""Batch runner: `egov run` executes the notebooks per survey edition and publishes HTML reports.

No command-line parsing here (that is `egovlib.cli`): `run` takes a `RunOptions`. See
docs/runner.md for usage, the output layout, the safety model and the speed measures.
"""

from __future__ import annotations

from .batch import (
    DEFAULT_TIMEOUT,
    BatchReport,
    RunOptions,
    YearRun,
    discover_notebooks,
    profile_table,
    resolve_years,
    results_table,
    run_batch,
    select_notebooks,
)
from .execute import NotebookJob, NotebookResult
from .params import load_params, load_schema, notebook_info, notebook_parameters, plan_parameters

__all__ = [
    "DEFAULT_TIMEOUT",
    "BatchReport",
    "NotebookJob",
    "NotebookResult",
    "RunOptions",
    "YearRun",
    "discover_notebooks",
    "load_params",
    "load_schema",
    "notebook_info",
    "notebook_parameters",
    "plan_parameters",
    "profile_table",
    "resolve_years",
    "results_table",
    "run",
    "run_batch",
    "select_notebooks",
]


def run(options: RunOptions) -> int:
    """Body of `egov run`: print the results; 0 when every notebook succeeded, 1 otherwise.

    Raises `egovlib.errors.EgovError` for anything the user must fix before a run can start
    (the command line prints it as one ``ERROR`` line and exits 2).
    """
    report = run_batch(options)
    print(results_table(report.runs))
    if options.profile:
        print(profile_table(report))
    return 0 if all(r.ok for r in report.runs) else 1
