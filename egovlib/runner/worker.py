"""A worker of `egov run`: one notebook at a time, in a new kernel, then its report.

It takes notebooks from the parent, runs each in a new kernel from the kernel server, renders
its report and answers with the result (one JSON line per notebook).

Started by `egovlib.runner.pool` as ``python -m egovlib.runner.worker``; it imports papermill
and nbconvert once and dies with its parent (`kernels.die_with_parent`).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

from ..sources import read_access_log, sha256_of
from . import kernels
from .execute import (
    NotebookJob,
    NotebookResult,
    execute_notebook,
    finalise_notebook,
    hands_data_over,
)
from .params import parameter_words, parameters_in_words

#: Scheduling priority of the workers, below the kernel server and its kernels (niceness 0):
#: at the start of a run every notebook waits for the server's warm-up, and the workers' own
#: imports (papermill, nbconvert) took CPU from it on a 2-CPU machine (warm-up 5.9 -> 4.7 s,
#: one edition 29.2 -> 26.7 s, means of three runs). A worker mostly waits for its kernel.
WORKER_NICENESS = 5

#: The thread that loads the report template at the worker's start (joined before an export).
_WARM_UP: threading.Thread | None = None


def _warm_up_export(modules: list[str]) -> None:
    """Load the report template, then import ``modules``.

    ``modules``: those of the brief's pages if the batch has a brief (a worker's first brief
    export spent ~1.8 s importing them otherwise, after the notebook instead of before).
    """
    import importlib

    with contextlib.suppress(Exception):  # only a warm-up: the real export reports any error
        from .html import warm_up

        warm_up()
        for module in modules:
            importlib.import_module(module)


def run_job(job: NotebookJob, sock: str) -> NotebookResult:
    """Get a new kernel, execute the notebook, release the kernel, render the report."""
    requested = time.monotonic()
    kernel = _get_kernel(sock)
    kernel["requested"] = requested
    try:
        result = execute_notebook(job, kernel)
        result.memory_mb = {"kernel_peak": kernels.rss_mb(kernel["pid"], "VmHWM")}
        # CPU the kernel used (after the fork): what the notebook costs, whatever else runs.
        result.timings["kernel_cpu"] = kernels.cpu_seconds(kernel["pid"])
        result.data_files = read_access_log(kernel["access_log"])
    finally:  # the server kills the kernel and removes its folder (and its access log)
        with contextlib.suppress(OSError, ValueError):
            kernels.request(sock, "release", pid=kernel["pid"])
    if _WARM_UP is not None:
        _WARM_UP.join()
    t0, cpu0 = time.monotonic(), time.process_time()
    result.stderr_outputs, result.slowest_cells, result.title = finalise_notebook(job.output)
    t1 = time.monotonic()
    result.parameter_words = parameter_words(job.parameters)  # for the index pages
    facts = [
        *job.facts,
        ("Parameters", parameters_in_words(job.parameters, result.parameter_words) or "defaults"),
        ("Run time", f"{result.duration_s:.1f} s"),
    ]
    html = job.output.with_suffix(".html")
    try:
        # The brief (00) hands its findings over in its output: its pages in every language
        # and its data are written from them (egovlib.brief); other notebooks get the report.
        from .html import export_html

        pages: list[Path] = []
        if hands_data_over(job.output):
            from ..brief import write_brief_pages

            pages = write_brief_pages(job.output, facts=facts, version=job.version)
        if html not in pages:
            export_html(
                job.output,
                html,
                facts=facts,
                year=job.year,
                status=result.status,
                error=result.error,
                show_code=job.show_code,
                version=job.version,
                pdf=job.pdf,
            )
            pages = [html]
        if job.pdf:  # a PDF of every page (the brief has one per language)
            from .pdf import write_pdf

            for page in (p for p in pages if p.suffix == ".html"):
                write_pdf(page, page.with_suffix(".pdf"))
    except Exception as exc:  # a broken report is a failed notebook, not a crashed batch
        result.status = "failed"
        result.error = f"report export failed: {type(exc).__name__}: {exc}"
    t2 = time.monotonic()
    result.timings.update(
        finalise=round(t1 - t0, 3),
        export=round(t2 - t1, 3),
        export_cpu=round(time.process_time() - cpu0, 2),
    )
    result.outputs = notebook_files(job.output)
    result.memory_mb["worker_peak"] = kernels.rss_mb(os.getpid(), "VmHWM")
    return result


def notebook_files(executed: Path) -> dict[str, str]:
    """Every file published for one notebook, with its sha256.

    ``<stem>.ipynb``, ``.html``, ``.xlsx``, ``.pdf``, the brief's ``.ar.html`` and ``.json``.
    """
    prefix = executed.stem + "."
    return {
        p.name: sha256_of(p)
        for p in sorted(executed.parent.iterdir())
        if p.name.startswith(prefix) and p.is_file()
    }


def _get_kernel(sock: str, wait_s: float = 120) -> dict:
    """A kernel from the server; the server may still be warming up when the first jobs come."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            rec = kernels.request(sock, "kernel")
        except (FileNotFoundError, ConnectionRefusedError):
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the kernel server did not start within {wait_s:.0f} s"
                ) from None
            time.sleep(0.05)
            continue
        if "pid" not in rec:
            raise RuntimeError(f"the kernel server could not start a kernel: {rec}")
        return rec


def main(argv: list[str] | None = None) -> int:
    """``python -m egovlib.runner.worker JSON`` (started by the runner only).

    The JSON holds ``parent`` (pid of `egov run`) and ``socket`` (the kernel server's); jobs
    come on stdin, results go to stdout.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    cfg = json.loads(argv[0])
    kernels.die_with_parent(int(cfg["parent"]), signal.SIGKILL)
    kernels.name_process("egov-worker")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is handled by `egov run` alone
    # Answers go to the original stdout; anything a library prints goes to the log (stderr).
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    with contextlib.suppress(OSError, AttributeError):  # (no os.nice on Windows)
        os.nice(WORKER_NICENESS)
    kernels.skip_slow_optional_imports()
    import logging

    import nbconvert  # noqa: F401  (imported once per worker, not once per notebook)
    import papermill  # noqa: F401

    logging.getLogger("papermill").setLevel(logging.ERROR)
    logging.getLogger("traitlets").setLevel(logging.ERROR)
    global _WARM_UP
    _WARM_UP = threading.Thread(
        target=_warm_up_export,
        args=(cfg.get("export_imports", []),),
        name="egov-warm-up",
        daemon=True,
    )
    _WARM_UP.start()  # while the kernel server is still warming up the first kernels
    for line in sys.stdin:
        if not line.strip():
            continue
        job = NotebookJob.from_json(json.loads(line))
        try:
            result = run_job(job, cfg["socket"])
        except Exception as exc:  # noqa: BLE001 - report it as this notebook's failure
            result = NotebookResult(
                job.source.stem,
                job.year,
                "failed",
                0.0,
                job.parameters,
                f"{type(exc).__name__}: {exc}",
                set_name=job.set_name,
            )
        answers.write(json.dumps(result.to_json(), default=str) + "\n")
        answers.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
