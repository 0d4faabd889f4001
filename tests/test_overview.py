"""Data overview (notebook 01): sources table, coverage, distributions and computed caveats."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from egovlib import overview  # noqa: E402
from egovlib.errors import EgovError  # noqa: E402
from egovlib.readers import readers  # noqa: E402
from egovlib.sources import load_catalogue  # noqa: E402
from egovlib.vocabulary import INDICES  # noqa: E402


def test_sources_table_lists_every_catalogue_entry():
    t = overview.sources_table()
    cat = load_catalogue()
    assert t["id"].tolist() == list(cat)
    assert set(t["status"]) <= {"read", "cross-check", "not read"}
    regs = readers()
    for _, row in t.iterrows():
        src = cat[row["id"]]
        assert row["publisher"] == src.publisher and row["licence"] == src.licence
        if src.reader is None:
            assert row["status"] == "not read" and row["reason"]  # the catalogue says why
        elif src.reader not in regs:
            assert row["status"] == "not read" and "not implemented" in row["reason"]
        else:
            assert row["status"] in {"read", "cross-check"}
    assert t.set_index("id").loc["un_egdi_2024", "status"] == "read"
    assert t.set_index("id").loc["un_egdi_2020_undp", "status"] == "cross-check"


@pytest.fixture(scope="module")
def cov2024():
    return overview.coverage(2024)


def test_coverage_shares_and_groups(cov2024):
    s = cov2024.shares
    assert ((s >= 0) & (s <= 1)).all().all()
    assert s.loc[["egdi", "osi", "hci", "tii", "epi"]].eq(1.0).all().all()  # all assessed in 2024
    assert list(s.columns[:2]) == ["All countries", "GCC"]
    assert cov2024.group_sizes["All countries"] == 193 and cov2024.group_sizes["GCC"] == 6
    # Every covariate that exists now is a row (new readers are picked up automatically).
    assert set(overview.available_covariates()) <= set(s.index)
    # Reference years obey the vintage rule (<= survey year - 1).
    refs = cov2024.ref_years.drop(["egdi", "osi", "hci", "tii", "epi"])
    assert (refs["ref_max"].dropna() <= 2023).all()


def test_coverage_2003_counts_unassessed():
    cov = overview.coverage(2003, covariates=[])
    # 191 UN member states in 2003 (Montenegro joined in 2006, South Sudan in 2011).
    assert cov.group_sizes["All countries"] == 191
    assert cov.shares.loc["egdi", "All countries"] == pytest.approx(173 / 191)
    assert cov.ref_years.loc["egdi", "n"] == 173


def test_selected_countries_column_for_a_code_list():
    codes = ["DZA", "LBY", "MAR", "MRT", "TUN"]
    cov = overview.coverage(2024, groups=[codes], covariates=["literacy_rate"])
    assert cov.shares.columns[1] == overview.SELECTED_GROUP
    assert cov.group_sizes[overview.SELECTED_GROUP] == 5
    text = overview.coverage_prose(cov, overview.SELECTED_GROUP)
    assert "the selected countries (5 countries)" in text and "DZA" not in text


def test_sources_speak_of_the_edition():
    t = overview.sources_table(2008).set_index("id")
    assert t.loc["un_egdi_2024", "for_edition"] == "later"  # a later edition's file
    assert t.loc["un_egdi_2003_2020", "for_edition"] == "used"
    assert t.loc["oxford_gairi_2020", "for_edition"] == "later"  # AI readiness starts in 2019
    assert t.loc["owid_tertiary", "for_edition"] == "used"  # 1970-2015 covers 2002-2007
    assert overview.sources_table(2024).set_index("id").loc["owid_tertiary", "for_edition"] == (
        "too old"  # ends 2015, older than 2024 - 1 - 5
    )
    shown = overview.sources_compact(overview.sources_table(2008))
    assert "un_egdi_2024" not in shown.attrs["catalogue_ids"]
    assert "un_egdi_2003_2020" in shown.attrs["catalogue_ids"]
    # No internal code is shown: no catalogue id column, no id in any cell.
    assert "Catalogue id" not in shown.columns
    assert not shown.isin(shown.attrs["catalogue_ids"]).any().any()


def test_reference_year_table_has_readable_headers_and_no_empty_rows():
    cov = overview.coverage(2008)
    t = overview.reference_year_table(cov)
    assert "Name in egovlib" not in t.columns and not any("_" in c for c in t.columns)
    assert (t["Countries with a value"] > 0).all()
    n_empty = int((cov.ref_years["n"] == 0).sum())
    assert n_empty > 0 and t.attrs["n_without_value"] == n_empty
    assert f"{n_empty} variables with no value" in overview.reference_year_caption(t, 2008, "r")


def test_egdi_departures_match_published_facts(egdi):
    d = overview.egdi_departures(egdi).set_index("year")
    assert d.loc[2008, "iso3"] == "CMR"
    assert d.loc[2008, "max_abs"] == pytest.approx(0.0136, abs=5e-4)
    assert 0.003 < d.loc[2008, "second_abs"] < 0.0045
    assert 0.003 < d.loc[2010, "max_abs"] < 0.0045
    assert (d.loc[[2008, 2010], "share_departing"] > 0.5).all()
    assert (d.drop([2008, 2010])["max_abs"] < 1e-4).all()


def test_caveats_are_computed(egdi, cov2024):
    c08 = overview.caveats(2008, egdi=egdi).set_index("topic")
    text = c08.loc["Published EGDI vs mean of its components", "text"]
    assert (
        "up to 0.014 (Cameroon)" in text
        and c08.loc["Published EGDI vs mean of its components", "applies"]
    )
    assert "2010" not in text  # a 2008 report does not quote the 2010 edition
    not_assessed = c08.loc["Countries not assessed", "text"]
    # South Sudan (UN member from 2011) is not yet a member, not "not assessed".
    assert "10 of 192 UN member states were not assessed in 2008" in not_assessed
    assert "South Sudan" not in not_assessed.split("(")[1].split(")")[0]
    assert "2008: South Sudan" in not_assessed
    assert "ranks run from 1 to 182" in not_assessed
    # Only the method changes known in 2008.
    meth = c08.loc["Methodology changes between editions", "text"]
    assert "2014" not in meth and "HCI definition changed (2008)" in meth
    c03 = overview.caveats(2003, egdi=egdi).set_index("topic")
    assert c03.loc["Published values above 1", "applies"]
    assert (
        "Micronesia (Federated States of) HCI 1.422 (2003)"
        in c03.loc["Published values above 1", "text"]
    )
    c24 = overview.caveats(2024, cov2024, egdi).set_index("topic")
    assert not c24.loc["Countries not assessed", "applies"]
    assert not c24.loc["Published EGDI vs mean of its components", "applies"]
    e24 = egdi[egdi["year"] == 2024]
    top_tii = e24.loc[e24["tii"].idxmax(), "country"]
    assert f"TII {e24['tii'].min():.3f}" in c24.loc["Relative scoring within an edition", "text"]
    assert (
        f"{e24['tii'].max():.3f} ({top_tii})"
        in c24.loc["Relative scoring within an edition", "text"]
    )
    meth = c24.loc["Methodology changes between editions", "text"]
    assert "with editions before 2014 crosses the 2014 change (HCI, OSI and TII)" in meth


def test_method_changes_table_is_cited():
    t = overview.method_changes()
    assert set(zip(t["edition"], t["index"], strict=True)) == {
        (2008, "HCI"),
        (2014, "HCI"),
        (2014, "OSI"),
        (2014, "TII"),
    }
    assert t["source"].str.contains("PROVENANCE").all()
    # A report for 2010 knows the 2008 change only.
    t10 = overview.method_changes(up_to=2010)
    assert list(zip(t10["edition"], t10["index"], strict=True)) == [(2008, "HCI")]
    assert overview.method_changes(up_to=2005).empty


def test_assessment_counts(egdi):
    a = overview.assessment_counts(egdi).set_index("year")
    # Montenegro (2006) and South Sudan (2011) are not yet members before they joined.
    assert a["members"].to_dict()[2005] == 191 and a["members"].to_dict()[2010] == 192
    assert a.loc[2005, "not_yet_members"] == "Montenegro, South Sudan"
    assert (a["assessed"] + a["not_assessed"] == a["members"]).all()
    assert a["not_assessed"].to_dict() == {
        2003: 18,
        2004: 13,
        2005: 12,
        2008: 10,
        2010: 9,
        2012: 3,
        2014: 0,
        2016: 0,
        2018: 0,
        2020: 0,
        2022: 0,
        2024: 0,
    }
    assert "South Sudan" not in a.loc[2010, "not_assessed_names"]
    assert a.loc[2010, "not_yet_members"] == "South Sudan"
    assert overview.assessment_counts(egdi, up_to=2008)["year"].max() == 2008
    assert overview.level_counts(2024, egdi).to_dict() == {
        "Very High": 76,
        "High": 62,
        "Middle": 44,
        "Low": 11,
    }


def test_distribution_figure_marks_group(egdi):
    fig = overview.plot_distributions(2003, ["BHR", "MNE"], "BHR", egdi)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["Bahrain (focus)"]  # Montenegro joined the UN in 2006
    assert "not yet a UN member: Montenegro" in " ".join(t.get_text() for t in fig.texts)
    assert ax.get_xlim()[1] > 1.42  # the published 2003 HCI of 1.422 stays visible
    plt.close(fig)


def _all_text(ov) -> str:
    cav = overview.caveats(ov.year, ov.coverage, ov.egdi)
    parts = [
        *overview.key_findings(ov),
        overview.sources_prose(ov),
        overview.coverage_prose(ov.coverage, ov.group_column),
        overview.assessment_prose(ov),
        overview.distributions_alt(ov),
        overview.caveats_markdown(cav),
        overview.vintage_prose(ov.vintage, ov.year),
        *(
            overview.coverage_by_group_caption(ov.coverage, t)
            for t in overview.coverage_themes(ov.coverage, with_data=True)
        ),
        *(
            " ".join(overview.coverage_by_group(ov.coverage, t)["Variable"])
            for t in overview.coverage_themes(ov.coverage, with_data=True)
        ),
    ]
    return "\n".join(parts)


@pytest.fixture(scope="module")
def ov2008():
    return overview.data_overview(2008, ["DZA", "LBY", "MAR", "MRT", "TUN"], "TUN")


def test_a_2008_overview_speaks_of_its_own_time_and_not_of_the_gcc(ov2008):
    import re

    text = _all_text(ov2008)
    # Years in the text, except price bases of units ("2017 PPP $"): the values are still of
    # reference years before 2008.
    years = {int(y) for y in re.findall(r"\b(?:19|20)\d\d\b(?! PPP)", text)}
    assert years and max(years) <= 2008, sorted(y for y in years if y > 2008)
    assert "GCC" not in text and "Bahrain" not in text and "DZA" not in text
    assert "the selected countries" in text
    assert ov2008.egdi["year"].max() == 2008 and ov2008.counts["year"].max() == 2008
    assert ov2008.departures["year"].max() == 2008
    # South Sudan, a UN member from 2011, is not counted in 2008: 192 member states.
    assert "182 of the 192 UN member states" in overview.key_findings(ov2008)[0]
    # Level groups of 2008 are today's thresholds, said so.
    assert "applied retroactively" in overview.assessment_prose(ov2008)
    # The published EGDI of 2008 is not the mean of its components: a key finding.
    assert any("Cameroon" in f for f in overview.key_findings(ov2008))
    assert 3 <= len(overview.key_findings(ov2008)) <= 5


def test_vintage_table_matches_the_sensitivity_counts(ov2008):
    sens = ov2008.vintage
    t = overview.vintage_table(sens)
    base = sens[sens["default"]].set_index("variable")
    lit = t[t["Variable"] == overview.variable_info("literacy_rate")["label"]].iloc[0]
    assert lit["Countries (shared rule)"] == base.loc["literacy_rate", "countries"]
    loose = sens[(sens["variable"] == "literacy_rate") & sens["max_age"].isna()].iloc[0]
    assert lit["Countries (no age limit)"] == loose["countries"]
    assert loose["countries"] == base.loc["literacy_rate", "countries"] + loose["gained"]
    # Rows without any value under any rule (data that start later) are left out.
    assert (t.filter(like="Countries (").sum(axis=1) > 0).all()
    assert (t["Countries (shared rule)"] <= 192).all()


def test_coverage_tables_by_theme(cov2024):
    """One table per theme with data: its variables, the % of each group's UN member states
    with a value, headed by the group and its size."""
    tables = {t: overview.coverage_by_group(cov2024, t) for t in overview.coverage_themes(cov2024)}
    assert sum(len(t) for t in tables.values()) == len(cov2024.shares)
    ai = tables["ai"]
    shares = overview.coverage_share_columns(ai)
    assert shares[:2] == ["All countries (n=193)", "GCC (n=6)"]
    assert len(shares) == cov2024.shares.shape[1]
    expected = cov2024.shares.loc[overview._theme_names(cov2024, "ai")].to_numpy() * 100
    assert (ai[shares].to_numpy() == expected).all()
    labels = cov2024.ref_years.loc[overview._theme_names(cov2024, "ai"), "label"]
    assert ai["Variable"].tolist() == labels.tolist()
    caption = overview.coverage_by_group_caption(cov2024, "ai")
    assert caption.startswith("Data coverage for the 2024 edition: AI readiness (% of the UN")
    with pytest.raises(EgovError, match="no variables with theme 'sports'"):
        overview.coverage_by_group(cov2024, "sports")


@pytest.mark.parametrize("year", [2003, 2024])
def test_reference_years_equal_a_pandas_computation_per_variable(egdi, year):
    """`coverage`'s reference years (numpy per variable) equal pandas' min, max and mode."""
    from egovlib import build_panel
    from egovlib.panel import not_yet_members

    cov = overview.coverage(year)
    panel = build_panel(year, overview.available_covariates(), coverage_groups=())
    members = ~panel.data["iso3"].isin(list(not_yet_members(year)))
    data, refs = panel.data[members], panel.ref_years[members]
    for name, row in cov.ref_years.iterrows():
        if name in INDICES:
            used = pd.Series(year, index=data.index).where(data[name].notna())
        else:
            used = refs[name].where(data[name].notna())
        used = used.dropna().astype(int)
        assert row["n"] == data[name].notna().sum()
        if len(used):
            assert (row["ref_min"], row["ref_max"]) == (used.min(), used.max())
            assert row["ref_mode"] == used.mode().min()
        else:
            assert pd.isna(row["ref_min"]) and pd.isna(row["ref_mode"])
    assert cov.ref_years["n"].gt(0).sum() > 10  # real reference years compared


def test_coverage_tables_per_theme_equal_a_lookup_per_variable(egdi, cov2024):
    """The coverage tables (themes and labels looked up at once) list, per theme, the same
    variables and labels as one `.loc` per variable."""
    refs = cov2024.ref_years
    for theme in [None, *overview.coverage_themes(cov2024)]:
        names = [n for n in cov2024.shares.index if theme is None or refs.loc[n, "theme"] == theme]
        assert overview._theme_names(cov2024, theme) == names
        t = overview.coverage_by_group(cov2024, theme)
        assert t["Variable"].tolist() == [refs.loc[n, "label"] for n in names]
        assert len(t) == len(names) > 0
