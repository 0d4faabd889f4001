"""`egov data export`: the cleaned panel as CSV and parquet reads back with the same values."""

from __future__ import annotations

import pandas as pd
import pytest

from egovlib import cli, load_egdi_panel
from egovlib.export import DTYPES, export_data, export_tables, read_export


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    (out / "mine.txt").write_text("a user's file")
    assert cli.main(["data", "export", "--out", str(out)]) == 0
    return out


def test_export_writes_every_table_in_both_formats_and_touches_nothing_else(exported):
    names = sorted(p.name for p in exported.iterdir())
    expected = sorted(f"{n}.{ext}" for n in DTYPES for ext in ("csv", "parquet"))
    assert names == sorted([*expected, "README.md", "mine.txt"])
    assert (exported / "mine.txt").read_text() == "a user's file"


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_round_trips(exported, fmt):
    tables = export_tables()
    for name, df in tables.items():
        back = read_export(exported / f"{name}.{fmt}")
        pd.testing.assert_frame_equal(back, df, check_exact=True)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_exported_panel_has_the_published_values_and_flags(exported, fmt):
    back = read_export(exported / f"egdi_panel.{fmt}")
    assert len(back) == 193 * 12 and back["iso3"].nunique() == 193
    assert sorted(back["year"].unique()) == [
        2003, 2004, 2005, 2008, 2010, 2012, 2014, 2016, 2018, 2020, 2022, 2024
    ]  # fmt: skip
    bhr = back[(back["iso3"] == "BHR") & (back["year"] == 2024)].iloc[0]
    assert bhr["egdi"] == pytest.approx(0.9196, abs=5e-5) and bhr["rank"] == 18
    lib = load_egdi_panel().sort_values(["year", "iso3"], ignore_index=True)
    for col in ("egdi", "osi", "hci", "tii", "epi"):
        pd.testing.assert_series_equal(back[col], lib[col], check_names=False)
    for flag in ("assessed", "hci_above_one"):
        assert back[flag].tolist() == lib[flag].tolist()
    # not assessed: scores missing, never 0; published HCI > 1 kept (Micronesia, Tuvalu 2003)
    assert back.loc[~back["assessed"], "egdi"].isna().all() and (back["egdi"] != 0).all()
    above = back[back["hci_above_one"]]
    assert set(above["iso3"]) >= {"FSM", "TUV"} and (above["hci"] > 1).all()
    assert set(back["source"]) <= set(read_export(exported / f"sources.{fmt}")["id"])


def test_exported_covariates_name_their_source_and_variable(exported):
    cov = read_export(exported / "covariates.csv")
    variables = read_export(exported / "variables.csv")
    assert set(cov["variable"]) == set(variables["name"])
    ids = set(read_export(exported / "sources.csv")["id"])
    direct = cov[~cov["source"].str.contains("+", regex=False)]
    assert set(direct["source"]) <= ids
    assert cov["value"].notna().all()


def test_export_refuses_a_file_as_folder(tmp_path, capsys):
    target = tmp_path / "a_file"
    target.write_text("x")
    assert cli.main(["data", "export", "--out", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ERROR") and "is a file" in err and target.read_text() == "x"


def test_export_one_format(tmp_path):
    written = export_data(tmp_path, ["csv"])
    assert sorted(p.suffix for p in written) == [".csv"] * 4 + [".md"]
