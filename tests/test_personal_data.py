"""No GTMI respondent's name, organisation or position reaches a table, the cache or a report.

gtmiwide_clean.csv (World Bank GovTech dataset) carries the names, organisations and job titles of
the government officials who answered the 2022 survey. They are dropped at read time. These tests
take the strings from the raw file and look for them everywhere egovlib writes. Failure messages
give the column and the position of a string, never the string itself.
"""

from __future__ import annotations

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


def _output_text(path: Path) -> str:
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":  # cell outputs are JSON-escaped: decode to the visible text
        nb = json.loads(text)
        parts = []
        for cell in nb.get("cells", []):
            parts.append("".join(cell.get("source", "")))
            for out in cell.get("outputs", []):
                parts.append("".join(out.get("text", "")))
                for v in out.get("data", {}).values():
                    parts.append(
                        v if isinstance(v, str) else "".join(v) if isinstance(v, list) else ""
                    )
        text = "\n".join(parts)
    return re.sub(r"<[^>]+>", " ", text)  # tags may split a name in HTML tables


def test_no_personal_data_in_generated_reports(personal):
    """Every HTML report and executed notebook under outputs/ (when the batch has been run)."""
    outputs = config.OUTPUTS_DIR
    files = sorted([*outputs.rglob("*.html"), *outputs.rglob("*.ipynb")])
    found = {
        str(f.relative_to(outputs)): hits
        for f in files
        if (hits := find_personal(_output_text(f), personal))
    }
    assert found == {}
