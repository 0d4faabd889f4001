"""Execute one notebook with papermill in a kernel of its own (run inside a worker)."""

from __future__ import annotations

import re
import time
import traceback
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from .params import notebook_parameters  # noqa: F401  (re-exported for compatibility)

#: Run-time-varying metadata removed from the published notebook (timings go to the manifest).
_NB_PAPERMILL_DROP = (
    "start_time",
    "end_time",
    "duration",
    "input_path",
    "output_path",
    "environment_variables",
)
_CELL_PAPERMILL_DROP = ("start_time", "end_time", "duration")


@dataclass(frozen=True)
class NotebookJob:
    """One notebook to execute for one survey edition and report set, and where it goes."""

    source: Path
    output: Path
    year: int
    parameters: dict
    timeout: float
    facts: tuple = ()  # run facts shown under the report's title: (label, value) pairs
    show_code: bool = False
    pdf: bool = False  # also print each report page to PDF (runner/pdf.py)
    version: str = ""
    kernel_name: str = "python3"
    set_name: str = ""

    def to_json(self) -> dict:
        """The job as JSON-ready data (sent to a worker)."""
        d = asdict(self)
        d["source"], d["output"] = str(self.source), str(self.output)
        d["facts"] = [list(f) for f in self.facts]
        return d

    @classmethod
    def from_json(cls, d: dict) -> NotebookJob:
        """The job from `to_json`'s data."""
        return cls(
            **{
                **d,
                "source": Path(d["source"]),
                "output": Path(d["output"]),
                "facts": tuple(tuple(f) for f in d.get("facts", ())),
            }
        )


@dataclass
class NotebookResult:
    """Outcome of one notebook: status, timings, files read, and its published files."""

    name: str
    year: int
    status: str  # "ok", "failed" or "timeout"
    duration_s: float  # execution of the cells
    parameters: dict
    error: str = ""
    parameter_words: dict = field(default_factory=dict)  # name -> value, in words
    data_files: dict = field(default_factory=dict)  # file id -> sha256 (from the access log)
    stderr_outputs: int = 0
    kernel: str = ""  # how its kernel was started: "fork" or "spawn" (always a new kernel)
    slowest_cells: list = field(default_factory=list)  # [(cell index, seconds)]
    title: str = ""
    timings: dict = field(default_factory=dict)  # kernel_wait, execution, finalise, export (s)
    memory_mb: dict = field(default_factory=dict)  # kernel peak RSS, worker RSS
    outputs: dict = field(default_factory=dict)  # file name -> sha256
    cached: bool = False  # reused from an earlier run with the same inputs
    executed_at: str = ""  # UTC time the notebook was executed (for a cached one: back then)
    cache_key: str = ""
    set_name: str = ""
    git_commit: str = ""  # commit label of the run that executed it
    kept: bool = False  # not part of this run: kept in the set from an earlier run

    def to_json(self) -> dict:
        """The result as JSON-ready data (sent back to the parent)."""
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> NotebookResult:
        """The result from `to_json`'s data (unknown keys ignored)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


def execute_notebook(job: NotebookJob, kernel: dict) -> NotebookResult:
    """Execute ``job.source`` with papermill into ``job.output``; never raises on a cell error.

    ``kernel`` is a kernel handed out by the kernel server (`kernels.KernelServer`): a new
    kernel, used by this notebook only. The executed copy (with the traceback, if any) is always
    written. A time limit (``job.timeout`` seconds for all cells together) interrupts a runaway
    notebook; its cell then shows a ``NotebookTimeout`` error.
    """
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from .pm_engine import ENGINE_NAME, register
    from .served import ServedKernelManager

    register()
    started = time.monotonic()
    info: dict = {"requested": kernel.get("requested", started)}
    status, error = "ok", ""
    km = ServedKernelManager(kernel, kernel_name=job.kernel_name)
    try:
        pm.execute_notebook(
            str(job.source),
            str(job.output),
            parameters=job.parameters,
            engine_name=ENGINE_NAME,
            kernel_name=job.kernel_name,
            progress_bar=False,
            cwd=str(job.source.parent),
            request_save_on_cell_execute=False,  # saved once at the end (and on an error)
            km=km,
            egov_timeout=job.timeout,
            egov_info=info,
        )
    except PapermillExecutionError as exc:
        status = "timeout" if info.get("timed_out") else "failed"
        error = f"{exc.ename}: {exc.evalue}".strip()
        if status == "timeout":
            error = (
                f"stopped after the {job.timeout:g} s time limit (--timeout) "
                f"in cell {exc.cell_index}"
            )
    except Exception as exc:  # kernel died, could not start, ...: still leave a notebook behind
        status = "failed"
        error = f"{type(exc).__name__}: {exc}"
        if not job.output.exists():
            nb = nbformat.read(job.source, as_version=4)
            nb.cells.insert(
                0,
                nbformat.v4.new_markdown_cell(
                    f"**This notebook could not be executed:** `{error}`\n\n```\n"
                    f"{traceback.format_exc()}\n```"
                ),
            )
            nbformat.write(nb, job.output)
    ended = time.monotonic()
    cells_started = info.get("cells_started", ended)
    return NotebookResult(
        name=job.source.stem,
        year=job.year,
        status=status,
        duration_s=round(ended - cells_started, 2),
        parameters=job.parameters,
        error=error,
        kernel=kernel.get("mode", ""),
        timings={
            "kernel_wait": round(cells_started - info["requested"], 3),
            "execution": round(ended - cells_started, 3),
        },
        set_name=job.set_name,
    )


#: Outputs of this MIME family hand data over to a module that writes pages from it (the
#: brief: ``application/vnd.egovlib.brief+json``, `egovlib.brief.write_brief_pages`).
HANDOVER_MIME_PREFIX = "application/vnd.egovlib."


def hands_data_over(path: Path) -> bool:
    """Whether an executed notebook carries data for `egovlib.brief` (see HANDOVER_MIME_PREFIX).

    Lets a worker skip importing the brief's module for every other notebook.
    """
    import json

    nb = json.loads(Path(path).read_bytes())
    return any(
        key.startswith(HANDOVER_MIME_PREFIX)
        for cell in nb.get("cells", [])
        for out in cell.get("outputs", [])
        for key in out.get("data", {})
    )


def finalise_notebook(path: Path) -> tuple[int, list[tuple[int, float]], str]:
    """Strip run-time-varying metadata (two runs give identical notebooks); count stderr outputs.

    Removed: papermill's timings and paths, nbclient's timings. Made stable: the id of the
    injected-parameters cell, the random ids pandas' Styler gives each table (``T_1a2b3``) and
    memory addresses in object reprs (``<... at 0x7f...>``). Returns the number of stderr
    outputs, the three slowest cells ``(index, seconds)`` and the report title.
    """
    import nbformat

    from .html import notebook_title

    nb = nbformat.read(path, as_version=4)
    pm_meta = nb.metadata.get("papermill", {})
    for key in _NB_PAPERMILL_DROP:
        pm_meta.pop(key, None)
    stderr = 0
    durations = []
    for i, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)
        durations.append((i, round(cell.metadata.get("papermill", {}).get("duration") or 0, 2)))
        for key in _CELL_PAPERMILL_DROP:
            cell.metadata.get("papermill", {}).pop(key, None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"
        for j, out in enumerate(cell.get("outputs", [])):
            stderr += out.get("output_type") == "stream" and out.get("name") == "stderr"
            html = out.get("data", {}).get("text/html")
            if html:
                text = "".join(html) if isinstance(html, list) else html
                for k, uid in enumerate(dict.fromkeys(_STYLER_ID.findall(text))):
                    text = re.sub(rf"\bT_{uid}(?=[_\s\"{{.,:)])", f"T_c{i}o{j}t{k}", text)
                out["data"]["text/html"] = text
            plain = out.get("data", {}).get("text/plain")
            if plain:  # `<Styler at 0x7f...>`: the address changes on every run
                text = "".join(plain) if isinstance(plain, list) else plain
                out["data"]["text/plain"] = _ADDRESS.sub(" at 0x…>", text)
    nbformat.write(nb, path)
    return stderr, sorted(durations, key=lambda d: -d[1])[:3], notebook_title(nb)


# Older name, used by benchmarks/bench_runner.py before 0.2.
def _finalise_notebook(path: Path) -> tuple[int, list[tuple[int, float]]]:
    stderr, slowest, _ = finalise_notebook(path)
    return stderr, slowest


#: Random table ids of pandas' Styler: ``<table id="T_1a2b3">`` and ``#T_1a2b3`` in its CSS.
_STYLER_ID = re.compile(r'(?:id="|#)T_([0-9a-f]{5})\b')
_ADDRESS = re.compile(r" at 0x[0-9a-f]{6,16}>")
