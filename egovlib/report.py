"""The report API: the only module that displays.

Key findings, prose, tables, figures and end matter, with the metadata the HTML export turns into
downloads, an XLSX and a glossary.
"""

from __future__ import annotations

import base64
import hashlib
import html
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import display

from . import sources
from .errors import SpecError
from .panel import check_editions, latest_edition
from .yamltext import parse_yaml

#: Key of the display metadata that `show_table`, `show_figure`, `show_key_findings` and
#: `show_end_matter` attach to their outputs. The HTML export (`egovlib.runner.html`) reads it
#: to add CSV downloads, the report's XLSX, figure alt text and source lines, and the end matter.
META_KEY = "egovlib"
GLOSSARY_PATH = Path(__file__).resolve().parent / "glossary.yml"
#: Browsers refuse `data:` links longer than about 2 MB: a download must stay below this.
MAX_DOWNLOAD_BYTES = 1_500_000

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
    """Reader-facing header for a column name.

    ``labels`` first, then `COLUMN_LABELS`, then snake_case turned into words (``d_osi`` -> "Δ
    OSI"). Headers already in words are kept.
    """
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
    """Formatter for `show_table` and prose.

    A signed number with ``digits`` decimals, without a sign when it rounds to zero ("0.0000", not
    "-0.0000"); a missing value is "–".
    """

    def fmt(v: float) -> str:
        if v is None or not np.isfinite(v):
            return "–"
        return f"{0.0:.{digits}f}" if abs(v) < 0.5 * 10**-digits else f"{v:+.{digits}f}"

    return fmt


def resolve_year(year: int | None) -> int:
    """The survey edition to report on: ``year`` if it is an edition, the latest if None."""
    year = latest_edition() if year is None else int(year)
    check_editions([year])
    _SHOWN.edition = year  # the end matter speaks of this edition's time (sources, glossary)
    return year


# ------------------------------------------------------------------ what a notebook has shown
@dataclass
class _Shown:
    """What the current notebook showed through this module (reset for every notebook)."""

    text: list[str] = field(default_factory=list)  # prose, captions, cells, alt texts: glossary
    names: set[str] = field(default_factory=set)  # download file names already used
    edition: int | None = None  # the survey edition reported on (`resolve_year`)


_SHOWN = _Shown()
#: Name in the IPython namespace that marks a notebook as started (see `_watch_for_new_notebook`).
_SESSION_MARK = "_egov_report_session"


def reset() -> None:
    """Start a new report: forget what was shown and which data files were read.

    Called automatically when a kernel moves on to a new notebook (the batch runner reuses
    kernels and empties their namespace between notebooks); call it by hand in a script that
    builds several reports in one process.
    """
    global _SHOWN
    _SHOWN = _Shown()
    sources.forget_files_read()
    # The country tables are cached in memory above `sources.verified_path`, so a second
    # notebook in the same kernel would not re-verify (and so not list) the files behind them.
    from . import countries

    countries.country_table.cache_clear()
    countries._alias_table.cache_clear()


def _watch_for_new_notebook() -> None:
    """In IPython, call `reset` before the first cell run after the namespace was emptied."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return
    ip = get_ipython()
    if ip is None:
        return

    def mark() -> None:
        ip.user_ns[_SESSION_MARK] = True
        ip.user_ns_hidden[_SESSION_MARK] = True

    def check(*_args) -> None:
        if _SESSION_MARK not in ip.user_ns:
            reset()
            mark()

    mark()
    ip.events.register("pre_run_cell", check)


def _remember(*texts: str) -> None:
    _SHOWN.text.extend(str(t) for t in texts if t)


# ------------------------------------------------------------------ escaping
#: A Markdown code span or fenced block: a run of backticks, text, the same run again.
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
_HARMFUL_LINK = re.compile(r"\]\(\s*<?\s*(?:javascript|vbscript|data|file):", re.I)


def escape_markdown(text: str) -> str:
    """Markdown whose HTML is shown as text, not run.

    ``<`` and ``&`` are escaped (outside code, where Markdown escapes them itself) and links to
    ``javascript:`` and similar go nowhere.

    Generated prose interpolates data strings (country names, variant labels); escaping the
    whole text means none of them can inject markup into a report.
    """
    out, pos = [], 0
    for m in _CODE_SPAN.finditer(text):
        out += [_escape_plain(text[pos : m.start()]), m.group(0)]
        pos = m.end()
    out.append(_escape_plain(text[pos:]))
    return "".join(out)


def _escape_plain(text: str) -> str:
    text = _HARMFUL_LINK.sub("](#", text)
    return text.replace("&", "&amp;").replace("<", "&lt;")


# ------------------------------------------------------------------ tables as data
def frame_to_json(df: pd.DataFrame) -> dict:
    """A table as JSON-safe ``{"columns": [...], "data": [[row], ...]}`` (missing -> None).

    Numbers stay numbers at full precision and text stays text, so the CSV and XLSX built from
    it (`frame_from_json`) hold the values behind the rounded numbers shown.
    """
    df = _flat_columns(df)
    cols = [_json_values(df.iloc[:, i]) for i in range(df.shape[1])]
    rows = [list(r) for r in zip(*cols, strict=True)] if cols else [[] for _ in range(len(df))]
    return {"columns": ["" if c is None else str(c) for c in df.columns], "data": rows}


def frame_from_json(payload: Mapping) -> pd.DataFrame:
    """The table stored by `frame_to_json`."""
    return pd.DataFrame(payload["data"], columns=payload["columns"])


def csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a byte-order mark, so spreadsheet programs read accents right."""
    return ("\ufeff" + df.to_csv(index=False, lineterminator="\n")).encode("utf-8")


def _flat_columns(df: pd.DataFrame) -> pd.DataFrame:
    if isinstance(df.columns, pd.MultiIndex):
        df = df.copy()
        df.columns = [
            " – ".join(str(p) for p in dict.fromkeys(parts) if str(p).strip())
            for parts in df.columns
        ]
    return df


def _json_values(s: pd.Series) -> list:
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    if pd.api.types.is_bool_dtype(s.dtype):
        return [None if pd.isna(v) else bool(v) for v in s]
    if pd.api.types.is_integer_dtype(s.dtype):
        return [None if pd.isna(v) else int(v) for v in s]
    if pd.api.types.is_float_dtype(s.dtype):
        return [float(v) if pd.notna(v) and np.isfinite(v) else None for v in s]
    return [_json_scalar(v) for v in s]


def _json_scalar(v):
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float):
        return v if np.isfinite(v) else None
    if isinstance(v, bool | int | str):
        return v
    return str(v)


def _download_name(label: str, kind: str) -> str:
    """A short, unique file-name stem (``gcc-ranks-2024``) for a table's or figure's CSV."""
    stem = re.sub(r"[^a-z0-9]+", "-", str(label).casefold()).strip("-")[:60].strip("-") or kind
    name, k = stem, 2
    while name in _SHOWN.names:
        name, k = f"{stem}-{k}", k + 1
    _SHOWN.names.add(name)
    return name


# ------------------------------------------------------------------ display
def show_markdown(text: str) -> None:
    """Display generated prose (Markdown) in the notebook and the HTML report.

    HTML in ``text`` is shown as text, never run (see `escape_markdown`): data strings cannot
    inject markup, and prose must not rely on raw HTML.
    """
    text = str(text)
    _remember(text)
    display({"text/markdown": escape_markdown(text), "text/plain": text}, raw=True)


def show_key_findings(findings: Sequence[str]) -> None:
    """Display the "Key findings" box; call it right after the notebook's title cell.

    Parameters
    ----------
    findings : sequence of str
        Three to five generated sentences (Markdown allowed), each specific (who, how much,
        compared with what) and saying how sure we are.

    Raises
    ------
    SpecError
        If there is no finding, an empty one, or more than five (a summary, not a list).
    """
    if isinstance(findings, str):
        findings = [findings]
    items = [" ".join(str(f).split()) for f in findings]
    if not items or not all(items) or len(items) > 5:
        raise SpecError(
            f"show_key_findings got {len(items)} finding(s)"
            + (" including an empty one" if items and not all(items) else "")
            + ". Fix: pass three to five non-empty sentences (the report's headline results)."
        )
    _remember(*items)
    body = "\n".join(f"- {escape_markdown(f)}" for f in items)
    display(
        {
            "text/markdown": f"## Key findings\n\n{body}\n",
            "text/plain": "Key findings\n" + "\n".join(f"- {f}" for f in items),
        },
        raw=True,
        metadata={META_KEY: {"kind": "key_findings"}},
    )


def show_table(
    df: pd.DataFrame,
    caption: str,
    *,
    formats: Mapping[str, str] | None = None,
    precision: int = 3,
    hide_index: bool = True,
    highlight: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    name: str | None = None,
    shade: Sequence[str] | None = None,
    shade_range: tuple[float, float] = (0, 100),
):
    """Display a table with a caption, number formats and optional row highlighting.

    The report offers the table as a CSV download and puts it in the report's XLSX, with the
    headers shown and the numbers at full precision. Text in cells, headers and the caption is
    escaped (shown as text, never run as HTML).

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
    name : str, optional
        File name (without extension) of the CSV download; default: from the caption.
    shade : sequence of column names, optional
        Columns whose cells are shaded by value, light to dark blue over ``shade_range``, with
        white text on dark cells (a heatmap that stays a table: numbers readers can select,
        search and hear read aloud). Original or shown column names.
    shade_range : (low, high)
        Values given the lightest and the darkest shade.
    """
    formats = {header_label(k, labels): v for k, v in (formats or {}).items()}
    df = readable(df, labels)
    # One format call: numbers default to `precision` decimals, `formats` overrides per column.
    fmt = {
        c: f"{{:,.{precision}f}}" for c in df.columns if pd.api.types.is_float_dtype(df[c].dtype)
    }
    fmt.update(formats or {})
    sty = df.style.set_caption(html.escape(str(caption))).format(fmt, na_rep="–", escape="html")
    sty = sty.format_index(escape="html", axis=0).format_index(escape="html", axis=1)
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
    if shade:
        cols = [c if c in df.columns else header_label(c, labels) for c in shade]
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise SpecError(
                f"show_table: shade names {missing}, not columns of the table {caption!r}. "
                f"Fix: name some of {list(df.columns)}."
            )
        # pandas' gradient: the cell colour from matplotlib's "Blues" map, and white text where
        # the colour's relative luminance is below 0.408 (seaborn's heatmap threshold).
        low, high = shade_range
        sty = sty.background_gradient(
            cmap="Blues", subset=cols, vmin=low, vmax=high, text_color_threshold=0.408
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
            # A shaded table is a grid of numbers beside its row labels: the labels (first
            # column) get room, or the browser wraps them to four lines to widen the numbers.
            *([{"selector": "td:first-child", "props": "min-width: 13em;"}] if shade else []),
        ]
    )
    shown = df if hide_index else df.reset_index()
    _remember(caption, *map(str, _flat_columns(shown).columns))
    _remember(*(v for c in shown.columns for v in shown[c] if isinstance(v, str)))
    meta = {
        "kind": "table",
        "caption": str(caption),
        "name": _download_name(name or caption, "table"),
        "data": frame_to_json(shown),
    }
    _check_download_size(meta, f"the table '{caption}'")
    display(
        {"text/html": sty.to_html(), "text/plain": f"{caption}\n{shown.to_string(max_rows=40)}"},
        raw=True,
        metadata={META_KEY: meta},
    )


def show_figure(
    fig, *, alt: str, data: pd.DataFrame | None = None, name: str | None = None
) -> None:
    """Display a figure (instead of ``plt.show()``) with its alt text, source and data.

    The HTML report shows the image with ``alt`` as its alternative text, repeats the source
    line given to `plots.finish` as text under it, and offers ``data`` as a CSV download (also
    in the report's XLSX). The figure is closed.

    Parameters
    ----------
    fig : matplotlib Figure
    alt : str
        What the figure shows and its main message, generated from the numbers (at least five
        words; e.g. "Bahrain's EGDI rose from 0.61 in 2008 to 0.92 in 2024, above the GCC
        median in every edition since 2014").
    data : DataFrame, optional
        The table behind the figure (one row per plotted point or bar).
    name : str, optional
        File name (without extension) of the data download; default: from the figure title.

    Raises
    ------
    SpecError
        If ``alt`` is missing or too short to describe anything, or ``data`` is not a table.
    """
    import matplotlib.pyplot as plt

    from .plots import figure_source, image_dpi, png_bytes

    alt = " ".join(str(alt or "").split())
    if len(alt.split()) < 5:
        raise SpecError(
            f"show_figure: alt text {alt!r} does not describe the figure. Fix: pass alt= a "
            "generated sentence saying what the figure shows and its main message (it is read "
            "aloud to readers who cannot see the image)."
        )
    if data is not None and not isinstance(data, pd.DataFrame):
        raise SpecError(
            f"show_figure: data is a {type(data).__name__}. Fix: pass data= the DataFrame "
            "behind the figure (or leave it out)."
        )
    title = fig.get_suptitle() or next((ax.get_title() for ax in fig.axes if ax.get_title()), "")
    source = figure_source(fig)
    meta: dict = {
        "kind": "figure",
        "title": title,
        "alt": alt,
        "source": source,
        "name": _download_name(name or title or "figure", "figure"),
        "data": None,
    }
    if data is not None:
        table = readable(data)
        if not isinstance(data.index, pd.RangeIndex) or data.index.name is not None:
            table = table.reset_index()
        meta["data"] = frame_to_json(table)
        _check_download_size(meta, f"the data of figure '{title}'")
    _remember(title, alt, source or "")
    dpi = image_dpi(fig)  # FIGURE_SCALE pixels per CSS pixel, for at most the column's width
    png = png_bytes(fig, dpi)  # drawn once, cropped like bbox_inches="tight"
    # The size the figure has at its own dpi, in CSS pixels (the page scales it to the column).
    width, height = (int(int.from_bytes(png[i : i + 4], "big") * fig.dpi / dpi) for i in (16, 20))
    plt.close(fig)
    display(
        {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": f"[{title}] {alt}"},
        raw=True,
        metadata={"image/png": {"alt": alt, "width": width, "height": height}, META_KEY: meta},
    )


def _check_download_size(meta: dict, what: str) -> None:
    n = len(csv_bytes(frame_from_json(meta["data"])))
    if n * 4 / 3 > MAX_DOWNLOAD_BYTES:
        raise SpecError(
            f"{what} is {n / 1e6:.1f} MB as CSV, too large for a download inside the report. "
            "Fix: pass only the rows and columns the reader sees (e.g. the focus group, not "
            "the whole panel); `egov data export` offers the full panel."
        )


# ------------------------------------------------------------------ glossary and end matter
@dataclass(frozen=True)
class GlossaryEntry:
    """One entry of `egovlib/glossary.yml`."""

    term: str
    definition: str
    aliases: tuple[str, ...] = ()
    since: int | None = None  # first edition the term applies to; earlier reports leave it out
    until: int | None = None  # last edition it applies to (a later entry of the term takes over)

    def applies_to(self, edition: int | None) -> bool:
        """Whether a report for ``edition`` uses this entry (None: the current definition)."""
        if edition is None:
            return self.until is None
        return (self.since or 0) <= edition <= (self.until or edition)

    @property
    def heading(self) -> str:
        """The term as a glossary heading: capitalised, except one-letter prefixes (z-score)."""
        t = self.term
        return t if re.match(r"^[a-z]-", t) else t[:1].upper() + t[1:]

    @property
    def names(self) -> tuple[str, ...]:
        """The term and its aliases, with typographic apostrophes made straight."""
        return tuple(n.replace("’", "'") for n in (self.term, *self.aliases))

    @property
    def pattern(self) -> re.Pattern:
        """Matches the term or an alias as a word (acronyms only in capitals)."""
        return _entry_pattern(self.names)

    def finditer(self, text: str, folded: str | None) -> Iterator[re.Match]:
        """The matches of `pattern` in ``text``, as ``pattern.finditer(text)`` gives them.

        ``folded`` is ``text`` lower-cased with the same length (`_fold`), or None. A match
        must start where one of the names occurs in ``folded``, so only those places are tried:
        ~20 times faster than scanning a whole report once per entry. Names with a non-ASCII
        letter that has a case (``re.IGNORECASE`` equates some of those that ``str.lower``
        does not, e.g. Greek sigmas), or no ``folded``, use the full scan; caseless characters
        such as "–" or "²" match only themselves either way.
        """
        if folded is None or not all(map(_caseless_beyond_ascii, self.names)):
            yield from self.pattern.finditer(text)
            return
        starts: set[int] = set()
        for name in {n.lower() for n in self.names}:
            i = folded.find(name)
            while i >= 0:
                starts.add(i)
                i = folded.find(name, i + 1)
        if not starts:
            return  # (and the pattern is not compiled: ~1 ms each, half the entries)
        pattern = self.pattern
        end = 0
        for i in sorted(starts):
            if i >= end and (m := pattern.match(text, i)) is not None:
                end = m.end()
                yield m


@cache
def _entry_pattern(names: tuple[str, ...]) -> re.Pattern:
    parts = []
    for name in names:
        body = re.escape(name)
        if name == name.upper():  # an acronym: exact case, as a whole word (plural allowed)
            parts.append(f"(?-i:(?<![\\w-]){body}s?(?![\\w-]))")
        else:
            parts.append(f"(?<![\\w-]){body}(?:s|es|d|ed)?(?!\\w)")
    return re.compile("|".join(parts), re.I)


def _caseless_beyond_ascii(name: str) -> bool:
    """Whether every non-ASCII character of ``name`` has no case (a dash, a superscript)."""
    return all(c.isascii() or c.lower() == c == c.upper() for c in name)


#: Letters that `re.IGNORECASE` equates with ASCII letters although ``str.lower`` does not.
_IGNORECASE_EXTRA = {"\u0131": "i", "\u017f": "s"}  # dotless i, long s


def _fold(text: str) -> str | None:
    """``text`` lower-cased for substring search, or None where that changes its length."""
    folded = text.lower()
    for letter, ascii_letter in _IGNORECASE_EXTRA.items():  # (str.translate: 10x slower)
        folded = folded.replace(letter, ascii_letter)
    return folded if len(folded) == len(text) else None


@cache
def load_glossary(path: Path = GLOSSARY_PATH) -> tuple[GlossaryEntry, ...]:
    """The glossary (`egovlib/glossary.yml`), checked.

    Every entry has a term and a definition, only known keys, and no term or alias names two
    entries for the same edition (a term may have entries for separate ranges of editions,
    ``since``/``until``).
    """
    doc = parse_yaml(path.read_text(encoding="utf-8")) or {}
    entries: list[GlossaryEntry] = []
    seen: dict[str, list[tuple[str, int, float]]] = {}  # name -> (term, since, until) of entries
    keys = {"term", "definition", "aliases", "since", "until"}
    for i, e in enumerate(doc.get("terms") or []):
        where = f"{path.name}: entry {i + 1} ({(e or {}).get('term', '?')!r})"
        if not isinstance(e, dict) or set(e) - keys:
            raise SpecError(
                f"{where} has unknown keys. Fix: use term, definition, aliases, since, until."
            )
        term, definition = (
            str(e.get("term") or "").strip(),
            " ".join(str(e.get("definition") or "").split()),
        )
        aliases = e.get("aliases") or []
        if not term or not definition or not isinstance(aliases, list):
            raise SpecError(
                f"{where} lacks a term or definition, or its aliases are not a list. "
                "Fix: write `term:`, `definition:` and optionally `aliases: [..]`."
            )
        since, until = e.get("since"), e.get("until")
        for key_name, v in (("since", since), ("until", until)):
            if v is not None and not isinstance(v, int):
                raise SpecError(f"{where}: `{key_name}` is {v!r}. Fix: give a survey edition year.")
        lo, hi = since or 0, until if until is not None else math.inf
        for name in (term, *aliases):
            key = str(name).casefold()
            for other, o_lo, o_hi in seen.get(key, []):
                if lo <= o_hi and o_lo <= hi:
                    raise SpecError(
                        f"{where}: {name!r} already names the entry {other!r}. Fix: keep one "
                        "entry per term (merge them, or drop the alias), or give the entries "
                        "`since`/`until` editions that do not overlap."
                    )
            seen.setdefault(key, []).append((term, lo, hi))
        entries.append(
            GlossaryEntry(term, definition, tuple(str(a) for a in aliases), since, until)
        )
    if not entries:
        raise SpecError(f"{path}: no `terms:` list. Fix: list the entries under `terms:`.")
    return tuple(entries)


def warm_glossary() -> None:
    """Load the glossary and compile each entry's pattern (both cached for the process).

    The batch's kernel server does this once: every kernel forked from it starts with them,
    instead of spending ~60 ms on them in each report's end matter.
    """
    for entry in load_glossary():
        _entry_pattern(entry.names)


def glossary_terms(text: str, edition: int | None = None) -> list[GlossaryEntry]:
    """Glossary entries whose term or an alias appears in ``text``, alphabetically.

    The longest match wins where terms overlap: "median regression" is not also "regression".
    With ``edition``, entries whose ``since`` is later are left out (a report for edition Y
    defines nothing the UN introduced after Y).
    """
    text = text.replace("’", "'")
    entries = [e for e in load_glossary() if e.applies_to(edition)]
    folded = _fold(text)
    matches = [(m.start(), m.end(), e) for e in entries for m in e.finditer(text, folded)]
    taken = np.zeros(len(text) + 1, dtype=bool)
    found: dict[str, GlossaryEntry] = {}
    for start, end, e in sorted(matches, key=lambda m: m[0] - m[1]):
        if not taken[start:end].any():
            taken[start:end] = True
            found[e.term] = e
    return sorted(found.values(), key=lambda e: e.term.casefold())


@dataclass(frozen=True)
class ReportCitation:
    """What a reader needs to cite one report."""

    title: str
    edition: int | str
    run_date: str
    version: str
    commit: str = ""
    notebook: str = ""


def citation_text(c: ReportCitation | None) -> tuple[str, str]:
    """Plain-text and BibTeX citation of a report (generic when ``c`` is None)."""
    from . import __version__, config

    authors, repo = "egovlib contributors", ""
    cff = config.REPO_ROOT / "CITATION.cff"
    if cff.is_file():  # the project's own citation metadata, when it has some
        meta = parse_yaml(cff.read_text(encoding="utf-8")) or {}
        names = [
            a.get("name") or " ".join(p for p in (a.get("given-names"), a.get("family-names")) if p)
            for a in meta.get("authors") or []
            if isinstance(a, dict)
        ]
        authors = join_names([n for n in names if n]) or authors
        repo = str(meta.get("repository-code") or meta.get("url") or "")
    if c is None:
        plain = (
            f"{authors}. egovlib reports on the UN E-Government Survey, egovlib "
            f"{__version__}." + (f" {repo}" if repo else "")
        )
        return plain, ""
    year = str(c.run_date)[:4]
    commit = f", commit {c.commit}" if c.commit else ""
    plain = (
        f"{authors} ({year}). {c.title}. Report on the UN E-Government Survey {c.edition}, "
        f"generated {c.run_date} with egovlib {c.version}{commit}." + (f" {repo}" if repo else "")
    )
    key = re.sub(r"[^a-z0-9]+", "", f"egovlib{c.notebook[:2]}{c.edition}{year}".casefold())
    bib = "\n".join(
        [
            f"@techreport{{{key},",
            f"  author = {{{{{authors}}}}},",
            f"  title = {{{{{c.title}}}}},",
            "  institution = {egovlib},",
            f"  year = {{{year}}},",
            f"  note = {{Report on the UN E-Government Survey {c.edition}, egovlib "
            f"{c.version}{commit}}},",
            *([f"  url = {{{repo}}},"] if repo else []),
            "}",
        ]
    )
    return plain, bib


def end_matter_markdown(
    text: str,
    source_ids: Sequence[str],
    citation: ReportCitation | None = None,
    edition: int | None = None,
) -> str:
    """The end of a report: glossary, data sources with their licences, how to cite it.

    Markdown; the glossary has the terms in ``text``; every catalogue string is escaped.

    With ``edition`` (default: the citation's), files whose reference years all come after it
    are not listed as sources (loading the EGDI panel reads every edition's file, but a report
    for edition Y uses nothing published after Y); one sentence says how many were left out.
    Country tables (names, regions, income groups) are always listed.
    """
    cat = sources.load_catalogue()
    if edition is None and citation is not None and str(citation.edition).isdigit():
        edition = int(citation.edition)
    lines = ["## Glossary", ""]
    terms = glossary_terms(text, edition)
    if terms:
        lines += [
            f"- **{escape_markdown(e.heading)}**: {escape_markdown(e.definition)}" for e in terms
        ]
    else:
        lines.append("This report uses no term from the project glossary.")
    lines += ["", "## Data sources and licences", ""]
    used = [cat[i] for i in source_ids if i in cat]
    # Country tables (names, regions, income groups) are used whatever their vintage: listed.
    later = [
        s
        for s in used
        if edition is not None and s.reader != "countries" and min(s.years) > edition
    ]
    used = [s for s in used if s not in later]
    if used:
        lines.append(
            f"This report read {len(used)} data file{'s' * (len(used) != 1)}, each checked "
            "against its catalogued checksum. Their terms of use apply to any reuse of the "
            "numbers in this report."
            + (
                f" {len(later)} further file{'s' * (len(later) != 1)} with reference years "
                f"only after {edition} (later editions and rounds) "
                + ("was" if len(later) == 1 else "were")
                + " loaded with the data but contribute no number to this report, so "
                + ("it is" if len(later) == 1 else "they are")
                + " not listed."
                if later
                else ""
            )
        )
        lines.append("")
        for s in used:
            accessed = f" Accessed {s.accessed}." if s.accessed else ""
            lines.append(
                f"- {escape_markdown(s.publisher)} ({s.year_span}). *{escape_markdown(s.title)}*. "
                f"<{s.url}>.{accessed} Licence: {escape_markdown(s.licence)}."
                if s.url.startswith(("http://", "https://"))
                else f"- {escape_markdown(s.publisher)} ({s.year_span}). "
                f"*{escape_markdown(s.title)}*.{accessed} Licence: {escape_markdown(s.licence)}."
            )
    else:
        lines.append("This report read no catalogued data file.")
    plain, bib = citation_text(citation)
    lines += ["", "## How to cite this report", "", escape_markdown(plain), ""]
    if bib:
        lines += ["```bibtex", bib, "```", ""]
    lines.append("Please cite the data sources above as well.")
    return "\n".join(lines) + "\n"


def show_end_matter() -> None:
    """Display the end of the report; the last cell of every notebook.

    A glossary of the technical terms used (entries of `egovlib/glossary.yml` found in the text
    shown through this module; the HTML export widens this to the whole report), the data
    sources the notebook read with their licences and citations, and how to cite the report
    (completed by the HTML export with the report's title, edition, date and commit).
    """
    ids = sources.files_read()
    md = end_matter_markdown("\n".join(_SHOWN.text), ids, edition=_SHOWN.edition)
    edition = {} if _SHOWN.edition is None else {"edition": _SHOWN.edition}
    display(
        {"text/markdown": md, "text/plain": md},
        raw=True,
        metadata={META_KEY: {"kind": "end_matter", "sources": ids, **edition}},
    )


_watch_for_new_notebook()
