"""Execute one notebook with papermill in a fresh kernel (run inside a worker process)."""

from __future__ import annotations

import ast
import copy
import os
import re
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

#: Kernel-side code run before the first cell, not stored in the notebook: records which
#: catalogued files the notebook reads (every raw file goes through `verified_path`).
_PROLOGUE = """
def _egov_track():
    import egovlib.readers as _r
    import egovlib.sources as _s
    used = set()
    def wrap(fn):
        def tracked(source, root=None):
            path = fn(source, root)
            used.add(source if isinstance(source, str) else source.id)
            return path
        tracked._egov_orig = fn
        return tracked
    _r.verified_path = wrap(_r.verified_path)
    _s.verified_path = wrap(_s.verified_path)
    return used
_egov_used_files = _egov_track()
del _egov_track
"""
_EPILOGUE_EXPR = "sorted(_egov_used_files)"

#: Run-time-varying metadata removed from the published notebook (timings go to the manifest).
_NB_PAPERMILL_DROP = ("start_time", "end_time", "duration", "input_path", "output_path",
                      "environment_variables")
_CELL_PAPERMILL_DROP = ("start_time", "end_time", "duration")


@dataclass(frozen=True)
class NotebookJob:
    """One notebook to execute for one survey year."""

    source: Path
    output: Path
    year: int
    parameters: dict
    timeout: float
    kernel_name: str = "python3"
    cwd: Path | None = None


@dataclass
class NotebookResult:
    """Outcome of one executed notebook."""

    name: str
    year: int
    status: str  # "ok", "failed" or "timeout"
    duration_s: float
    parameters: dict
    error: str = ""
    data_files: list[str] = field(default_factory=list)
    stderr_outputs: int = 0


def execute_notebook(job: NotebookJob) -> NotebookResult:
    """Execute ``job.source`` with papermill into ``job.output``; never raises on a cell error.

    The executed copy (with the traceback, if any) is always written. The kernel talks to this
    process over Unix sockets (ipc transport), so parallel workers never compete for TCP ports.
    A per-notebook time limit (``job.timeout`` seconds for all its cells together) interrupts a
    runaway notebook; its cell then shows a ``NotebookTimeout`` error.
    """
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    _register_engine()
    os.environ.setdefault("PYTHONHASHSEED", "0")  # kernels inherit it: stable set/dict order
    started = time.monotonic()
    name = job.source.stem
    info: dict = {}
    status, error = "ok", ""
    try:
        pm.execute_notebook(
            str(job.source), str(job.output), parameters=job.parameters,
            engine_name=ENGINE_NAME, kernel_name=job.kernel_name, progress_bar=False,
            cwd=str(job.cwd or job.source.parent), request_save_on_cell_execute=True,
            egov_timeout=job.timeout, egov_info=info, record_timing=False,
        )
    except PapermillExecutionError as exc:
        status = "timeout" if info.get("timed_out") else "failed"
        error = f"{exc.ename}: {exc.evalue}".strip()
        if status == "timeout":
            error = (f"stopped after the {job.timeout:g} s time limit (--timeout) "
                     f"in cell {exc.cell_index}")
    except Exception as exc:  # kernel died, could not start, ...: still leave a notebook behind
        status = "failed"
        error = f"{type(exc).__name__}: {exc}"
        if not job.output.exists():
            nb = nbformat.read(job.source, as_version=4)
            nb.cells.insert(0, nbformat.v4.new_markdown_cell(
                f"**This notebook could not be executed:** `{error}`\n\n```\n"
                f"{traceback.format_exc()}\n```"))
            nbformat.write(nb, job.output)
    duration = time.monotonic() - started
    stderr_count = _finalise_notebook(job.output)
    return NotebookResult(name=name, year=job.year, status=status, duration_s=round(duration, 2),
                          parameters=job.parameters, error=error,
                          data_files=info.get("used_files", []), stderr_outputs=stderr_count)


def _finalise_notebook(path: Path) -> int:
    """Strip run-time-varying metadata (two runs give identical notebooks); count stderr outputs.

    Removed: papermill's timings and paths, nbclient's timings. Made stable: the id of the
    injected-parameters cell, the random ids pandas' Styler gives each table (``T_1a2b3``) and
    memory addresses in object reprs (``<... at 0x7f...>``).
    """
    import nbformat

    nb = nbformat.read(path, as_version=4)
    pm_meta = nb.metadata.get("papermill", {})
    for key in _NB_PAPERMILL_DROP:
        pm_meta.pop(key, None)
    stderr = 0
    for i, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)
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
    return stderr


#: Random table ids of pandas' Styler: ``<table id="T_1a2b3">`` and ``#T_1a2b3`` in its CSS.
_STYLER_ID = re.compile(r'(?:id="|#)T_([0-9a-f]{5})\b')
_ADDRESS = re.compile(r" at 0x[0-9a-f]{6,16}>")


# ------------------------------------------------------------------ papermill engine
ENGINE_NAME = "egov"
_REGISTERED = False


def _register_engine() -> None:
    """Register the `egov` papermill engine (nbclient + deadline + ipc + data-file tracking)."""
    global _REGISTERED
    if _REGISTERED:
        return
    import nbformat
    from nbclient.exceptions import CellExecutionError
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    class EgovNotebookClient(PapermillNotebookClient):
        """Papermill's client plus: hidden prologue/epilogue, whole-notebook deadline, ipc."""

        def __init__(self, nb_man, *, egov_timeout, egov_info, **kw):
            self._limit, self._info = egov_timeout, egov_info
            self._deadline = time.monotonic() + egov_timeout
            kw.pop("timeout", None)
            super().__init__(nb_man, timeout_func=self._remaining, interrupt_on_timeout=True,
                             error_on_timeout={
                                 "ename": "NotebookTimeout",
                                 "evalue": "the notebook exceeded its time limit "
                                           "(egov run --timeout)",
                                 "traceback": []},
                             **kw)

        def _remaining(self, cell=None):
            return max(1, int(self._deadline - time.monotonic()))

        def create_kernel_manager(self):
            km = super().create_kernel_manager()
            # Unix-domain sockets in a private folder: no TCP port races between workers.
            km.transport = "ipc"
            km.ip = os.path.join(tempfile.mkdtemp(prefix="egov-k-"), "k")
            return km

        def _silent(self, code: str, expr: str | None = None):
            msg_id = self.kc.execute(code, silent=True, store_history=False,
                                     user_expressions={"v": expr} if expr else None)
            reply = self.wait_for_reply(msg_id)
            return (reply or {}).get("content", {})

        def papermill_execute_cells(self):
            tracking = self._silent(_PROLOGUE).get("status") == "ok"
            # The time limit covers the notebook's cells, not kernel start-up (own 60 s limit).
            self._deadline = time.monotonic() + self._limit
            for index, cell in enumerate(self.nb.cells):
                try:
                    self.nb_man.cell_start(cell, index)
                    self.execute_cell(cell, index)
                except CellExecutionError as ex:
                    if time.monotonic() >= self._deadline - 1:
                        self._info["timed_out"] = True
                        cell.outputs.append(nbformat.v4.new_output(
                            "error", ename="NotebookTimeout", evalue="stopped: the notebook "
                            "exceeded its time limit (egov run --timeout)", traceback=[]))
                    self.nb_man.cell_exception(self.nb.cells[index], cell_index=index,
                                               exception=ex)
                    break
                finally:
                    self.nb_man.cell_complete(self.nb.cells[index], cell_index=index)
            if tracking:
                content = self._silent("", _EPILOGUE_EXPR)
                value = content.get("user_expressions", {}).get("v", {})
                if value.get("status") == "ok":
                    self._info["used_files"] = ast.literal_eval(value["data"]["text/plain"])

    class EgovEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False,
                                     stdout_file=None, stderr_file=None, start_timeout=60,
                                     execution_timeout=None, **kwargs):
            kwargs.pop("input_path", None)
            return EgovNotebookClient(
                nb_man, kernel_name=kernel_name, startup_timeout=start_timeout,
                log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file,
                **kwargs).execute()

    papermill_engines.register(ENGINE_NAME, EgovEngine)
    _REGISTERED = True


def notebook_parameters(path: Path) -> dict[str, str]:
    """Parameters declared in a notebook's ``parameters`` cell: name -> its comment (help text).

    Parsed with `ast` rather than papermill's line parser, which drops any line holding two
    ``=`` (e.g. ``year = None  # None = latest``) and would leave such a parameter uninjected.

    Raises
    ------
    EgovError
        If the parameters cell is not valid Python (naming the notebook and line).
    """
    import io
    import tokenize

    import nbformat

    from ..errors import EgovError

    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells
             if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])]
    if not cells:
        return {}
    src = cells[0].source
    try:
        tree = ast.parse(src)
        comments = {tok.start[0]: tok.string.lstrip("#").strip()
                    for tok in tokenize.generate_tokens(io.StringIO(src).readline)
                    if tok.type == tokenize.COMMENT}
    except (SyntaxError, tokenize.TokenError) as exc:
        raise EgovError(f"{path}: the `parameters` cell is not valid Python ({exc}); "
                        "fix it in JupyterLab") from exc
    out: dict[str, str] = {}
    for node in tree.body:
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, ast.AnnAssign) else [])
        for target in targets:
            if isinstance(target, ast.Name):
                out[target.id] = comments.get(node.end_lineno) or comments.get(node.lineno, "")
    return out


def clean_copy(nb):
    """A deep copy of a notebook node (the exporter mutates what it is given)."""
    return copy.deepcopy(nb)
