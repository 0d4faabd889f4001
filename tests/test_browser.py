"""The published reports as readers get them: headless Chromium renders the index and every
report offline without errors; figures carry real alt text; every CSV link and the XLSX hold the
tables shown; the PDF fits A4."""

from __future__ import annotations

import base64
import io
import math
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pandas as pd
import pdfplumber
import pytest
from bs4 import BeautifulSoup
from matplotlib import image as mpimg
from test_report import small_report
from test_runner import published_real_reports

from egovlib import config
from egovlib.runner.pdf import write_pdf

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
    "--window-size=1280,2000",
]
#: Chromium logs every console message and uncaught exception of the page as `:CONSOLE`.
CONSOLE = re.compile(r":CONSOLE[:(].*|Uncaught .*|net::ERR_\w+.*")

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    if path is None:
        pytest.fail(
            "headless Chromium is missing: install it with "
            "`apt-get install -y chromium` (.ci/run does this in CI)"
        )
    return path


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> Path:
    pub = published_real_reports(tmp_path_factory) / "2024"
    assert (pub / "index.html").is_file(), "the 2024 batch did not publish (see test_runner)"
    return pub


def render(chromium: str, page: Path, png: Path) -> list[str]:
    """Screenshot ``page``; return the console messages Chromium logged while loading it."""
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(
            [chromium, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={png}", page.as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert png.is_file(), f"no screenshot of {page.name}: {proc.stderr[-2000:]}"
    return [m.group(0) for m in CONSOLE.finditer(proc.stderr)]


def assert_not_blank(png: Path) -> None:
    img = mpimg.imread(png)[..., :3]
    grey = img.mean(axis=2)
    inked = (grey < 0.9).mean()  # share of pixels that are not (near) white
    assert grey.std() > 0.05 and inked > 0.01, f"{png.name} looks blank (ink {inked:.3%})"


def test_index_renders_without_console_errors(chromium, reports, tmp_path):
    png = tmp_path / "index.png"
    assert render(chromium, reports / "index.html", png) == []
    assert_not_blank(png)


def test_reports_render_without_console_errors(chromium, reports, tmp_path):
    pages = sorted(reports.glob("[0-9][0-9]_*.html"))
    assert pages
    for page in pages:
        png = tmp_path / f"{page.stem}.png"
        errors = render(chromium, page, png)
        assert errors == [], f"{page.name}: {errors}"
        assert_not_blank(png)


def test_console_check_catches_errors(chromium, tmp_path):
    """The check above can fail: a page with a script error is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><p>x</p><script>notDefined();</script></body></html>")
    errors = render(chromium, bad, tmp_path / "bad.png")
    assert any("notDefined" in e for e in errors)


# ------------------------------------------------------------------ figures, downloads, XLSX
PLACEHOLDER_ALT = "No description has been provided for this image"


def report_pages(reports: Path, *, notebooks_only: bool = False) -> list[Path]:
    """Every report page (``notebooks_only``: the notebook reports, not the brief's pages)."""
    pages = sorted(reports.glob("[0-9][0-9]_*.html"))
    if notebooks_only:
        pages = [p for p in pages if 'class="jp-Notebook egov-report"' in p.read_text()]
    assert pages, f"no reports in {reports}"
    return pages


#: Notebooks whose reports are checked one by one (so a failure names the report's owner).
NOTEBOOKS = sorted(p.stem for p in config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))


def pages_of(reports: Path, stem: str) -> list[Path]:
    """The pages one notebook publishes (the brief has one per language)."""
    pages = sorted(reports.glob(f"{stem}.*html"))
    assert pages, f"{stem}: no report published in {reports}"
    return pages


def prose(page: Path, *, cells: bool = False) -> list[str]:
    """Paragraphs, list items, captions (and table cells) of a report, without the end matter."""
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    for end in soup.select(".egov-end-matter"):
        end.decompose()
    tags = "p, li, caption" + (", td" if cells else "")
    return [" ".join(el.get_text(" ").split()) for el in soup.select(tags)]


#: A Python-style name (snake_case) or a file name with a code or data-spec extension.
INTERNAL_NAME = re.compile(
    r"(?<![\w/.-])(?:[\w-]+\.(?:ya?ml|py|ipynb|parquet)|[a-z][a-z0-9]*_[a-z0-9_]*[a-z0-9])"
    r"(?![\w/-])"
)


def internal_names(texts: list[str]) -> list[str]:
    return sorted({m for t in texts for m in INTERNAL_NAME.findall(t)})


def repeated_lists(texts: list[str], min_items: int = 8) -> list[str]:
    """Lists of at least ``min_items`` comma-separated items printed more than once."""
    seen: dict[str, int] = {}
    for t in texts:
        if t.count(",") >= min_items - 1:
            seen[t] = seen.get(t, 0) + 1
    return [f"{t[:80]}... ({n} times)" for t, n in seen.items() if n > 1]


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_every_figure_has_real_alt_text(reports, stem):
    for page in pages_of(reports, stem):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        imgs = soup.find_all("img")
        placeholder = [i for i in imgs if i.get("alt") == PLACEHOLDER_ALT]
        assert not placeholder, (
            f"{page.name}: {len(placeholder)} of {len(imgs)} figures have no alt text "
            "(show them with report.show_figure(fig, alt=...), not plt.show())"
        )
        assert all(len((i.get("alt") or "").split()) >= 5 for i in imgs), page.name


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_no_internal_name_in_a_report(reports, stem):
    for page in pages_of(reports, stem):
        names = internal_names(prose(page))
        assert not names, f"{page.name} names code, not things: {names} (say it in words)"


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_no_list_printed_twice(reports, stem):
    for page in pages_of(reports, stem):
        assert repeated_lists(prose(page, cells=True)) == [], page.name


def test_prose_checks_can_fail():
    assert internal_names(["Drop `gtmi_psdi` or set allow_circular (hci_variants.yml)."]) == [
        "allow_circular", "gtmi_psdi", "hci_variants.yml",
    ]  # fmt: skip
    assert internal_names(["e-government, 0.75, GCC, Côte d'Ivoire, https://x.org/a_b"]) == []
    names = ", ".join(f"Country {i}" for i in range(9))
    assert repeated_lists([names, "other", names]) == [f"{names[:80]}... (2 times)"]
    assert repeated_lists([names, "a, b, c", "a, b, c"]) == []


def downloads(page: Path) -> list[tuple[str, pd.DataFrame, object]]:
    """(sheet, CSV table, the element it belongs to) for every CSV link of a report."""
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    found = []
    for a in soup.select("a[download][href^='data:text/csv']"):
        raw = base64.b64decode(a["href"].split("base64,", 1)[1])
        assert raw.startswith("\ufeff".encode()), "CSV without byte-order mark"
        csv = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", keep_default_na=False,
                          na_values=[""])  # fmt: skip
        sheet = re.search(r"“(.+?)”", a.find_next("span", class_="egov-sheet").text).group(1)
        owner = a.find_parent("figure") or a.find_parent("p").find_previous_sibling("div")
        found.append((sheet, csv, owner))
    return found


def shown_as(text: str, value) -> bool:
    """Whether a cell shown as ``text`` displays ``value`` (at the precision shown)."""
    text = text.strip()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return text in ("–", "", "nan", "<NA>")
    if str(value) == text:
        return True
    if isinstance(value, str):
        return False
    t = text.replace(",", "").replace("\u202f", "").replace("−", "-").replace("+", "")
    scale = 100 if t.endswith("%") else 1
    t = t.rstrip("%").strip()
    if t.startswith("<"):
        return value * scale < float(t[1:])
    try:
        number = float(t)
    except ValueError:
        return False
    decimals = len(t.split(".")[1]) if "." in t else 0
    return abs(value * scale - number) <= 0.5 * 10**-decimals * (1 + 1e-9) + 1e-12


def test_every_csv_link_decodes_to_the_table_shown(reports):
    n_tables = 0
    for page in report_pages(reports, notebooks_only=True):
        for sheet, csv, owner in downloads(page):
            if not sheet.startswith("Table"):
                continue
            n_tables += 1
            table = owner.find("table")
            where = f"{page.name} {sheet} ({table.caption.text.strip() if table.caption else ''})"
            head_rows = table.thead.find_all("tr")
            if len(head_rows) == 1:
                headers = [c.get_text(strip=True) for c in head_rows[0].find_all(["th", "td"])]
                assert headers == list(csv.columns), where
            rows = table.tbody.find_all("tr")
            assert len(rows) == len(csv), where
            for r, (tr, values) in enumerate(zip(rows, csv.itertuples(index=False), strict=True)):
                cells = [c.get_text() for c in tr.find_all(["th", "td"])]
                assert len(cells) == len(values), f"{where} row {r}"
                bad = [(c, v) for c, v in zip(cells, values, strict=True) if not shown_as(c, v)]
                assert not bad, f"{where} row {r}: shown vs CSV {bad}"
    assert n_tables >= 6, "the reports offer fewer table downloads than expected"


def test_shown_as_can_fail():
    assert shown_as("0.9196", 0.919612) and shown_as("45%", 0.4512) and shown_as("< 0.001", 1e-5)
    assert shown_as("–", float("nan")) and shown_as("1,234", 1234.4) and shown_as("+0.12", 0.12)
    assert not shown_as("0.9197", 0.919612) and not shown_as("Oman", "Qatar")
    assert not shown_as("–", 0.5) and not shown_as("< 0.001", 0.01)


def test_xlsx_opens_with_pandas_and_matches_the_downloads(reports):
    for page in report_pages(reports, notebooks_only=True):
        links = downloads(page)
        xlsx = page.with_suffix(".xlsx")
        if not links:
            assert not xlsx.exists(), f"{xlsx.name} without any table in the report"
            continue
        sheets = pd.read_excel(xlsx, sheet_name=None, keep_default_na=False, na_values=[""])
        assert list(sheets) == ["Contents", *(s for s, _, _ in links)], page.name
        for sheet, csv, _ in links:
            pd.testing.assert_frame_equal(
                sheets[sheet], csv, check_dtype=False, obj=f"{page.name} {sheet}"
            )
        contents = pd.read_excel(xlsx, sheet_name="Contents", header=2)
        assert contents["Sheet"].tolist() == [s for s, _, _ in links]


# ------------------------------------------------------------------ PDF
def overflow(pdf_path: Path) -> list[str]:
    """Pages with anything drawn outside the page's printable width.

    Chromium clips what overflows at the page edge, so a cut-off table leaves glyphs in the right
    margin rather than beyond the page: the printable width is the page width less the left
    margin (the smallest x of anything drawn), the same on both sides.
    """
    problems = []
    with pdfplumber.open(pdf_path) as pdf:
        objs = [[*p.chars, *p.rects, *p.images, *p.lines] for p in pdf.pages]
        left = min(o["x0"] for page in objs for o in page)
        for k, (page, drawn) in enumerate(zip(pdf.pages, objs, strict=True), start=1):
            right = max((o["x1"] for o in drawn), default=0)
            if right > page.width - left + 1 or right > page.width:
                problems.append(f"page {k}: content to x={right:.0f} of {page.width:.0f} pt")
    return problems


def test_pdf_of_every_report_fits_a4(chromium, reports, tmp_path):
    for page in report_pages(reports):
        pdf = tmp_path / f"{page.stem}.pdf"
        write_pdf(page, pdf)
        with pdfplumber.open(pdf) as doc:
            assert {(round(p.width), round(p.height)) for p in doc.pages} == {(595, 842)}, page
            text = "\n".join(p.extract_text() or "" for p in doc.pages)
        assert overflow(pdf) == [], page.name
        assert "Download the" not in text, f"{page.name}: controls printed"


def test_pdf_opens_appendices_wraps_wide_tables_and_the_check_catches_overflow(chromium, tmp_path):
    page, _ = small_report(tmp_path, wide=True)
    good = tmp_path / "good.pdf"
    write_pdf(page, good)
    with pdfplumber.open(good) as doc:
        text = "\n".join(p.extract_text() or "" for p in doc.pages)
    assert "Diagnostic table" in text, "the collapsed appendix is missing from the PDF"
    assert "Glossary" in text and "1 / " in text  # end matter and page numbers
    assert overflow(good) == []
    # The same report with wide tables forced onto one line overflows, and the check says so.
    cut = page.with_name("cut.html")
    cut.write_text(
        page.read_text().replace(
            "</head>",
            "<style>@media print { html body.egov-report .jp-RenderedHTMLCommon td,"
            " html body.egov-report .jp-RenderedHTMLCommon th { white-space: nowrap !important;"
            " font-size: 11pt !important; } table { zoom: 1 !important; } }</style></head>",
            1,
        )
    )
    bad = tmp_path / "cut.pdf"
    write_pdf(cut, bad)
    assert overflow(bad), "a table cut off at the margin went unnoticed"
