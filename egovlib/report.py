"""Notebook-side helpers: resolve parameters, show generated prose and readable tables."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import pandas as pd
from IPython.display import Markdown, display

from .panel import check_editions, latest_edition


def resolve_year(year: int | None) -> int:
    """The survey edition to report on: ``year`` if it is an edition, the latest if None."""
    if year is None:
        return latest_edition()
    check_editions([int(year)])
    return int(year)


def show_markdown(text: str) -> None:
    """Display generated prose (Markdown) in the notebook and the HTML report."""
    display(Markdown(text))


def show_table(df: pd.DataFrame, caption: str, *, formats: Mapping[str, str] | None = None,
               precision: int = 3, hide_index: bool = True, highlight: Mapping[str, str] | None = None):
    """Display a table with a caption, number formats and optional row highlighting.

    Parameters
    ----------
    df : DataFrame
    caption : str
        Title shown above the table (say what it shows and for which edition).
    formats : mapping of column to format string, optional
        E.g. ``{"egdi": "{:.4f}", "rank": "{:d}"}``; other numbers use ``precision``.
    hide_index : bool
        Hide the index (use a named column instead).
    highlight : mapping of row label (index value) to CSS background colour, optional
    """
    # One format call: numbers default to `precision` decimals, `formats` overrides per column.
    fmt = {c: f"{{:,.{precision}f}}" for c in df.columns
           if pd.api.types.is_float_dtype(df[c])}
    fmt.update(formats or {})
    sty = df.style.set_caption(caption).format(fmt, na_rep="–")
    # A stable id (from caption and shape) instead of a random one: reruns give identical HTML.
    sty = sty.set_uuid(hashlib.sha256(f"{caption}{df.shape}".encode()).hexdigest()[:10])
    if hide_index:
        sty = sty.hide(axis="index")
    if highlight:
        sty = sty.apply(lambda row: [f"background-color: {highlight[row.name]}"
                                     if row.name in highlight else "" for _ in row], axis=1)
    sty = sty.set_table_styles([
        {"selector": "caption", "props": "caption-side: top; font-weight: bold; text-align: left;"
                                          " font-size: 1.05em; padding-bottom: 4px;"},
        {"selector": "th", "props": "text-align: left; padding: 3px 8px;"},
        {"selector": "td", "props": "padding: 3px 8px;"},
    ])
    display(sty)
