"""The analysis panel: vintage rule, join log, coverage, groups, edition checks."""

from __future__ import annotations

import pandas as pd
import pytest

from egovlib import build_panel, editions, latest_edition, resolve_group
from egovlib.errors import EgovError
from egovlib.panel import apply_vintage_rule, check_editions, coverage_table


def _series(rows):
    return pd.DataFrame(rows, columns=["iso3", "year", "value"])


def test_vintage_rule_latest_year_before_edition():
    s = _series([("AAA", 2019, 1.0), ("AAA", 2021, 2.0), ("AAA", 2022, 3.0), ("BBB", 2010, 9.0)])
    t = pd.DataFrame({"iso3": ["AAA", "AAA", "BBB", "CCC"], "year": [2022, 2020, 2022, 2022]})
    out = apply_vintage_rule(s, t, lag=1, max_age=None)
    assert out["value"].tolist()[:3] == [2.0, 1.0, 9.0]  # 2022 -> ref 2021 (not 2022)
    assert out["ref_year"].tolist()[:3] == [2021, 2019, 2010]
    assert pd.isna(out["value"].iloc[3])  # no data -> missing, never filled
    # The shared default (lag 1, max age 5): BBB's 2010 value is too old for 2022.
    default = apply_vintage_rule(s, t)
    assert default["value"].tolist()[:2] == [2.0, 1.0] and default["value"].isna().tolist()[2:]


def test_vintage_rule_lag_and_max_age():
    s = _series([("AAA", 2015, 1.0), ("AAA", 2022, 3.0)])
    t = pd.DataFrame({"iso3": ["AAA"], "year": [2022]})
    assert apply_vintage_rule(s, t, lag=0)["value"].item() == 3.0
    assert apply_vintage_rule(s, t, lag=1, max_age=None)["value"].item() == 1.0
    assert pd.isna(apply_vintage_rule(s, t, lag=1, max_age=3)["value"].item())
    assert apply_vintage_rule(s, t, lag=1, max_age=6)["ref_year"].item() == 2015


def test_vintage_rule_keeps_target_order_and_ignores_missing_values():
    s = _series([("AAA", 2020, None), ("AAA", 2018, 5.0)])
    t = pd.DataFrame({"iso3": ["BBB", "AAA"], "year": [2024, 2024]})
    out = apply_vintage_rule(s, t)
    assert out["iso3"].tolist() == ["BBB", "AAA"]
    assert out["value"].iloc[1] == 5.0 and out["ref_year"].iloc[1] == 2018


def test_editions_and_unknown_year():
    assert editions() == [2003, 2004, 2005, 2008, 2010, 2012, 2014, 2016, 2018, 2020, 2022, 2024]
    assert latest_edition() == 2024
    with pytest.raises(EgovError, match=r"2023.*Valid editions: 2003, 2004"):
        check_editions([2023])


def test_groups():
    assert resolve_group("GCC") == ["BHR", "KWT", "OMN", "QAT", "SAU", "ARE"]
    assert len(resolve_group("Africa")) == 54
    assert "BHR" in resolve_group("High income") and "BHR" in resolve_group("Western Asia")
    assert resolve_group(["bhr", "TUN"]) == ["BHR", "TUN"]
    with pytest.raises(EgovError, match="unknown country group 'Gulf'.*GCC"):
        resolve_group("Gulf")
    with pytest.raises(EgovError, match="XYZ"):
        resolve_group(["XYZ"])


def test_panel_without_covariates_has_full_index_coverage():
    p = build_panel(2024, covariates=[])
    assert len(p.data) == 193
    assert p.coverage.loc["egdi", "All countries"] == 1.0
    assert p.coverage.loc["egdi", "GCC"] == 1.0
    assert "Vintage rule" in p.log[0]


def test_coverage_table_shares():
    d = pd.DataFrame(
        {
            "iso3": ["BHR", "KWT", "FRA", "DEU"],
            "x": [1.0, None, 2.0, None],
            "region": ["Asia", "Asia", "Europe", "Europe"],
            "income_group": ["High income"] * 4,
        }
    )
    cov = coverage_table(d, ["x"], groups=("GCC",))
    assert cov.loc["x", "All countries"] == 0.5
    assert cov.loc["x", "GCC"] == 0.5 and cov.loc["x", "Europe"] == 0.5


def test_states_not_yet_un_members():
    from egovlib.panel import not_yet_members

    # An edition assesses the states that were members when it was prepared (Montenegro
    # joined in 2006, South Sudan in 2011).
    assert set(not_yet_members(2005)) == {"MNE", "SSD"}
    assert set(not_yet_members(2008)) == {"SSD"} and set(not_yet_members(2010)) == {"SSD"}
    assert not not_yet_members(2012)
    assert "A/RES/65/308" in not_yet_members(2010)["SSD"].citation


def test_vintage_sensitivity_counts_are_consistent():
    from egovlib.panel import vintage_rule_text, vintage_sensitivity

    s = vintage_sensitivity(2024, ["literacy_rate"]).set_index("rule")
    default = s[s["default"]].iloc[0]
    # The shared rule's count is what build_panel gives every report.
    p = build_panel(2024, ["literacy_rate"], coverage_groups=())
    assert default["countries"] == p.data["literacy_rate"].notna().sum()
    assert default.name == vintage_rule_text()
    loose = s.loc[vintage_rule_text(1, None)]
    strict = s.loc[vintage_rule_text(1, 3)]
    # Looser age limits only add values, stricter ones only remove them; same values otherwise.
    assert loose["countries"] == default["countries"] + loose["gained"] and loose["lost"] == 0
    assert strict["countries"] == default["countries"] - strict["lost"] and strict["gained"] == 0
    assert loose["changed"] == strict["changed"] == 0
    assert loose["median_age"] >= default["median_age"] >= strict["median_age"]
    # A 2008 count leaves out South Sudan (not yet a UN member): at most 192 countries.
    assert vintage_sensitivity(2008, ["literacy_rate"])["countries"].max() <= 192


@pytest.mark.parametrize(("lag", "max_age"), [(1, 5), (0, None), (2, 3)])
def test_panel_joins_each_covariate_as_the_vintage_rule_alone_does(lag, max_age):
    """build_panel applies the rule to all covariates in one pass; every column must equal
    `apply_vintage_rule` on that covariate alone (values and reference years, row by row)."""
    from egovlib.panel import covariate_catalogue, load_covariates, load_egdi_panel

    names = ["hdr_gnipc", *[n for n in covariate_catalogue() if n != "hdr_gnipc"]]
    years = [2003, 2008, 2016, 2024]
    p = build_panel(years, covariates=names, lag=lag, max_age=max_age)
    base = load_egdi_panel(years)[["iso3", "year"]]
    long = load_covariates(names)
    assert list(p.data.columns[-len(names) :]) == names
    for name in names:
        one = apply_vintage_rule(long[long["variable"] == name], base, lag=lag, max_age=max_age)
        pd.testing.assert_series_equal(
            p.data[name].reset_index(drop=True), one["value"].rename(name), check_exact=True
        )
        pd.testing.assert_series_equal(
            p.ref_years[name].reset_index(drop=True), one["ref_year"].rename(name)
        )
    # not a comparison of empty columns: nearly every covariate has values under every rule
    assert p.data[names].notna().any().mean() > 0.9


def test_one_pass_vintage_rule_on_a_hand_checked_example_and_a_duplicate_refused():
    """`_vintage_all` (all covariates at once, numpy) equals `apply_vintage_rule` per covariate:
    missing values skipped, countries and covariates without data left empty, target order
    kept; two values for one country and year are an error naming them."""
    from egovlib.panel import _vintage_all

    long = pd.DataFrame(
        {
            "iso3": ["AAA", "AAA", "AAA", "BBB", "AAA", "CCC"],
            "year": [2019, 2021, 2022, 2010, 2020, 2023],
            "variable": ["x", "x", "x", "x", "y", "other"],
            "value": [1.0, 2.0, 3.0, 9.0, None, 4.0],
        }
    )
    targets = pd.DataFrame({"iso3": ["BBB", "AAA", "CCC", "AAA"], "year": [2022, 2022, 2024, 2020]})
    for lag, max_age in ((1, None), (1, 5), (0, 1)):
        out = _vintage_all(long, ["y", "x", "z"], targets, lag, max_age)
        assert out["variable"].tolist() == ["y"] * 4 + ["x"] * 4 + ["z"] * 4
        for name in ("y", "x", "z"):
            one = apply_vintage_rule(
                long[long["variable"] == name], targets, lag=lag, max_age=max_age
            )
            part = out[out["variable"] == name].reset_index(drop=True)
            pd.testing.assert_frame_equal(part.drop(columns="variable"), one)
    assert _vintage_all(long, ["x"], targets, 1, None)["value"].tolist()[:2] == [9.0, 2.0]
    twice = pd.concat([long, long.iloc[[1]]])
    with pytest.raises(EgovError, match="'x' has two values for AAA in 2021"):
        _vintage_all(twice, ["x"], targets, 1, 5)


def test_panel_columns_do_not_depend_on_the_hash_seed(egdi):
    """The covariates are joined in a fixed order: two interpreters with other string-hash seeds
    build the same columns (a set once made the order vary from run to run)."""
    import os
    import subprocess
    import sys

    code = "from egovlib.panel import build_panel; print(','.join(build_panel(2024).data.columns))"
    cols = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(cols) == 1


def test_one_sorted_index_serves_every_rule_of_the_sensitivity(egdi):
    """`vintage_sensitivity` sorts the covariates once and searches per rule: each rule's pick
    from the shared index equals `apply_vintage_rule` on each covariate alone."""
    from egovlib.panel import VINTAGE_ALTERNATIVES, _VintageIndex, load_covariates, load_egdi_panel

    names = ["literacy_rate", "hdr_pop", "hdr_gnipc"]
    long = load_covariates(names)
    targets = load_egdi_panel(2016)[["iso3", "year"]]
    index = _VintageIndex(long, names, targets)
    for lag, max_age in [(1, 5), *VINTAGE_ALTERNATIVES, (1, 5)]:
        got = index.pick(lag, max_age)
        for k, name in enumerate(names):
            block = got.iloc[k * len(targets) : (k + 1) * len(targets)].reset_index(drop=True)
            one = apply_vintage_rule(
                long[long["variable"] == name], targets, lag=lag, max_age=max_age
            )
            pd.testing.assert_series_equal(block["value"], one["value"], check_exact=True)
            pd.testing.assert_series_equal(block["ref_year"], one["ref_year"])
            assert block["value"].notna().sum() > 50  # real values compared, not empty columns


def test_coverage_shares_equal_the_mean_per_group_to_the_last_bit(egdi):
    """The coverage table (one matrix product) equals a `.notna().mean()` per group."""
    p = build_panel([2008, 2024], coverage_groups=("GCC", "Africa"))
    cols = [c for c in p.coverage.index]
    masks = {"All countries": pd.Series(True, index=p.data.index)}
    masks["GCC"] = p.data["iso3"].isin(resolve_group("GCC"))
    masks["Africa"] = p.data["iso3"].isin(resolve_group("Africa"))
    for col in ("region", "income_group"):
        for val in sorted(p.data[col].dropna().unique()):
            masks[val] = p.data[col] == val
    ref = pd.DataFrame({g: p.data.loc[m, cols].notna().mean() for g, m in masks.items()})
    ref.index.name = "variable"
    pd.testing.assert_frame_equal(p.coverage, ref, check_exact=True)
    assert 0 < p.coverage.loc["literacy_rate", "GCC"] < 1  # real shares, not all 0 or 1


def test_remembered_tables_are_copies_and_their_files_still_recorded(egdi, tmp_path, monkeypatch):
    """A caller that changes a loaded table cannot change the next caller's; every call still
    records the files read (the runner's incremental cache needs them from each notebook)."""
    from egovlib import sources
    from egovlib.panel import load_covariates, load_egdi_panel
    from egovlib.readers import variables

    first = load_egdi_panel(2024)
    want = first.copy()
    first.loc[:, "egdi"] = -1.0
    del first["rank"]
    pd.testing.assert_frame_equal(load_egdi_panel(2024), want, check_exact=True)
    cov = load_covariates(["literacy_rate"])
    want = cov.copy()
    cov["value"] = 0.0
    pd.testing.assert_frame_equal(load_covariates(["literacy_rate"]), want, check_exact=True)
    # a remembered table is recorded as read again, from the access log the runner sets
    log = tmp_path / "access.log"
    monkeypatch.setenv(sources.ACCESS_LOG_ENV, str(log))
    load_egdi_panel(2024)
    load_covariates(["literacy_rate"])
    read = sources.read_access_log(log)
    egdi_files = {s.id for s in sources.files_for_reader("egdi")}
    assert egdi_files <= set(read)
    reader = variables()["literacy_rate"].reader
    assert {s.id for s in sources.files_for_reader(reader)} <= set(read)
