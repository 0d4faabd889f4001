"""Bad input on a copied file in a temp data dir: errors name file, column or row, and fix."""

from __future__ import annotations

import pytest

from egovlib import load_table
from egovlib.errors import DataError, DataRootNotFound

EGDI_2022 = "un_egdi_2022"


def _assert_nothing_cached(temp_data, name="egdi"):
    assert not list(temp_data.cache.glob(f"{name}-*.parquet")), "a bad file must not be cached"


def _load_error(temp_data) -> str:
    with pytest.raises(DataError) as info:
        load_table("egdi")
    _assert_nothing_cached(temp_data)
    msg = str(info.value)
    assert "EGOV_DATA_2022.csv" in msg, "the error must name the file at fault"
    assert "Fix:" in msg
    return msg


def test_missing_column(temp_data):
    path = temp_data.path(EGDI_2022)
    lines = path.read_text(encoding="utf-8").splitlines()
    cut = [",".join(line.split(",")[:-1]) for line in lines]  # drop the TII column
    path.write_text("\n".join(cut) + "\n", encoding="utf-8")
    temp_data.set_sha(EGDI_2022)
    msg = _load_error(temp_data)
    assert "EGOV_DATA_2022.csv" in msg
    assert "Telecommunication Infrastructure Index" in msg


def test_renamed_column(temp_data):
    temp_data.edit(EGDI_2022, "Online Service Index", "Online Services Idx")
    msg = _load_error(temp_data)
    assert "Online Service Index" in msg and "EGOV_DATA_2022.csv" in msg


def test_non_numeric_score(temp_data):
    temp_data.edit(EGDI_2022, '"Ireland ",30,0.85670', '"Ireland ",30,n/a')
    msg = _load_error(temp_data)
    assert "`egdi`" in msg and "line 3" in msg and "'n/a'" in msg


def test_conflicting_duplicate_country_year(temp_data):
    path = temp_data.path(EGDI_2022)
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text + '2022,"Ireland ",31,0.85000,0.68180,0.77960,0.96180,0.82870\n', encoding="utf-8"
    )
    temp_data.set_sha(EGDI_2022)
    msg = _load_error(temp_data)
    assert "conflicting duplicate" in msg and "IRL" in msg


def test_exact_duplicates_are_dropped_not_errors(temp_data):
    path = temp_data.path(EGDI_2022)
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines + [lines[5]]) + "\n", encoding="utf-8")
    temp_data.set_sha(EGDI_2022)
    df = load_table("egdi")
    assert (df["year"] == 2022).sum() == 193


def test_unknown_country_name(temp_data):
    temp_data.edit(EGDI_2022, '"Ireland "', '"Irelandia "')
    msg = _load_error(temp_data)
    assert "'Irelandia'" in msg and "country_overrides.yml" in msg and "Country Name" in msg


def test_score_outside_unit_interval(temp_data):
    temp_data.edit(
        EGDI_2022,
        '"Ireland ",30,0.85670,0.68180,0.77960,0.96180',
        '"Ireland ",30,0.85670,0.68180,0.77960,1.96180',
    )
    msg = _load_error(temp_data)
    assert "outside [0, 1]" in msg and "`hci`" in msg and "IRL" in msg and "line 3" in msg


def test_truncated_file(temp_data):
    path = temp_data.path(EGDI_2022)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])  # cut mid-row
    temp_data.set_sha(EGDI_2022)
    msg = _load_error(temp_data)
    assert "EGOV_DATA_2022.csv" in msg


def test_checksum_mismatch(temp_data):
    path = temp_data.path(EGDI_2022)
    path.write_text(
        path.read_text(encoding="utf-8").replace("0.85670", "0.85671"), encoding="utf-8"
    )
    with pytest.raises(DataError) as info:
        load_table("egdi")
    msg = str(info.value)
    assert "checksum mismatch" in msg and "EGOV_DATA_2022.csv" in msg and "Fix:" in msg
    _assert_nothing_cached(temp_data)


def test_missing_file(temp_data):
    temp_data.path(EGDI_2022).unlink()
    with pytest.raises(DataError) as info:
        load_table("egdi")
    assert "missing" in str(info.value) and "publicadministration.un.org" in str(info.value)


def test_edition_not_in_catalogue(temp_data):
    temp_data.edit(EGDI_2022, "\n2022,", "\n2021,")
    msg = _load_error(temp_data)
    assert "2021" in msg and "editions" in msg


def test_no_data_root_names_three_places(tmp_path, monkeypatch):
    from egovlib import config, sources

    monkeypatch.delenv("EGOV_DATA_DIR", raising=False)
    monkeypatch.setattr(config, "REPO_DATA_DIR", tmp_path / "repo_raw")
    monkeypatch.setattr(config, "SHARED_DATA_DIR", tmp_path / "shared_raw")
    with pytest.raises(DataRootNotFound) as info:
        sources.data_root()
    msg = str(info.value)
    assert "EGOV_DATA_DIR" in msg and "repo_raw" in msg and "shared_raw" in msg
    assert "data/README.md" in msg


def test_data_dir_env_must_exist(tmp_path, monkeypatch):
    from egovlib import sources

    monkeypatch.setenv("EGOV_DATA_DIR", str(tmp_path / "nope"))
    with pytest.raises(DataRootNotFound, match="does not exist"):
        sources.data_root()


def test_data_root_order(tmp_path, monkeypatch):
    from egovlib import config, sources

    repo_raw = tmp_path / "repo_raw"
    (repo_raw / "un_egov_survey").mkdir(parents=True)
    monkeypatch.setattr(config, "REPO_DATA_DIR", repo_raw)
    monkeypatch.delenv("EGOV_DATA_DIR", raising=False)
    assert sources.data_root() == repo_raw.resolve()
    monkeypatch.setenv("EGOV_DATA_DIR", str(tmp_path))
    assert sources.data_root() == tmp_path.resolve()


def test_schema_violation_names_the_file_of_the_failing_row(tmp_path):
    import pandas as pd

    from egovlib.readers import validate
    from egovlib.schemas import LONG
    from egovlib.sources import load_catalogue

    cat = load_catalogue()
    a, b = cat["owid_literacy"], cat["coursera_gsi"]
    files = [(a, tmp_path / "a.csv"), (b, tmp_path / "b.csv")]
    df = pd.DataFrame(
        {
            "iso3": ["BHR", "bh"],
            "year": [2020, 2020],
            "variable": ["x", "x"],
            "value": [1.0, 2.0],
            "source": [a.id, b.id],
        }
    )
    with pytest.raises(DataError) as info:
        validate(df, LONG, files)
    msg = str(info.value)
    assert msg.startswith(f"{tmp_path / 'b.csv'}:") and "a.csv" not in msg
    assert "`iso3`" in msg and "'bh'" in msg and f"file={b.id}" in msg
