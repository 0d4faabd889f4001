"""Errors raised by egovlib: each names the file, the column or row, and the fix."""

from __future__ import annotations

from pathlib import Path


class EgovError(Exception):
    """Base class of every error egovlib raises on purpose."""


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
        super().__init__(f"{where}{problem}\n  Fix: {fix}")


class DataRootNotFound(DataError):
    """None of the three data-root candidates holds the raw files."""


class CountryNotMapped(DataError):
    """Country names in a file could not be mapped to ISO3 codes."""


class SpecError(EgovError):
    """A spec (regression, index variant, run parameters) is invalid."""
