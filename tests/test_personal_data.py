"""No GTMI respondent's name, organisation or position reaches a table, the cache or a report.

gtmiwide_clean.csv (World Bank GovTech dataset) carries the names, organisations and job titles of
the government officials who answered the 2022 survey. They are dropped at read time. These tests
take the strings from the raw file and look for them everywhere egovlib writes. Failure messages
give the column and the position of a string, never the string itself.
"""

from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from egovlib import config
from egovlib.readers import load_table, readers
from egovlib.readers.gtmi import PERSONAL_COLUMNS
from egovlib.sources import files_for_reader, load_catalogue, verified_path

PLACEHOLDERS = {"", "-", "NA", "N/A"}
#: Organisation/position strings at least this long and of several words are distinctive enough
#: to search for inside report text (short ones such as "MOF" or "Director" would match anything).
MIN_FREE_TEXT_LEN = 20


@pytest.fixture(scope="module")
def personal() -> dict[str, list[str]]:
    """Distinct respondent strings per personal column, read from the raw file."""
    path = verified_path(load_catalogue()["gtmi_indicators"])
    raw = pd.read_csv(
        path, dtype=str, keep_default_na=False, usecols=["Submitted by", "Organization", "Position"]
    )
    out = {}
    for col in raw.columns:
        values = {v.strip() for v in raw[col]} - PLACEHOLDERS
        out[col] = sorted(values)
    assert len(out["Submitted by"]) > 100  # the file does hold respondents (2022)
    return out


def _patterns(personal: dict[str, list[str]]) -> list[tuple[str, int, re.Pattern]]:
    """Names always; organisations and positions when long enough to be distinctive."""
    pats = []
    for col, values in personal.items():
        for i, v in enumerate(values):
            if col == "Submitted by" or (len(v) >= MIN_FREE_TEXT_LEN and " " in v):
                words = [re.escape(w) for w in v.split()]
                pats.append((col, i, re.compile(r"\s+".join(words), re.IGNORECASE)))
    return pats


def find_personal(text: str, personal: dict[str, list[str]]) -> list[str]:
    """Where personal strings occur in ``text``, as ``column #index`` (never the string)."""
    return [f"{col} #{i}" for col, i, pat in _patterns(personal) if pat.search(text)]


def find_in_table(df: pd.DataFrame, personal: dict[str, list[str]]) -> list[str]:
    """Personal strings in a table: any cell equal to one, or containing a respondent's name."""
    exact = {
        v.casefold(): f"{col} #{i}" for col, vals in personal.items() for i, v in enumerate(vals)
    }
    hits = []
    for c in df.columns:
        if not (df[c].dtype == object or pd.api.types.is_string_dtype(df[c])):
            continue
        cells = df[c].dropna().astype(str).str.strip().unique()
        hits += [f"column {c!r}: {exact[v.casefold()]}" for v in cells if v.casefold() in exact]
        names = {"Submitted by": personal["Submitted by"]}
        hits += [f"column {c!r}: {h}" for h in find_personal("\n".join(cells), names)]
    return hits


def gtmi_readers() -> list[str]:
    """Every reader fed by a file in the GTMI folder (the only source of the personal data)."""
    return sorted(
        name
        for name in readers()
        if any(s.path.startswith("wb_govtech_gtmi/") for s in files_for_reader(name))
    )


def test_scanner_finds_a_planted_name(personal, tmp_path):
    """The scan itself works: a name written into a table or an HTML page is caught."""
    name = personal["Submitted by"][0]
    table = pd.DataFrame({"iso3": ["BHR"], "note": [f"reviewed by {name.upper()}"]})
    assert find_in_table(table, personal) == ["column 'note': Submitted by #0"]
    org = next(o for o in personal["Organization"] if len(o) >= MIN_FREE_TEXT_LEN and " " in o)
    html = f"<p>Source: {org.replace(' ', '  ')}</p>"
    assert find_personal(html, personal)
    assert not find_personal("<p>Denmark ranks first; Bahrain 18th.</p>", personal)


def test_personal_columns_are_never_parsed():
    from egovlib.readers import gtmi

    for col in (
        "Submitted by",
        "Organization",
        "Position",
        "Additional clarification",
        "Attach-1",
        "Supporting documents",
    ):
        assert col in PERSONAL_COLUMNS
    with pytest.raises(Exception, match="personal-data"):
        gtmi.read_gtmiwide(verified_path(load_catalogue()["gtmi_indicators"]), ["Position"])


def test_no_personal_data_in_reader_tables(personal):
    names = gtmi_readers()
    assert {"gtmi_groups", "gtmi_indicators"} <= set(names)
    for name in names:
        assert find_in_table(load_table(name), personal) == [], name


def test_no_personal_data_in_the_parquet_cache(personal):
    for name in gtmi_readers():
        load_table(name)  # make sure their cache files exist
    files = sorted(config.cache_dir().glob("*.parquet"))
    assert files
    for f in files:
        assert find_in_table(pd.read_parquet(f), personal) == [], f.name


#: File types a batch writes that hold no text to scan (figures are embedded as PNG images).
BINARY_OUTPUTS = {".png", ".pdf", ".lock"}
_DATA_URI = re.compile(
    r"data:(text/[\w.+-]+|application/json)(?:;[\w=-]+)*;base64,([A-Za-z0-9+/=]+)"
)


def _output_text(path: Path) -> str:
    """The text a reader could see or download in one output file.

    HTML: visible text (tags removed, entities decoded) plus every embedded text download
    (the base64 CSV behind each table); notebooks: cell sources, outputs and output metadata
    (the report's table data); workbooks: every cell; JSON, CSV and text files as they are.
    """
    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True)
        cells = [
            str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row
        ]
        return "\n".join(c for c in cells if c != "None")
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":  # cell outputs are JSON-escaped: decode to the visible text
        nb = json.loads(text)
        parts = []
        for cell in nb.get("cells", []):
            parts.append("".join(cell.get("source", "")))
            for out in cell.get("outputs", []):
                parts.append("".join(out.get("text", "")))
                parts.append(json.dumps(out.get("metadata", {}), ensure_ascii=False))
                for v in out.get("data", {}).values():
                    parts.append(
                        v if isinstance(v, str) else "".join(v) if isinstance(v, list) else ""
                    )
        text = "\n".join(parts)
    if path.suffix in (".html", ".ipynb"):
        downloads = [
            base64.b64decode(m.group(2)).decode("utf-8", "replace")
            for m in _DATA_URI.finditer(text)
        ]
        text = html.unescape(re.sub(r"<[^>]+>", " ", text))  # tags may split a name in tables
        text = "\n".join([text, *downloads])
    return text


@pytest.fixture(scope="module")
def batch_reports(request, tmp_path_factory) -> Path:
    """The reports of a real batch run for 2024 (every notebook), as `egov run` publishes them.

    Uses the session's real batch when the suite provides one (fixture `real_batch`, shared
    with the runner and browser tests); otherwise runs ``egov run --year 2024`` into a
    temporary folder here (about a minute with a warm cache).
    """
    try:
        out = request.getfixturevalue("real_batch")
    except pytest.FixtureLookupError:
        from egovlib import cli

        out = tmp_path_factory.mktemp("personal-data-batch")
        assert cli.main(["run", "--year", "2024", "--out", str(out)]) == 0
    reports = out / "2024"
    notebooks = sorted(p.stem for p in config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
    published = sorted(p.stem for p in reports.glob("[0-9][0-9]_*.html") if "." not in p.stem)
    assert published == notebooks, "the batch must publish every notebook's report"
    return out


def test_scanner_reads_downloads_and_workbooks(personal, tmp_path):
    """A name hidden in a table's CSV download (base64) or in a workbook cell is found."""
    name = personal["Submitted by"][0]
    csv = base64.b64encode(f"iso3,reviewer\nBHR,{name}\n".encode()).decode()
    page = tmp_path / "r.html"
    page.write_text(f'<a href="data:text/csv;charset=utf-8;base64,{csv}">CSV</a>')
    assert find_personal(_output_text(page), personal)
    from openpyxl import Workbook

    wb = Workbook()
    wb.active["B2"] = name
    wb.save(tmp_path / "r.xlsx")
    assert find_personal(_output_text(tmp_path / "r.xlsx"), personal)


def test_no_personal_data_in_a_real_batch(personal, batch_reports):
    """Every file a real batch publishes: HTML reports and their downloads, executed notebooks,
    workbooks, the brief's JSON, the manifest and the index pages."""
    files = sorted(p for p in batch_reports.rglob("*") if p.is_file())
    scanned = [f for f in files if f.suffix not in BINARY_OUTPUTS]
    assert {f.suffix for f in scanned} >= {".html", ".ipynb", ".xlsx", ".json"}
    texts = {str(f.relative_to(batch_reports)): _output_text(f) for f in scanned}
    # The GTMI data (the file that carries the names) did reach the reports: the scan means
    # something.
    assert any("GovTech" in t for t in texts.values())
    found = {name: hits for name, t in texts.items() if (hits := find_personal(t, personal))}
    assert found == {}
