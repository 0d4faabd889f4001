"""A new survey year: one file in the data folder + one catalogue entry -> panel and batch run."""

from __future__ import annotations

import json

import nbformat
import pandas as pd
import pytest
import yaml

from egovlib import cli, editions, latest_edition, load_egdi_panel
from egovlib.sources import sha256_of

#: The 2022 Data Center columns and their names in the 2024 layout (the layout of new files).
TO_2024_NAMES = {
    "Survey Year": "Survey Year",
    "Country Name": "Country",
    "E-Government Rank": "Rank",
    "E-Government Index": "E_Index",
    "E-Participation Index": "E_Participation",
    "Online Service Index": "Online_Service",
    "Human Capital Index": "Human_Capital",
    "Telecommunication Infrastructure Index": "Tele_Infra",
}
NEW_YEAR = 2026


@pytest.fixture
def edition_2026(temp_data):
    """A temp data dir where the 2022 file, renamed to the 2024 layout, is registered as 2026."""
    src = temp_data.path("un_egdi_2022")
    raw = pd.read_csv(src, dtype=str, keep_default_na=False)
    assert list(raw.columns) == list(TO_2024_NAMES), "the 2022 file changed layout"
    new = raw.rename(columns=TO_2024_NAMES)
    new["Survey Year"] = str(NEW_YEAR)
    new["Region"] = "n/a"  # the 2024 layout carries a (wrong) Region column; the reader drops it
    rel = f"un_egov_survey/EGOV_DATA_{NEW_YEAR}.csv"
    dest = temp_data.root / rel
    new.to_csv(dest, index=False)
    # The documented procedure: one new entry in data/sources.yml (here: the temp catalogue).
    doc = yaml.safe_load(temp_data.catalogue.read_text())
    doc["files"][f"un_egdi_{NEW_YEAR}"] = {
        "path": rel,
        "publisher": "UN DESA (test copy of the 2022 file)",
        "title": f"UN E-Government Survey {NEW_YEAR} (test)",
        "url": "https://example.org",
        "licence": "test",
        "years": [NEW_YEAR],
        "editions": [NEW_YEAR],
        "sha256": sha256_of(dest),
        "reader": "egdi",
    }
    temp_data.catalogue.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    return temp_data


def test_panel_gains_the_new_edition(edition_2026):
    assert NEW_YEAR in editions() and latest_edition() == NEW_YEAR
    new = load_egdi_panel(NEW_YEAR).set_index("iso3")
    old = load_egdi_panel(2022).set_index("iso3")
    assert len(new) == 193 and set(new.index) == set(old.index)
    cols = ["rank", "egdi", "osi", "hci", "tii", "epi"]
    pd.testing.assert_frame_equal(new.loc[old.index, cols], old[cols], check_dtype=False)
    assert new.loc["BHR", "egdi"] == old.loc["BHR", "egdi"]


def test_batch_runs_on_the_new_edition(edition_2026, tmp_path):
    out = tmp_path / "out"
    rc = cli.main(["run", "--year", str(NEW_YEAR), "--notebooks", "01", "--out", str(out)])
    assert rc == 0, list(out.glob("*"))
    pub = out / str(NEW_YEAR)
    m = json.loads((pub / "manifest.json").read_text())
    assert m["survey_edition"] == NEW_YEAR
    assert m["notebooks"][0]["parameters"]["year"] == NEW_YEAR
    used = {f["id"]: f for f in m["data_files"]}
    assert used[f"un_egdi_{NEW_YEAR}"]["sha256"] == sha256_of(
        edition_2026.root / used[f"un_egdi_{NEW_YEAR}"]["path"]
    )
    (nb_path,) = pub.glob("01_*.ipynb")
    nb = nbformat.read(nb_path, as_version=4)
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert str(NEW_YEAR) in nb_path.with_suffix(".html").read_text()


def test_new_edition_default_is_latest(edition_2026, capsys):
    # `egov run` without --year would now run 2026; an unknown year lists 2026 among the valid.
    assert cli.main(["run", "--year", "2023", "--notebooks", "01"]) == 2
    assert f"2024, {NEW_YEAR}" in capsys.readouterr().err
