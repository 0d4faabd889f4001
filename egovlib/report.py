"""Notebook-side helpers: resolve parameters, show generated prose and readable tables."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from .panel import check_editions, latest_edition

#: Headers used by several reports. Anything not listed here that looks like a Python name is
#: turned into words by `header_label` (e.g. ``max_abs_deviation`` -> "Max abs. deviation").
COLUMN_LABELS = {
    "iso3": "ISO3",
    "country": "Country",
    "n": "n",
    "year": "Year",
    "edition": "Edition",
    "rank": "Rank",
    "variable": "Variable",
    "label": "Label",
    "unit": "Unit",
    "theme": "Theme",
    "reader": "Reader",
    "status": "Status",
    "reason": "Reason",
    "spec": "Spec",
    "estimator": "Estimator",
    "term": "Term",
    "component": "Component",
    "proposal": "Proposal",
    "egdi_points": "EGDI points",
    "in_egdi": "In EGDI?",
    "gap_to_best": "Gap to best",
    "countries": "Countries",
    "assessed": "Assessed",
    "not_assessed": "Not assessed",
    "not_assessed_names": "Countries not assessed",
    "min_country": "Lowest",
    "max_country": "Highest",
    "sd": "SD",
    "sd_x": "SD of regressor",
    "p": "p",
    "ci_low": "95% CI low",
    "ci_high": "95% CI high",
    "pi_low": "95% PI low",
    "pi_high": "95% PI high",
    "r2": "Fit",
    "r2_kind": "Fit measure",
    "beta": "Std. beta",
    "ref_min": "Oldest ref. year",
    "ref_max": "Newest ref. year",
    "ref_mode": "Typical ref. year",
    "share_departing": "Share departing",
    "max_abs": "Largest |departure|",
    "second_abs": "Second largest",
    "crossed_comparing_with": "Crossed when comparing with",
    "change": "Change",
    "source": "Source",
    "level_group": "Level group",
    "rating_class": "Rating class",
    "share_moved_gt5": "Share moved > 5 places",
    "p90_abs_shift": "90th pct. |shift|",
    "country_max": "Country (largest shift)",
    "hci_proxy": "HCI (proxy)",
    "error": "Proxy − published",
    "why": "Why",
    "literacy_rate": "Literacy rate",
    "hdr_eys": "Expected years of schooling",
    "hdr_mys": "Mean years of schooling",
    "tertiary_ger": "Tertiary GER",
    "literacy_rate_year": "Literacy year",
    "hdr_eys_year": "EYS year",
    "hdr_mys_year": "MYS year",
    "egdi_recomputed": "EGDI recomputed",
    "residual_034": "Residual (0.34/0.33/0.33)",
    "from_year": "From",
    "to_year": "To",
    "driver": "Driver",
    "residual": "Residual",
    "crosses_break": "Crosses 2014 break?",
    "closable": "Closable",
    "horizon": "Horizon",
    "egdi_weight": "Weight in EGDI",
    "transferability": "Transferability",
    "feasible_target": "Feasible target",
    "closable_egdi_points": "Closable (EGDI points)",
    "mentor": "Mentor",
    "mentee": "Mentee",
    "gap": "Gap",
    "similarity": "Similarity",
    "lead": "Lead",
    "score": "Score",
    "reasons": "Why",
    "weight": "Weight",
    "countries_with_data": "Countries with data",
    "oldest_ref_year": "Oldest ref. year",
    "median_ref_year": "Median ref. year",
    "newest_ref_year": "Newest ref. year",
    "countries_beyond_bound": "Countries beyond bound",
    "rounding_bound": "Rounding bound",
    "beyond": "Countries beyond",
    "hypothesis": "Hypothesis",
    "weights": "Weights",
    "w_osi": "Weight OSI",
    "w_hci": "Weight HCI",
    "w_tii": "Weight TII",
    "sum": "Sum",
    "rmse": "RMSE",
    "component_mean": "Mean of components",
    "benchmark": "Benchmark",
    "kind": "Kind",
    "focus": "Focus",
    "frontier": "Frontier",
    "best": "Best",
    "actual": "Actual",
    "predicted": "Predicted",
    "position": "Position",
    "used": "Used",
    "dropped": "Dropped",
    "factor": "Factor",
    "nominal": "Nominal rank",
    "median": "Median rank",
    "width": "Interval width",
    "share": "Share",
}
#: Tokens written in capitals or symbols when a header is turned into words.
_TOKENS = {
    "egdi": "EGDI",
    "osi": "OSI",
    "hci": "HCI",
    "tii": "TII",
    "epi": "EPI",
    "iso3": "ISO3",
    "sd": "SD",
    "ci": "CI",
    "pi": "PI",
    "vif": "VIF",
    "pc1": "PC1",
    "gdp": "GDP",
    "abs": "abs.",
    "gt5": "> 5",
    "p90": "90th pct.",
    "ref": "ref.",
    "pct": "%",
    "n": "n",
    "d": "Δ",
    "if": "if",
    "contrib": "contrib.",
}
_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")


def header_label(name, labels: Mapping[str, str] | None = None):
    """Reader-facing header for a column name: ``labels`` first, then `COLUMN_LABELS`, then
    snake_case turned into words (``d_osi`` -> "Δ OSI"). Headers already in words are kept."""
    if labels and name in labels:
        return labels[name]
    if not isinstance(name, str) or not _IDENT.match(name):
        return name
    if name in COLUMN_LABELS:
        return COLUMN_LABELS[name]
    words = [_TOKENS.get(w, w) for w in name.split("_") if w]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def readable(df: pd.DataFrame, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A copy of ``df`` for display: booleans as Yes/No and headers in words (`header_label`).

    Parameters
    ----------
    df : DataFrame
    labels : mapping of column to header, optional
        Overrides for this table.
    """
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_bool_dtype(s) or (
            s.dtype == object and s.dropna().map(type).eq(bool).all() and s.notna().any()
        ):
            out[col] = s.map({True: "Yes", False: "No"})
    if not isinstance(out.columns, pd.MultiIndex):  # two-level headers are already in words
        out.columns = [header_label(c, labels) for c in out.columns]
    if out.index.name is not None:
        out.index.name = header_label(out.index.name, labels)
    return out


def join_names(names: Sequence[str]) -> str:
    """Names joined for prose: "A", "A and B", "A, B and C" ("" for none)."""
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def signed_format(digits: int):
    """Formatter for `show_table` and prose: a signed number with ``digits`` decimals, without a
    sign when it rounds to zero ("0.0000", not "-0.0000"); a missing value is "–"."""

    def fmt(v: float) -> str:
        if v is None or not np.isfinite(v):
            return "–"
        return f"{0.0:.{digits}f}" if abs(v) < 0.5 * 10**-digits else f"{v:+.{digits}f}"

    return fmt


def resolve_year(year: int | None) -> int:
    """The survey edition to report on: ``year`` if it is an edition, the latest if None."""
    if year is None:
        return latest_edition()
    check_editions([int(year)])
    return int(year)


def show_markdown(text: str) -> None:
    """Display generated prose (Markdown) in the notebook and the HTML report."""
    display(Markdown(text))


def show_table(
    df: pd.DataFrame,
    caption: str,
    *,
    formats: Mapping[str, str] | None = None,
    precision: int = 3,
    hide_index: bool = True,
    highlight: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
):
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
    labels : mapping of column to header, optional
        Overrides of `COLUMN_LABELS` for this table. Headers are shown in words (`header_label`)
        and booleans as Yes/No; ``formats`` keys may use the original column names.
    """
    formats = {header_label(k, labels): v for k, v in (formats or {}).items()}
    df = readable(df, labels)
    # One format call: numbers default to `precision` decimals, `formats` overrides per column.
    fmt = {
        c: f"{{:,.{precision}f}}" for c in df.columns if pd.api.types.is_float_dtype(df[c].dtype)
    }
    fmt.update(formats or {})
    sty = df.style.set_caption(caption).format(fmt, na_rep="–")
    # A stable id (from caption and shape) instead of a random one: reruns give identical HTML.
    sty = sty.set_uuid(hashlib.sha256(f"{caption}{df.shape}".encode()).hexdigest()[:10])
    if hide_index:
        sty = sty.hide(axis="index")
    if highlight:
        sty = sty.apply(
            lambda row: [
                f"background-color: {highlight[row.name]}" if row.name in highlight else ""
                for _ in row
            ],
            axis=1,
        )
    sty = sty.set_table_styles(
        [
            {
                "selector": "caption",
                "props": "caption-side: top; font-weight: bold; text-align: left;"
                " font-size: 1.05em; padding-bottom: 4px;",
            },
            {"selector": "th", "props": "text-align: left; padding: 3px 8px;"},
            {"selector": "td", "props": "padding: 3px 8px;"},
        ]
    )
    display(sty)
