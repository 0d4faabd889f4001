"""Errors raised by egovlib: each names the file, the column or row, and the fix.

Every message is one line (``<file>: <problem>. Fix: <fix>``), so that the command line prints
it as one ``ERROR`` line and JupyterLab shows it instead of a traceback (`_render_traceback_`).
"""

from __future__ import annotations

import re
from pathlib import Path


class EgovError(Exception):
    """Base class of every error egovlib raises on purpose."""

    def _render_traceback_(self) -> list[str]:
        """What IPython and JupyterLab show for this error: its message, not the traceback.

        The error says what is wrong and how to fix it; the call stack of library internals
        would only bury that. (IPython calls this hook on any exception that defines it.)
        """
        return [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self}"]


class DataError(EgovError):
    """A raw data file is missing, altered or malformed.

    Parameters
    ----------
    file : path or str
        The file at fault.
    problem : str
        What is wrong, naming the column or row.
    fix : str
        What the user should do about it.
    """

    def __init__(self, file: Path | str | None, problem: str, fix: str):
        self.file = str(file) if file is not None else None
        self.problem = problem
        self.fix = fix
        where = f"{self.file}: " if self.file else ""
        problem, fix = _one_line(problem), _one_line(fix)
        end = "" if problem.endswith((".", "!", "?")) else "."
        super().__init__(f"{where}{problem}{end} Fix: {fix}")


def _one_line(text: str) -> str:
    return re.sub(r"\s*\n\s*", " ", text.strip())


class DataRootNotFound(DataError):
    """None of the three data-root candidates holds the raw files."""


class CountryNotMapped(DataError):
    """Country names in a file could not be mapped to ISO3 codes."""


class SpecError(EgovError):
    """A spec (regression, index variant, run parameters) is invalid."""
