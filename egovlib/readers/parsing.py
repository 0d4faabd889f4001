"""Loud parsing primitives shared by the readers: every failure names file, column or row, fix."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError


def read_csv(path: Path | io.StringIO, *, file: Path | None = None, **kwargs) -> pd.DataFrame:
    """``pandas.read_csv`` that turns parser failures into a `DataError` naming the file.

    ``path`` may be text already read (``io.StringIO``); ``file`` then names its file in errors.
    A file whose last line has no line break is checked for a cut last record (`check_last_record`).
    """
    try:
        df = pd.read_csv(path, **kwargs)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(
            file or (path if isinstance(path, Path) else None),
            f"cannot parse the file ({type(exc).__name__}: {exc})",
            "the file is truncated or not the expected format: restore it from the data mirror",
        ) from exc
    if isinstance(path, str | Path):
        check_last_record(
            Path(path), sep=kwargs.get("sep", ","), encoding=kwargs.get("encoding") or "utf-8"
        )
    return df


#: Bytes read from the end of a file to find its last line.
_TAIL_BYTES = 1 << 16


def check_last_record(path: Path, *, sep: str = ",", encoding: str = "utf-8") -> None:
    """Raise if the file ends without a line break inside an incomplete record.

    Many published files end without a final line break, so that alone is no error; but a file
    cut by an interrupted copy also ends that way, with a last line that has fewer fields than
    the line before it (a cut inside a number, ``0.``, is caught by `numeric`). The line before,
    not the header, is the yardstick: some exports have a header longer than their rows (OWID's
    repeated ``Year``). Only the end of the file is read, so this costs nothing on large files.
    """
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - _TAIL_BYTES))
        tail = fh.read()
    if not tail or tail.endswith(b"\n") or b"\n" not in tail:
        return
    before, last = tail.rstrip(b"\r").rsplit(b"\n", 1)
    before = before.rsplit(b"\n", 1)[-1]
    decode = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding

    def fields(line: bytes) -> int:
        return len(next(csv.reader([line.decode(decode, "replace").rstrip("\r")], delimiter=sep)))

    n_before, n_last = fields(before), fields(last)
    if n_last < n_before:
        raise DataError(
            path,
            f"the file ends without a line break in an incomplete record (the last line has "
            f"{n_last} fields, the line before it {n_before}): the file looks cut",
            "restore the complete file from the data mirror (an interrupted copy cuts the "
            "last line)",
        )


def read_text_csv(path: Path, **kwargs) -> pd.DataFrame:
    """`read_csv` with every cell as text and only empty cells missing (``"NA"`` is Namibia).

    A UTF-8 byte-order mark is removed; ``kwargs`` go to ``pandas.read_csv``.
    """
    return read_csv(
        path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig", **kwargs
    )


def read_excel(path: Path, **kwargs) -> pd.DataFrame:
    """``pandas.read_excel`` that turns failures into a `DataError` naming the file and sheet."""
    try:
        return pd.read_excel(path, **kwargs)
    except Exception as exc:  # openpyxl/xlrd raise many types for broken workbooks
        raise DataError(
            path,
            f"cannot read sheet {kwargs.get('sheet_name', 0)!r} ({type(exc).__name__}: {exc})",
            "the workbook is damaged or its sheets were renamed: restore it from the data mirror",
        ) from exc


def rename_columns(df: pd.DataFrame, mapping: dict[str, str], path: Path) -> pd.DataFrame:
    """Rename columns, raising when an expected column is absent (like ``errors='raise'``)."""
    missing = [c for c in mapping if c not in df.columns]
    if missing:
        raise DataError(
            path,
            f"expected column(s) {missing} not found; the file has {list(df.columns)}",
            "restore the original file, or if the publisher renamed columns, update the "
            "column map in the reader (egovlib/readers/)",
        )
    return df.rename(columns=mapping)[list(mapping.values())]


def numeric(
    df: pd.DataFrame,
    columns: list[str],
    path: Path,
    *,
    row_offset: int = 2,
    na_values: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Convert columns to float, raising on any non-numeric cell (naming column, row, value).

    Parameters
    ----------
    row_offset : int
        Added to the 0-based frame index to give the file's line number (2 = one header line).
    na_values : tuple of str
        Text placeholders that mean "missing" in this source (e.g. ``"-"``, ``"N/A"``).
    """
    out = df.copy()
    for col in columns:
        raw = out[col]
        text = raw.astype("string").str.strip()
        blank = raw.isna() | text.isin(na_values) | (text == "")
        values = pd.to_numeric(text.where(~blank), errors="coerce")
        bad = values.isna() & ~blank
        if bad.any():
            where = bad.to_numpy().nonzero()[0][:5]
            cells = ", ".join(
                f"line {int(out.index[i]) + row_offset}: {raw.iloc[i]!r}" for i in where
            )
            raise DataError(
                path,
                f"non-numeric value(s) in column `{col}` ({cells})",
                f"correct the cell(s) in `{col}` or restore the file from the data mirror",
            )
        _check_cut_numbers(text, col, path, row_offset)
        out[col] = values.astype("float64")
    return out


def _check_cut_numbers(text: pd.Series, col: str, path: Path, row_offset: int) -> None:
    """Raise on numbers ending in a decimal point (``0.``) in a column of decimals.

    ``0.`` parses as 0.0, but no export writes a number that way: it is what is left of
    ``0.83280`` when a copy stops mid-number.
    """
    if not text.str.endswith(".").fillna(False).any():  # the common case, checked cheaply
        return
    cut = text.str.fullmatch(r"[+-]?\d+\.").fillna(False)
    if cut.any() and text.str.contains(r"\.\d", regex=True).fillna(False).any():
        where = cut.to_numpy().nonzero()[0][:5]
        cells = ", ".join(
            f"line {int(text.index[i]) + row_offset}: {text.iloc[i]!r}" for i in where
        )
        raise DataError(
            path,
            f"number(s) cut after the decimal point in column `{col}` ({cells}) where the "
            "column's other values have decimals: the file looks truncated or damaged",
            "restore the complete file from the data mirror",
        )


def check_duplicates(
    df: pd.DataFrame, keys: list[str], path: Path, value_cols: list[str]
) -> pd.DataFrame:
    """Drop exact duplicate rows; raise if rows share ``keys`` but differ in values."""
    df = df.drop_duplicates(subset=keys + value_cols)
    dup = df.duplicated(subset=keys, keep=False)
    if dup.any():
        sample = df.loc[dup, keys].drop_duplicates().head(5).to_dict("records")
        raise DataError(
            path,
            f"conflicting duplicate rows for {keys}: {sample}",
            "keep one row per key (the published one) or restore the file from the data mirror",
        )
    return df


def wide_to_long(df: pd.DataFrame, value_cols: list[str], source: str) -> pd.DataFrame:
    """``iso3, year`` plus one column per variable -> the `schemas.LONG` layout.

    Cells without a finite value (blank, NaN, inf) are dropped: missing stays missing.
    """
    long = df.melt(
        id_vars=["iso3", "year"], value_vars=value_cols, var_name="variable", value_name="value"
    )
    long = long[np.isfinite(long["value"].astype("float64"))].assign(source=source)
    return long[["iso3", "year", "variable", "value", "source"]].reset_index(drop=True)
