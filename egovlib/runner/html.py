"""HTML reports (nbconvert, self-contained, code hidden) and the index page of a run."""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

#: Headings (h1-h3) nbconvert renders from markdown, with the id it gives them.
_HEADING = re.compile(r'<h([1-3]) id="([^"]+)"[^>]*>(.*?)</h\1>', re.S)
_TAGS = re.compile(r"<[^>]+>")
#: Table cells holding one number (or a missing-value dash): right-aligned in the reports.
_NUMERIC_TD = re.compile(
    r"<td([^>]*)>(\s*(?:[-+−]?[$€£]?\d[\d,\u202f ]*(?:\.\d+)?(?:e[-+]?\d+)?\s*%?"
    r"|[-–—]|nan|NaN|<NA>)\s*)</td>"
)
#: A table of contents is added when a report has at least this many section headings.
TOC_MIN_HEADINGS = 3


@cache
def report_css() -> str:
    """The CSS shared by every report and the index page."""
    return (TEMPLATES_DIR / "report.css").read_text(encoding="utf-8")


@cache
def _exporter(show_code: bool):
    from nbconvert import HTMLExporter

    exp = HTMLExporter(template_file="report.html.j2", extra_template_paths=[str(TEMPLATES_DIR)])
    exp.exclude_input = not show_code
    exp.exclude_input_prompt = not show_code
    exp.exclude_output_prompt = True
    exp.embed_images = True  # images referenced from markdown become data: URIs too
    return exp


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
) -> None:
    """Render an executed notebook to a self-contained HTML report.

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
    """
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    title = notebook_title(nb) or nb_path.stem
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
    resources = {
        "egov": {
            "title": title,
            "facts": facts,
            "year": year,
            "status": status,
            "error": error,
            "css": report_css(),
            "notebook": nb_path.name,
            "version": version,
        },
        "metadata": {"name": title},
    }
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
    return f'<nav class="egov-toc"><strong>Contents</strong><ol>\n{items}\n</ol></nav>'


def render_index(
    path: Path,
    *,
    title: str,
    facts: list[tuple[str, str]],
    rows: list[dict],
    params: list[tuple[str, str, str]],
    version: str,
    headline: str = "",
) -> None:
    """Write ``index.html``: one row per report with status, run time and links.

    ``headline`` is an HTML block shown above the table (the brief's findings, from
    `egovlib.brief.index_headline`), already escaped.
    """
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=False)
    text = env.get_template("index.html.j2").render(
        title=title,
        facts=facts,
        rows=rows,
        params=params,
        css=report_css(),
        version=version,
        headline=headline,
        n_failed=sum(r["status"] != "ok" for r in rows),
    )
    path.write_text(text, encoding="utf-8")
