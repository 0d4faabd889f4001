"""Data overview (notebook 01): sources table, coverage, distributions and computed caveats."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from egovlib import overview  # noqa: E402
from egovlib.readers import readers  # noqa: E402
from egovlib.sources import load_catalogue  # noqa: E402


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
    assert cov.shares.loc["egdi", "All countries"] == pytest.approx(173 / 193)
    assert cov.ref_years.loc["egdi", "n"] == 173


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
    assert (
        "11 of 193 UN member states were not assessed in 2008"
        in c08.loc["Countries not assessed", "text"]
    )
    assert "ranks run from 1 to 182" in c08.loc["Countries not assessed", "text"]
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
    t = overview.method_changes(2010)
    assert set(zip(t["edition"], t["index"], strict=True)) == {
        (2008, "HCI"),
        (2014, "HCI"),
        (2014, "OSI"),
        (2014, "TII"),
    }
    assert t["source"].str.contains("PROVENANCE").all()
    assert (
        t.set_index(["edition", "index"]).loc[(2014, "OSI"), "crossed_comparing_with"]
        == "later editions"
    )


def test_assessment_counts(egdi):
    a = overview.assessment_counts(egdi).set_index("year")
    assert a["not_assessed"].to_dict() == {
        2003: 20,
        2004: 15,
        2005: 14,
        2008: 11,
        2010: 10,
        2012: 3,
        2014: 0,
        2016: 0,
        2018: 0,
        2020: 0,
        2022: 0,
        2024: 0,
    }
    assert "South Sudan" in a.loc[2010, "not_assessed_names"]
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
    assert labels == ["Bahrain (focus)"]  # Montenegro was not assessed in 2003
    assert "not assessed: Montenegro" in " ".join(t.get_text() for t in fig.texts)
    assert ax.get_xlim()[1] > 1.42  # the published 2003 HCI of 1.422 stays visible
    plt.close(fig)
