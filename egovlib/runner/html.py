"""HTML reports (nbconvert, self-contained, code hidden) and their XLSX of tables and data.

The index pages of a run are rendered by `egovlib.runner.index`.
"""

from __future__ import annotations

import base64
import datetime
import html
import io
import math
import re
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

#: Headings (h1-h3) nbconvert renders from markdown, with the id it gives them.
_HEADING = re.compile(r'<h([1-3]) id="([^"]+)"[^>]*>(.*?)</h\1>', re.S)
_TAGS = re.compile(r"<[^>]+>")
#: Table cells holding one number (or a missing-value dash): right-aligned in the reports.
_NUMERIC_TD = re.compile(
    r"<td([^>]*)>(\s*(?:(?:&lt;|&gt;|[<>≤≥])\s?)?(?:[-+−]?[$€£]?\d[\d,\u202f ]*(?:\.\d+)?"
    r"(?:e[-+]?\d+)?\s*%?"
    r"|[-–—]|nan|NaN|<NA>)\s*)</td>"
)
#: A table of contents is added when a report has at least this many section headings.
TOC_MIN_HEADINGS = 3


@cache
def report_css() -> str:
    """The CSS shared by every report and the index page."""
    return (TEMPLATES_DIR / "report.css").read_text(encoding="utf-8")


#: Start tags that nbconvert's HTMLExporter gives ``tabindex="0"`` (keyboard scrolling of wide
#: outputs), and images without alt text, which it gives its placeholder text.
_FOCUSABLE = re.compile(
    r'(<div class="[^"]*\b(?:jp-OutputArea-output|jp-Cell-inputWrapper)\b[^>]*)>'
)
# Greedy, then the tag's end ("/", spaces) split off in Python: a lazy ``([^>]*?)(\s*/?)>`` tries
# the end at every character of an image's base64 source, 0.1 s per report.
_IMG = re.compile(r"<img\b([^>]*)>")
_ALT = re.compile(r"\salt\s*=")
NO_ALT_TEXT = "No description has been provided for this image"


def _with_alt(img: re.Match) -> str:
    attrs = img[1]
    if _ALT.search(attrs):
        return img[0]
    core = (attrs[:-1] if attrs.endswith("/") else attrs).rstrip()  # the tag's end: \s*/?
    return f'<img{core} alt="{NO_ALT_TEXT}"{attrs[len(core) :]}>'


@cache
def _exporter(show_code: bool):
    """The HTML exporter of nbconvert with our template, minus its BeautifulSoup pass.

    ``HTMLExporter.from_notebook_node`` parses the whole page with BeautifulSoup and writes it out
    again only to add ``tabindex="0"`` to output areas (and code inputs) and placeholder alt text
    to images without any: a third of an export's time. The same two edits are made here on the
    rendered text; tests/test_report.py checks that BeautifulSoup's re-serialisation of our page
    is nbconvert's page, character for character.
    """
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReportExporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):
            # The first lines of HTMLExporter.from_notebook_node (nbconvert 7): its filters.
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            self.register_filter(
                "highlight_code",
                self.filters.get(
                    "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)
                ),
            )
            resources = self._init_resources(resources)
            self.register_filter(
                "filter_data_type",
                WidgetsDataTypeFilter(
                    notebook_metadata=self._nb_metadata, parent=self, resources=resources
                ),
            )
            body, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            body = _FOCUSABLE.sub(r'\1 tabindex="0">', body)
            return _IMG.sub(_with_alt, body), resources

    exp = ReportExporter(template_file="report.html.j2", extra_template_paths=[str(TEMPLATES_DIR)])
    exp.exclude_input = not show_code
    exp.exclude_input_prompt = not show_code
    exp.exclude_output_prompt = True
    exp.embed_images = True  # images referenced from markdown become data: URIs too
    # Validate the notebook once, after its preprocessors, not after each of the twelve (most
    # are disabled and change nothing): a twelfth of the schema checks, the same page.
    exp.optimistic_validation = True
    return exp


def warm_up() -> None:
    """Load the report template and the modules an export needs, by rendering a tiny report.

    A worker's first export otherwise spends ~0.9 s on this; the worker does it in a thread
    while it waits for its first kernel (`egovlib.runner.worker`).
    """
    import nbformat

    from ..report import ReportCitation  # noqa: F401  (imported by every export)

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Warm-up")])
    _exporter(False).from_notebook_node(nb, resources=_resources("Warm-up", [], 0, "ok", ""))


def _resources(title: str, facts: list, year: int, status: str, error: str, **egov) -> dict:
    """What the report template reads (``egov.*``); ``egov`` adds or overrides the file fields."""
    files = {"notebook": "", "version": "", "xlsx": "", "pdf": "", "appendix_open_at_end": False}
    fields = {"title": title, "facts": facts, "year": year, "status": status, "error": error}
    return {
        "egov": {**fields, "css": report_css(), **files, **egov},
        "metadata": {"name": title},
    }


# ------------------------------------------------------------------ report structure
#: A Markdown cell whose first line starts like this opens a collapsed appendix.
APPENDIX_PREFIX = "## Appendix"
_SECTION_HEADING = re.compile(r"^#{1,2} ", re.M)


@dataclass
class ReportItem:
    """A table, or the data behind a figure, offered for download and written to the XLSX."""

    kind: str  # "table" or "figure"
    number: int  # Table 1, 2, ... and Figure 1, 2, ... in the order shown
    title: str
    source: str
    description: str
    data: dict  # `report.frame_to_json` payload

    @property
    def sheet(self) -> str:
        """Its sheet in the XLSX (also named next to its download link)."""
        return f"{'Table' if self.kind == 'table' else 'Figure'} {self.number}"


def _egov_meta(output) -> dict:
    from ..report import META_KEY

    return output.get("metadata", {}).get(META_KEY) or {}


def prepare_report(nb, stem: str) -> tuple[list[ReportItem], bool]:
    """Annotate an executed notebook for the report template, in place.

    - Appendices: the first line of a Markdown cell starting with ``## Appendix`` becomes the
      summary of a collapsed section that runs to the next ``#``/``##`` heading, the end matter
      or the end (cell metadata ``egov_appendix_open`` / ``egov_appendix_close``).
    - Downloads: each table and figure with data gets a ``download`` entry (file name, ``data:``
      URI of its CSV, rows, XLSX sheet) in its `report.META_KEY` metadata.

    Returns
    -------
    items : list of ReportItem
        The tables and figure data, in the order shown (for the XLSX).
    open_at_end : bool
        Whether the last appendix runs to the end of the report.
    """
    from ..report import csv_bytes, frame_from_json

    items: list[ReportItem] = []
    counts = {"table": 0, "figure": 0}
    is_open = False
    for cell in nb.cells:
        cell.metadata.pop("egov_appendix_open", None)
        cell.metadata.pop("egov_appendix_close", None)
        if cell.cell_type == "markdown" and "papermill-error-cell-tag" not in cell.metadata.get(
            "tags", []
        ):
            first, _, rest = cell.source.lstrip().partition("\n")
            if first.startswith(APPENDIX_PREFIX):
                cell.metadata["egov_appendix_close"] = is_open
                cell.metadata["egov_appendix_open"] = first[3:].strip()
                cell.source = rest.strip()
                is_open = True
            elif is_open and _SECTION_HEADING.search(cell.source):
                cell.metadata["egov_appendix_close"] = True
                is_open = False
        for out in cell.get("outputs", []):
            meta = _egov_meta(out)
            kind = meta.get("kind")
            if kind == "end_matter" and is_open:
                cell.metadata["egov_appendix_close"] = True
                is_open = False
            if kind not in counts:
                continue
            counts[kind] += 1
            if not meta.get("data"):
                continue
            item = ReportItem(
                kind=kind,
                number=counts[kind],
                title=meta.get("caption") or meta.get("title") or "",
                source=meta.get("source") or "",
                description=meta.get("alt") or "",
                data=meta["data"],
            )
            items.append(item)
            csv = csv_bytes(frame_from_json(item.data))
            meta["download"] = {
                "filename": f"{stem}_{meta.get('name') or item.sheet.replace(' ', '-')}.csv",
                "href": "data:text/csv;charset=utf-8;base64," + base64.b64encode(csv).decode(),
                "rows": len(item.data["data"]),
                "sheet": item.sheet,
            }
    return items, is_open


def report_text(nb) -> str:
    """The words a reader sees in a report, for its glossary.

    Markdown cells and outputs; no code, no end matter.
    """
    parts = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            parts.append(cell.source)
            continue
        for out in cell.get("outputs", []):
            meta = _egov_meta(out)
            if meta.get("kind") == "end_matter":
                continue
            if meta.get("kind") in ("table", "figure"):
                parts += [meta.get(k) or "" for k in ("caption", "title", "alt", "source")]
                if meta.get("data"):
                    parts += meta["data"]["columns"]
                    parts += [v for row in meta["data"]["data"] for v in row if isinstance(v, str)]
                continue
            data = out.get("data", {})
            text = data.get("text/markdown") or data.get("text/plain") or out.get("text") or ""
            parts.append("".join(text) if isinstance(text, list) else text)
    return "\n".join(parts)


def complete_end_matter(nb, citation) -> None:
    """Re-write the end matter with the glossary of the whole report and its citation."""
    from ..report import end_matter_markdown

    text = None
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            meta = _egov_meta(out)
            if meta.get("kind") != "end_matter":
                continue
            text = report_text(nb) if text is None else text
            md = end_matter_markdown(
                text, meta.get("sources") or [], citation, edition=meta.get("edition")
            )
            out["data"] = {"text/markdown": md, "text/plain": md}


def write_xlsx(items: list[ReportItem], path: Path, *, title: str) -> None:
    """One workbook per report: a Contents sheet, then one sheet per table and figure's data.

    Written with fixed timestamps, so an unchanged report gives a byte-identical file. The cells
    are written one row at a time with XlsxWriter, from the JSON the report stored (no DataFrame
    and no pandas `to_excel`, whose per-cell formatting took most of the export time).
    """
    import xlsxwriter

    contents = [[i.sheet, i.title, i.source, i.description, len(i.data["data"])] for i in items]
    buf = io.BytesIO()
    # Data strings stay strings: none becomes a formula ("=..."), a link or a number.
    book = xlsxwriter.Workbook(
        buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    book.set_properties({"author": "egovlib", "created": _XLSX_EPOCH})
    bold = book.add_format({"bold": True, "border": 1, "align": "center", "valign": "top"})
    sheet = book.add_worksheet("Contents")
    sheet.write_string(0, 0, title, bold)
    _write_sheet(sheet, 2, ["Sheet", "Title", "Source", "Description", "Rows"], contents, bold)
    for item in items:
        sheet = book.add_worksheet(item.sheet)
        _write_sheet(sheet, 0, [str(c) for c in item.data["columns"]], item.data["data"], bold)
    book.close()
    _write_reproducible_zip(buf.getvalue(), path)


#: Document dates of every workbook (with `_write_reproducible_zip`: byte-identical rewrites).
_XLSX_EPOCH = datetime.datetime(1980, 1, 1)


def _write_sheet(sheet, top: int, header: list[str], rows: list[list], bold) -> None:
    """Write a header row at ``top`` and the rows under it, frozen below the header.

    Columns are as wide as their longest value in the first 60 rows (8 to 60 characters).
    """
    sheet.write_row(top, 0, header, bold)
    widths = [len(h) for h in header]
    for r, row in enumerate(rows, start=top + 1):
        values = [_cell_value(v) for v in row]
        for c, v in enumerate(values):
            if v is None:
                continue
            sheet.write(r, c, v)
            if r < 60:
                widths[c] = max(widths[c], len(str(v)))
    sheet.freeze_panes(top + 1, 0)
    for c, w in enumerate(widths):
        sheet.set_column(c, c, min(max(w + 2, 8), 60))


def _cell_value(v):
    """A stored table value as a cell value: missing and non-finite numbers are empty cells."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return None
    return v


_XLSX_TIME = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def _write_reproducible_zip(data: bytes, path: Path) -> None:
    """Copy a zip (xlsx) with its member times and document dates fixed to 1980-01-01."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = _XLSX_TIME.sub(rb"\g<1>1980-01-01T00:00:00Z\g<2>", body)
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, body)
    path.write_bytes(out.getvalue())


def _authored_markdown(nb):
    """Markdown cells written by the author (not papermill's error-marker cells)."""
    return [
        c
        for c in nb.cells
        if c.cell_type == "markdown"
        and "papermill-error-cell-tag" not in c.metadata.get("tags", [])
    ]


def notebook_title(nb) -> str:
    """The report title: the first level-1 heading of the notebook's first markdown cell."""
    first = _authored_markdown(nb)[:1]
    for cell in first:
        for line in cell.source.splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return ""


def export_html(
    nb_path: Path,
    html_path: Path,
    *,
    facts: list[tuple[str, str]],
    year: int,
    status: str,
    error: str,
    show_code: bool,
    version: str,
    pdf: bool = False,
) -> None:
    """Render an executed notebook to a self-contained HTML report (and its XLSX of tables).

    Parameters
    ----------
    nb_path, html_path : Path
        Executed notebook and the report to write.
    facts : list of (label, value)
        Run facts shown under the title (edition, run date, commit, parameters ...).
    status, error : str
        Execution status (``ok``, ``failed``, ``timeout``) and error line, shown as a banner.
    show_code : bool
        Include code cells (hidden by default: the reports are for readers, not coders).
    pdf : bool
        Link the PDF of the report (written next to it by `egovlib.runner.pdf.write_pdf`).

    The tables and figure data shown through `egovlib.report` get CSV downloads inside the
    page and are written to one XLSX next to it (``<name>.xlsx``); the end matter gets the
    glossary of the whole report and the report's citation.
    """
    import nbformat

    from ..report import ReportCitation

    nb = nbformat.read(nb_path, as_version=4)
    title = notebook_title(nb) or nb_path.stem
    fact = dict(facts)
    complete_end_matter(
        nb,
        ReportCitation(
            title=title,
            edition=year,
            run_date=fact.get("Run date", ""),
            version=version,
            commit=fact.get("Git commit", ""),
            notebook=nb_path.stem,
        ),
    )
    items, appendix_open_at_end = prepare_report(nb, nb_path.stem)
    xlsx_path = html_path.with_suffix(".xlsx")
    if items:
        write_xlsx(items, xlsx_path, title=title)
    elif xlsx_path.exists():
        xlsx_path.unlink()
    if not show_code:
        # The title block replaces the notebook's own H1; warnings on stderr stay in the .ipynb.
        _drop_first_h1(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = [
                    o
                    for o in cell.outputs
                    if not (o.output_type == "stream" and o.name == "stderr")
                ]
    resources = _resources(
        title,
        facts,
        year,
        status,
        error,
        notebook=nb_path.name,
        version=version,
        xlsx=xlsx_path.name if items else "",
        pdf=html_path.with_suffix(".pdf").name if pdf else "",
        appendix_open_at_end=appendix_open_at_end,
    )
    body, _ = _exporter(show_code).from_notebook_node(nb, resources=resources)
    body = body.replace("<!--EGOV_TOC-->", table_of_contents(body), 1)
    body = _NUMERIC_TD.sub(r"<td\1 data-num>\2</td>", body)
    html_path.write_text(body, encoding="utf-8")


def _drop_first_h1(nb) -> None:
    for cell in _authored_markdown(nb)[:1]:
        lines = cell.source.splitlines()
        for i, line in enumerate(lines):
            if line.startswith("# "):
                cell.source = "\n".join(lines[:i] + lines[i + 1 :]).strip()
                return


def table_of_contents(body: str) -> str:
    """A TOC (h2/h3 headings, or h1 when a report uses only those) for long reports, else ``""``."""
    heads = [
        (int(lvl), hid, html.unescape(_TAGS.sub("", text)).replace("¶", "").strip())
        for lvl, hid, text in _HEADING.findall(body)
    ]
    heads = [h for h in heads if h[2]]
    top = min((h[0] for h in heads), default=2)
    heads = [h for h in heads if h[0] <= top + 1]
    if sum(h[0] == top for h in heads) < TOC_MIN_HEADINGS and len(heads) < TOC_MIN_HEADINGS + 2:
        return ""
    items = "\n".join(
        f'<li class="egov-toc-h{2 if lvl == top else 3}"><a href="#{html.escape(hid)}">'
        f"{html.escape(text)}</a></li>"
        for lvl, hid, text in heads
    )
    # Headings that carry their own numbers ("1. The published HCI") are not numbered again.
    numbered = any(re.match(r"\d+[.)]\s", text) for lvl, _, text in heads if lvl == top)
    cls = "egov-toc egov-toc-plain" if numbered else "egov-toc"
    return f'<nav class="{cls}"><strong>Contents</strong><ol>\n{items}\n</ol></nav>'
