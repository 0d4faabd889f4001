"""The `egov` papermill engine: nbclient with a time limit for the whole notebook.

Imported by the workers only (it imports papermill and nbclient).
"""

from __future__ import annotations

import time

import nbformat
from nbclient.exceptions import CellExecutionError
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines

ENGINE_NAME = "egov"
#: What the cell that ran over the time limit shows (nbclient's error, then ours).
TIMEOUT_ERROR: dict = {
    "ename": "NotebookTimeout",
    "evalue": "the notebook exceeded its time limit (egov run --timeout)",
    "traceback": [],
}
STOPPED_ERROR: dict = {**TIMEOUT_ERROR, "evalue": "stopped: " + TIMEOUT_ERROR["evalue"]}


class EgovNotebookClient(PapermillNotebookClient):
    """Papermill's client plus a time limit for all the cells of a notebook together.

    ``egov_timeout`` is the limit in seconds; ``egov_info`` (a dict) receives
    ``cells_started`` (monotonic time) and ``timed_out``.
    """

    def __init__(self, nb_man, *, egov_timeout, egov_info, **kw):
        self._limit, self._info = egov_timeout, egov_info
        self._deadline = time.monotonic() + egov_timeout
        kw.pop("timeout", None)
        super().__init__(
            nb_man,
            timeout_func=self._remaining,
            interrupt_on_timeout=True,
            error_on_timeout=TIMEOUT_ERROR,
            **kw,
        )

    def _remaining(self, cell=None):
        return max(1, int(self._deadline - time.monotonic()))

    def execute(self, **kwargs):
        """Execute the notebook; this client's sockets are closed after it (not the kernel)."""
        try:
            return super().execute(**kwargs)
        finally:
            kc = getattr(self, "kc", None)
            if kc is not None:
                kc.stop_channels()
                self.kc = None

    def papermill_execute_cells(self):
        """Execute the cells in order; stop at the first error or at the time limit."""
        # The time limit covers the notebook's cells, not the wait for a kernel.
        self._info["cells_started"] = time.monotonic()
        self._deadline = time.monotonic() + self._limit
        for index, cell in enumerate(self.nb.cells):
            try:
                self.nb_man.cell_start(cell, index)
                self.execute_cell(cell, index)
            except CellExecutionError as ex:
                if time.monotonic() >= self._deadline - 1:
                    self._info["timed_out"] = True
                    cell.outputs.append(nbformat.v4.new_output("error", **STOPPED_ERROR))
                self.nb_man.cell_exception(self.nb.cells[index], cell_index=index, exception=ex)
                break
            finally:
                self.nb_man.cell_complete(self.nb.cells[index], cell_index=index)


class EgovEngine(NBClientEngine):
    """Papermill engine running `EgovNotebookClient`."""

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
        """Execute with `EgovNotebookClient` (papermill's engine interface).

        Papermill's manager writes the whole notebook (figures included) at the start and end
        of every cell, so that a reader can follow a long run; `egov run` publishes only
        finished notebooks, so the copy is written once, when execution ends (papermill's
        `notebook_complete`, and again with the error cell on a failure). That saves ~2 writes
        per cell (0.03-0.1 s each for a report's notebook).
        """
        kwargs.pop("input_path", None)
        output_path, nb_man.output_path = nb_man.output_path, None
        try:
            return EgovNotebookClient(
                nb_man,
                kernel_name=kernel_name,
                startup_timeout=start_timeout,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
                **kwargs,
            ).execute()
        finally:
            nb_man.output_path = output_path


def register() -> None:
    """Register the engine with papermill as ``egov`` (idempotent)."""
    papermill_engines.register(ENGINE_NAME, EgovEngine)
