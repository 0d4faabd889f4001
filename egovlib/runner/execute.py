"""Execute one notebook with papermill in a fresh kernel (run inside a worker process)."""

from __future__ import annotations

import ast
import atexit
import os
import re
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

#: Kernel-side code run (silently, not stored in the notebook) before the first cell.
#: On a new kernel it imports pyplot and the project style, installs the tracking of data files
#: (every raw file goes through `verified_path`) and snapshots the state a notebook may change.
#: On a reused kernel it restores that snapshot and empties the namespace (IPython reset), so
#: each notebook starts as in a fresh kernel, minus the import and data-loading time. Either way
#: the global random generators of numpy and Python are seeded (0) so that unseeded draws, such as
#: seaborn's jitter, are the same in every run (analysis seeds remain notebook parameters).
_PROLOGUE = """
def _egov_prepare(cwd):
    import os, sys, types, warnings
    def seed_global_rngs():
        # Unseeded draws (e.g. seaborn's strip-plot jitter) repeat from run to run.
        import random
        import numpy as np
        random.seed(0)
        np.random.seed(0)
    st = sys.modules.get("_egov_kernel")
    if st is None:
        import matplotlib as mpl
        import matplotlib.pyplot
        st = types.ModuleType("_egov_kernel")
        st.used = set()
        try:
            import egovlib.plots
            import egovlib.readers as r
            import egovlib.sources as s
        except ImportError:
            pass
        else:
            def wrap(fn):
                def tracked(source, root=None):
                    path = fn(source, root)
                    st.used.add(source if isinstance(source, str) else source.id)
                    return path
                return tracked
            r.verified_path = wrap(r.verified_path)
            s.verified_path = wrap(s.verified_path)
        st.rc = {k: v for k, v in mpl.rcParams.items() if k != "backend"}
        st.filters = list(warnings.filters)
        st.path = list(sys.path)
        try:
            import pandas as pd
            keys = list(pd._config.config._registered_options)
            st.pd = {k: pd.get_option(k) for k in keys}
        except Exception:
            st.pd = {}
        sys.modules["_egov_kernel"] = st
        st.seed = seed_global_rngs
        seed_global_rngs()
        return "new"
    import matplotlib as mpl
    import matplotlib.pyplot as plt
    plt.close("all")
    get_ipython().reset(new_session=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mpl.rcParams.update(st.rc)
        if st.pd:
            import pandas as pd
            for k, v in st.pd.items():
                try:
                    pd.set_option(k, v)
                except Exception:
                    pass
    warnings.filters[:] = st.filters
    sys.path[:] = st.path
    os.chdir(cwd)
    st.used.clear()
    st.seed()
    return "reused"
__import__("sys").modules["_egov_kernel"].prepared = _egov_prepare(%r)
get_ipython().user_ns.pop("_egov_prepare", None)
"""
_PREPARED_EXPR = "__import__('sys').modules['_egov_kernel'].prepared"
_EPILOGUE_EXPR = "sorted(__import__('sys').modules['_egov_kernel'].used)"

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
    """One notebook to execute for one survey year."""

    source: Path
    output: Path
    year: int
    parameters: dict
    timeout: float
    kernel_name: str = "python3"
    cwd: Path | None = None
    reuse_kernel: bool = True


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
    kernel: str = ""  # "new" or "reused"
    slowest_cells: list[tuple[int, float]] = field(default_factory=list)


def execute_notebook(job: NotebookJob) -> NotebookResult:
    """Execute ``job.source`` with papermill into ``job.output``; never raises on a cell error.

    The executed copy (with the traceback, if any) is always written. The kernel talks to this
    process over Unix sockets (ipc transport), so parallel workers never compete for TCP ports.
    A per-notebook time limit (``job.timeout`` seconds for all its cells together) interrupts a
    runaway notebook; its cell then shows a ``NotebookTimeout`` error.

    With ``job.reuse_kernel`` the worker keeps its kernel for the next notebook after a success:
    the namespace, matplotlib, pandas and warnings settings, ``sys.path`` and the working folder
    are reset, while imported modules and egovlib's in-memory tables stay loaded. A failed or
    timed-out notebook's kernel is always discarded.
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
    cwd = str(job.cwd or job.source.parent)
    km = _kernel_manager(job.kernel_name, cwd, job.reuse_kernel)
    try:
        pm.execute_notebook(
            str(job.source),
            str(job.output),
            parameters=job.parameters,
            engine_name=ENGINE_NAME,
            kernel_name=job.kernel_name,
            progress_bar=False,
            cwd=cwd,
            request_save_on_cell_execute=True,
            km=km,
            egov_timeout=job.timeout,
            egov_info=info,
            egov_cwd=cwd,
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
    if status != "ok" or not job.reuse_kernel or not info.get("prepared"):
        _discard_kernel()
    duration = time.monotonic() - started
    stderr_count, slowest = _finalise_notebook(job.output)
    return NotebookResult(
        name=name,
        year=job.year,
        status=status,
        duration_s=round(duration, 2),
        parameters=job.parameters,
        error=error,
        data_files=info.get("used_files", []),
        stderr_outputs=stderr_count,
        kernel=info.get("prepared", ""),
        slowest_cells=slowest,
    )


# ------------------------------------------------------------------ the worker's kernel
_KERNEL: dict = {"km": None, "key": None}


def _kernel_manager(kernel_name: str, cwd: str, reuse: bool):
    """The worker's kernel manager: the running one if it can be reused, else a new one."""
    from jupyter_client.manager import AsyncKernelManager

    key = (kernel_name, cwd)
    km = _KERNEL["km"]
    if reuse and km is not None and _KERNEL["key"] == key and km.has_kernel:
        return km
    _discard_kernel()
    km = AsyncKernelManager(kernel_name=kernel_name)
    # Unix-domain sockets in a private folder: no TCP port races between parallel workers.
    km.transport = "ipc"
    km.ip = os.path.join(tempfile.mkdtemp(prefix="egov-k-"), "k")
    _KERNEL.update(km=km, key=key)
    return km


def _discard_kernel() -> None:
    """Shut down the worker's kernel (after a failure, or when the worker exits)."""
    from jupyter_core.utils import run_sync

    km, _KERNEL["km"] = _KERNEL["km"], None
    if km is None:
        return
    try:
        if km.has_kernel:
            run_sync(km.shutdown_kernel)(now=True)
    except Exception:  # noqa: BLE001 - a kernel that is already gone is fine
        pass
    try:
        run_sync(km.cleanup_resources)()
    except Exception:  # noqa: BLE001
        pass


atexit.register(_discard_kernel)


def _finalise_notebook(path: Path) -> tuple[int, list[tuple[int, float]]]:
    """Strip run-time-varying metadata (two runs give identical notebooks); count stderr outputs.

    Removed: papermill's timings and paths, nbclient's timings. Made stable: the id of the
    injected-parameters cell, the random ids pandas' Styler gives each table (``T_1a2b3``) and
    memory addresses in object reprs (``<... at 0x7f...>``). Returns the number of stderr
    outputs and the three slowest cells ``(index, seconds)``.
    """
    import nbformat

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
    return stderr, sorted(durations, key=lambda d: -d[1])[:3]


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

        def __init__(self, nb_man, *, egov_timeout, egov_info, egov_cwd, **kw):
            self._limit, self._info, self._cwd = egov_timeout, egov_info, egov_cwd
            self._deadline = time.monotonic() + egov_timeout
            kw.pop("timeout", None)
            super().__init__(
                nb_man,
                timeout_func=self._remaining,
                interrupt_on_timeout=True,
                error_on_timeout={
                    "ename": "NotebookTimeout",
                    "evalue": "the notebook exceeded its time limit (egov run --timeout)",
                    "traceback": [],
                },
                **kw,
            )

        def _remaining(self, cell=None):
            return max(1, int(self._deadline - time.monotonic()))

        def execute(self, **kwargs):
            try:
                return super().execute(**kwargs)
            finally:  # the worker owns the kernel; this notebook's client is done with it
                if self.kc is not None:
                    self.kc.stop_channels()
                    self.kc = None

        def _silent(self, code: str, expr: str | None = None):
            msg_id = self.kc.execute(
                code,
                silent=True,
                store_history=False,
                user_expressions={"v": expr} if expr else None,
            )
            reply = self.wait_for_reply(msg_id)
            return (reply or {}).get("content", {})

        def papermill_execute_cells(self):
            content = self._silent(_PROLOGUE % self._cwd, _PREPARED_EXPR)
            value = content.get("user_expressions", {}).get("v", {})
            tracking = content.get("status") == "ok" and value.get("status") == "ok"
            if tracking:
                self._info["prepared"] = ast.literal_eval(value["data"]["text/plain"])
            # The time limit covers the notebook's cells, not kernel start-up (own 60 s limit).
            self._deadline = time.monotonic() + self._limit
            for index, cell in enumerate(self.nb.cells):
                try:
                    self.nb_man.cell_start(cell, index)
                    self.execute_cell(cell, index)
                except CellExecutionError as ex:
                    if time.monotonic() >= self._deadline - 1:
                        self._info["timed_out"] = True
                        cell.outputs.append(
                            nbformat.v4.new_output(
                                "error",
                                ename="NotebookTimeout",
                                evalue="stopped: the notebook "
                                "exceeded its time limit (egov run --timeout)",
                                traceback=[],
                            )
                        )
                    self.nb_man.cell_exception(self.nb.cells[index], cell_index=index, exception=ex)
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
        def execute_managed_notebook(
            cls,
            nb_man,
            kernel_name,
            log_output=False,
            stdout_file=None,
            stderr_file=None,
            start_timeout=60,
            execution_timeout=None,
            **kwargs,
        ):
            kwargs.pop("input_path", None)
            return EgovNotebookClient(
                nb_man,
                kernel_name=kernel_name,
                startup_timeout=start_timeout,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
                **kwargs,
            ).execute()

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
    cells = [
        c for c in nb.cells if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])
    ]
    if not cells:
        return {}
    src = cells[0].source
    try:
        tree = ast.parse(src)
        comments = {
            tok.start[0]: tok.string.lstrip("#").strip()
            for tok in tokenize.generate_tokens(io.StringIO(src).readline)
            if tok.type == tokenize.COMMENT
        }
    except (SyntaxError, tokenize.TokenError) as exc:
        raise EgovError(
            f"{path}: the `parameters` cell is not valid Python ({exc}); fix it in JupyterLab"
        ) from exc
    out: dict[str, str] = {}
    for node in tree.body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        for target in targets:
            if isinstance(target, ast.Name):
                out[target.id] = comments.get(node.end_lineno) or comments.get(node.lineno, "")
    return out
