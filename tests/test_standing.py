"""Group benchmark (notebook 02): published ranks, hand-checked arithmetic, prose and errors."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from egovlib import plots, standing  # noqa: E402
from egovlib.errors import EgovError  # noqa: E402


def tiny_panel(rows: list[dict]) -> pd.DataFrame:
    """A hand-made EGDI panel with the columns of `load_egdi_panel` (real ISO3 codes)."""
    df = pd.DataFrame(rows)
    df["assessed"] = df["egdi"].notna()
    df["rank"] = df["rank"].astype("Int64")
    for col in ("epi",):
        if col not in df:
            df[col] = np.nan
    df["level_group"] = "High"
    df["region"], df["subregion"], df["income_group"] = "Asia", "Western Asia", "High income"
    df["country"] = df["iso3"]
    return df


# ------------------------------------------------------------------------------ published facts
def test_gcc_2024_ranks_and_table(egdi):
    t = standing.group_table(2024, "GCC", "BHR", egdi)
    assert t["iso3"].tolist() == ["SAU", "ARE", "BHR", "OMN", "QAT", "KWT"]
    assert t["rank"].tolist() == [6, 11, 18, 41, 53, 66]
    assert (t["n_assessed"] == 193).all() and t["in_group"].all()
    assert (t["level_group"] == "Very High").all()
    bhr = t.set_index("iso3").loc["BHR"]
    assert bhr["egdi"] == pytest.approx(0.9196, abs=1e-4)
    # Very High runs 0.75-1 in four classes of 0.0625: 0.9196 lies in [0.875, 0.9375) = V3.
    assert bhr["rating_class"] == "V3"
    # Component ranks: 1 + number of assessed countries with a strictly higher score (min ties).
    e24 = egdi[egdi["year"] == 2024]
    for col in ("osi", "hci", "tii", "epi"):
        assert bhr[f"{col}_rank"] == 1 + int((e24[col] > bhr[col]).sum())
    assert t.set_index("iso3").loc["ARE", "tii_rank"] == 1  # UAE has the top TII (1.0) in 2024


def test_component_ranks_ties_share_min_rank():
    ed = tiny_panel(
        [
            {
                "iso3": "BHR",
                "year": 2024,
                "rank": 1,
                "egdi": 0.9,
                "osi": 0.8,
                "hci": 0.5,
                "tii": 0.9,
            },
            {
                "iso3": "DNK",
                "year": 2024,
                "rank": 2,
                "egdi": 0.8,
                "osi": 0.8,
                "hci": 0.7,
                "tii": 0.9,
            },
            {
                "iso3": "TUN",
                "year": 2024,
                "rank": 3,
                "egdi": 0.7,
                "osi": 0.6,
                "hci": 0.7,
                "tii": 0.9,
            },
            {
                "iso3": "KWT",
                "year": 2024,
                "rank": pd.NA,
                "egdi": np.nan,
                "osi": np.nan,
                "hci": 0.99,
                "tii": np.nan,
            },
        ]
    ).set_index("iso3")
    r = standing.component_ranks(ed, ["osi", "hci", "tii"])
    assert r["osi_rank"].tolist() == [1, 1, 3, pd.NA]
    assert r["tii_rank"].tolist() == [1, 1, 1, pd.NA]
    # KWT's HCI is published but it was not assessed: it is not ranked and does not push others.
    assert r["hci_rank"].tolist()[:3] == [3, 1, 1] and pd.isna(r["hci_rank"].iloc[3])


# ------------------------------------------------------------------------------ arithmetic
def test_decomposition_hand_checked():
    before = pd.Series({"egdi": 0.50, "osi": 0.40, "hci": 0.60, "tii": 0.50, "rank": 20})
    after = pd.Series({"egdi": 0.61, "osi": 0.70, "hci": 0.60, "tii": 0.50, "rank": 12})
    d = standing.decompose_change(before, after)
    assert d["egdi_change"] == pytest.approx(0.11)
    assert d["contributions"].to_dict() == pytest.approx({"osi": 0.10, "hci": 0.0, "tii": 0.0})
    # The published EGDI rose 0.11 but the component mean only 0.10: residual 0.01.
    assert d["residual"] == pytest.approx(0.01)
    assert d["rank_change"] == 8


def test_edition_change_on_tiny_panel():
    rows = [
        {"iso3": "BHR", "year": 2020, "rank": 2, "egdi": 0.6, "osi": 0.6, "hci": 0.6, "tii": 0.6},
        {"iso3": "DNK", "year": 2020, "rank": 1, "egdi": 0.9, "osi": 0.9, "hci": 0.9, "tii": 0.9},
        {
            "iso3": "TUN",
            "year": 2020,
            "rank": pd.NA,
            "egdi": np.nan,
            "osi": np.nan,
            "hci": np.nan,
            "tii": np.nan,
        },
        {"iso3": "BHR", "year": 2022, "rank": 1, "egdi": 0.9, "osi": 0.9, "hci": 0.9, "tii": 0.9},
        {"iso3": "DNK", "year": 2022, "rank": 2, "egdi": 0.7, "osi": 0.9, "hci": 0.3, "tii": 0.9},
        {"iso3": "TUN", "year": 2022, "rank": 3, "egdi": 0.3, "osi": 0.3, "hci": 0.3, "tii": 0.3},
    ]
    p = tiny_panel(rows)
    c = standing.edition_change(2022, "BHR", p)
    assert c.status == "ok" and c.previous == 2020
    assert c.contributions.to_dict() == pytest.approx({"osi": 0.1, "hci": 0.1, "tii": 0.1})
    assert c.residual == pytest.approx(0.0) and c.rank_change == 1
    assert c.n_before == 2 and c.n_after == 3
    first = standing.edition_change(2020, "BHR", p)
    assert first.status == "first_edition" and "first edition" in first.message
    new = standing.edition_change(2022, "TUN", p)
    assert new.status == "not_assessed_before" and "not assessed in 2020" in new.message


def test_gap_cost_hand_checked():
    p = tiny_panel(
        [
            {
                "iso3": "DNK",
                "year": 2024,
                "rank": 1,
                "egdi": 0.9,
                "osi": 0.9,
                "hci": 0.9,
                "tii": 0.9,
                "epi": 1.0,
            },
            {
                "iso3": "BHR",
                "year": 2024,
                "rank": 2,
                "egdi": 0.8,
                "osi": 0.6,
                "hci": 0.8,
                "tii": 1.0,
                "epi": 0.5,
            },
        ]
    )
    g = standing.frontier_gaps(2024, "BHR", p)
    assert g["gap"].to_dict() == pytest.approx({"osi": 0.3, "hci": 0.1, "tii": -0.1, "epi": 0.5})
    pts = g["egdi_points"][["osi", "hci", "tii"]].tolist()
    assert pts == pytest.approx([0.1, 0.1 / 3, -0.1 / 3])
    assert np.isnan(g.loc["epi", "egdi_points"])  # EPI is not in the EGDI
    assert standing.costliest_gap(g) == "osi"


def test_gap_cost_real_2024(egdi):
    g = standing.frontier_gaps(2024, "BHR", egdi)
    assert g.attrs["frontier"] == "DNK"
    e = egdi[egdi["year"] == 2024].set_index("iso3")
    for c in ("osi", "hci", "tii"):
        assert g.loc[c, "gap"] == pytest.approx(e.loc["DNK", c] - e.loc["BHR", c])
        assert g.loc[c, "egdi_points"] == pytest.approx(g.loc[c, "gap"] / 3)
    # Closing all three gaps gives Denmark's EGDI (the published EGDI is the component mean).
    assert e.loc["BHR", "egdi"] + g["egdi_points"].sum() == pytest.approx(
        e.loc["DNK", "egdi"], abs=1e-4
    )
    assert standing.costliest_gap(g) == g.loc[["osi", "hci", "tii"], "gap"].idxmax()


def test_residual_in_2008_matches_published_departure(egdi):
    c = standing.edition_change(2008, "BHR", egdi)
    e = egdi[egdi["iso3"] == "BHR"].set_index("year")
    dep = e["egdi"] - e[["osi", "hci", "tii"]].mean(axis=1)
    assert c.residual == pytest.approx(dep[2008] - dep[2005])
    assert abs(c.residual) > 1e-4  # 2008: published EGDI is not the component mean
    assert abs(standing.edition_change(2024, "BHR", egdi).residual) < 1e-4
    assert c.rank_before == e.loc[2005, "rank"] and c.rank_after == e.loc[2008, "rank"]


# ------------------------------------------------------------------------------ profile, prose
def test_profile_2024(egdi):
    p = standing.profile(2024, "BHR", "GCC", ["top10", "region", "income_group"], egdi)
    assert p["kind"].tolist() == ["focus", "frontier", "group", "top", "region", "income_group"]
    assert p.index[1] == "Frontier: Denmark (rank 1)"
    e = egdi[egdi["year"] == 2024]
    assert p.loc["GCC mean", "egdi"] == pytest.approx(
        e[e["iso3"].isin(["BHR", "KWT", "OMN", "QAT", "SAU", "ARE"])]["egdi"].mean()
    )
    assert p.loc["Top-10 mean", "n"] == 10
    assert p.loc["Top-10 mean", "egdi"] == pytest.approx(e.nsmallest(10, "rank")["egdi"].mean())
    assert p.loc["Asia mean (UN region)", "n"] == (e["region"] == "Asia").sum()


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (18, "18th"),
        (21, "21st"),
        (22, "22nd"),
        (41, "41st"),
        (53, "53rd"),
        (101, "101st"),
        (111, "111th"),
        (112, "112th"),
        (123, "123rd"),
    ],
)
def test_ordinal(n, text):
    assert standing.ordinal(n) == text


def test_prose_for_bahrain_2024(egdi):
    b = standing.benchmark(2024, "GCC", "BHR", egdi=egdi)
    text = standing.standing_prose(b)
    assert text.startswith("Bahrain ranks **18th of 193** in 2024 with an EGDI of 0.9196")
    assert (
        "Within the GCC it is 3rd of 6, behind Saudi Arabia (6th) and United Arab Emirates "
        "(11th)." in text
    )
    gap = standing.gap_prose(b)
    worst = standing.costliest_gap(b.gaps)
    assert f"The costliest gap is **{worst.upper()}**" in gap and "Denmark" in gap
    assert "EPI is not part of the EGDI" in gap
    change = standing.change_prose(b)
    e = egdi[egdi["iso3"] == "BHR"].set_index("year")["rank"]
    assert f"from {standing.ordinal(e[2022])} of 193 to 18th of 193" in change


# ------------------------------------------------------------------------------ errors, edge cases
def test_unknown_focus_group_comparison_year(egdi):
    with pytest.raises(EgovError, match="unknown ISO3"):
        standing.benchmark(2024, "GCC", "XXX", egdi=egdi)
    with pytest.raises(EgovError, match="unknown country group 'Gulf'"):
        standing.benchmark(2024, "Gulf", "BHR", egdi=egdi)
    with pytest.raises(EgovError, match="not assessed by the UN E-Government Survey"):
        standing.group_table(2024, ["BHR", "PRI"], egdi=egdi)  # Puerto Rico: not a UN member
    with pytest.raises(EgovError, match="unknown comparison 'top'"):
        standing.profile(2024, "BHR", "GCC", ["top"], egdi)
    with pytest.raises(EgovError, match="Valid editions: 2003"):
        standing.group_table(2006, "GCC", egdi=egdi)


def test_focus_outside_group_is_shown_but_not_averaged(egdi):
    b = standing.benchmark(2024, "GCC", "TUN", egdi=egdi)
    t = b.table.set_index("iso3")
    assert len(t) == 7 and not t.loc["TUN", "in_group"] and t.drop("TUN")["in_group"].all()
    assert b.profile.loc["GCC mean", "n"] == 6
    assert b.profile.loc["GCC mean", "egdi"] == pytest.approx(t.drop("TUN")["egdi"].mean())
    assert (
        "It is not a member of the GCC; 6 of the group's 6 assessed members rank above it"
        in standing.standing_prose(b)
    )


def test_old_edition_with_unassessed_members(egdi):
    group = ["BHR", "MNE", "SSD"]  # Montenegro and South Sudan were not assessed in 2003
    t = standing.group_table(2003, group, egdi=egdi)
    assert t["iso3"].tolist() == ["BHR", "MNE", "SSD"]
    assert t["assessed"].tolist() == [True, False, False]
    assert t["rank"].iloc[1:].isna().all() and (t["n_assessed"] == 173).all()
    b = standing.benchmark(2003, group, "BHR", egdi=egdi)
    assert b.change.status == "first_edition"
    assert (
        "Not yet UN member states in 2003: Montenegro and South Sudan."
        in standing.standing_prose(b)
    )
    # A 2003 report shows nothing published after 2003, and no row for a state not yet a member.
    assert b.trajectories["year"].max() == 2003
    assert set(b.trajectories["iso3"]) == {"BHR"}
    mne = standing.rank_trajectories(group, egdi=egdi, up_to=2024)
    mne = mne[mne["iso3"] == "MNE"].set_index("year")
    # not yet a UN member before 2006: no row at all (not "not assessed"), assessed from 2008
    assert not {2003, 2004, 2005} & set(mne.index) and mne.loc[2008, "assessed"]
    # Focus not assessed now, or not in the previous edition: a message, not a crash.
    b05 = standing.benchmark(2005, group, "MNE", egdi=egdi)
    assert b05.gaps is None and b05.change.status == "not_assessed_now"
    b08 = standing.benchmark(2008, group, "MNE", egdi=egdi)
    assert b08.change.status == "not_assessed_before"
    assert "was not yet a UN member state in 2005" in standing.change_prose(b08)


def test_rank_chart_inverted_focus_highlighted_with_gaps(egdi):
    b = standing.benchmark(2005, ["BHR", "MNE", "SSD"], "BHR", egdi=egdi)
    fig = standing.plot_rank_trajectories(b)
    ax = fig.axes[0]
    assert ax.yaxis_inverted()
    lines = {ln.get_label(): ln for ln in ax.get_lines() if not ln.get_label().startswith("_")}
    assert matplotlib.colors.same_color(lines["Bahrain"].get_color(), plots.FOCUS_COLOUR)
    assert "South Sudan" not in lines  # not yet a UN member up to 2005: no line, no gap
    assert fig.texts and fig.get_suptitle()
    plt.close(fig)
