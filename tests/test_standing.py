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


# ------------------------------------------------------------------------------ change, targets
def change_panel() -> pd.DataFrame:
    """Five countries in 2022 and 2024; EGDI = mean of the components (hand-checkable)."""
    comps = {  # iso3: ((osi, hci, tii) in 2022, (osi, hci, tii) in 2024, rank 2022, rank 2024)
        "BHR": ((0.50, 0.60, 0.40), (0.70, 0.60, 0.55), 3, 4),
        "DNK": ((0.90, 0.90, 0.80), (0.92, 0.88, 0.90), 1, 1),
        "TUN": ((0.40, 0.50, 0.30), (0.40, 0.45, 0.40), 5, 5),
        "FRA": ((0.80, 0.85, 0.70), (0.85, 0.80, 0.75), 2, 2),
        # Kuwait's TII jumps 0.10 -> 0.72: a likely data revision (> 0.5 in one edition).
        "KWT": ((0.60, 0.70, 0.10), (0.62, 0.68, 0.72), 4, 3),
    }
    rows = []
    for iso3, (a, b, r0, r1) in comps.items():
        for year, (osi, hci, tii), rank in ((2022, a, r0), (2024, b, r1)):
            rows.append(
                {
                    "iso3": iso3,
                    "year": year,
                    "rank": rank,
                    "egdi": (osi + hci + tii) / 3,
                    "osi": osi,
                    "hci": hci,
                    "tii": tii,
                    "epi": 0.5,
                }
            )
    return tiny_panel(rows)


def test_change_three_ways_hand_checked():
    p = change_panel()
    ch = standing.pair_changes(2024, 2022, p)
    # Median changes over the five countries: OSI +0.02, HCI -0.02, TII +0.10.
    assert ch.attrs["median"]["osi"] == pytest.approx(0.02)
    assert ch.attrs["median"]["hci"] == pytest.approx(-0.02)
    assert ch.attrs["median"]["tii"] == pytest.approx(0.10)
    # EGDI changes: BHR 0.35/3, DNK 0.10/3, TUN 0.05/3, FRA 0.05/3, KWT 0.62/3 -> median 0.10/3.
    assert ch.attrs["median"]["egdi"] == pytest.approx(0.10 / 3)
    tw = standing.change_three_ways(ch, "BHR")
    assert tw["change"][["osi", "hci", "tii"]].tolist() == pytest.approx([0.20, 0.0, 0.15])
    assert tw["net_change"][["osi", "hci", "tii"]].tolist() == pytest.approx([0.18, 0.02, 0.05])
    assert tw.loc["egdi", "net_change"] == pytest.approx(0.35 / 3 - 0.10 / 3)
    # z-score change: (x - mean) / population SD within each edition.
    e22, e24 = p[p["year"] == 2022].set_index("iso3"), p[p["year"] == 2024].set_index("iso3")
    z = lambda s: (s - s.mean()) / s.std(ddof=0)  # noqa: E731
    assert tw.loc["osi", "z_change"] == pytest.approx(z(e24["osi"])["BHR"] - z(e22["osi"])["BHR"])
    # Ranks among the countries in both editions: OSI 4th -> 3rd (+1), TII 3rd -> 4th (-1).
    assert (tw.loc["osi", "rank_before"], tw.loc["osi", "rank_after"]) == (4, 3)
    assert tw.loc["osi", "rank_change"] == 1 and tw.loc["tii", "rank_change"] == -1
    assert not tw["likely_revision"].any()
    assert standing.change_three_ways(ch, "KWT").loc["tii", "likely_revision"]
    shifts = standing.common_shifts(ch, p)
    assert shifts.loc["tii", "share_rose"] == 1.0 and shifts.loc["tii", "common_shift"]
    assert (
        shifts.loc["hci", "share_fell"] == pytest.approx(0.8) and shifts.loc["hci", "common_shift"]
    )
    assert not shifts["crosses_break"].any()


def test_decomposition_table_raw_and_net_hand_checked():
    c = standing.edition_change(2024, "BHR", change_panel())
    t = c.table().set_index("term")
    osi = t.loc["OSI (change / 3)"]
    assert (osi["change"], osi["egdi_points"]) == pytest.approx((0.20, 0.20 / 3))
    assert (osi["net_change"], osi["net_egdi_points"]) == pytest.approx((0.18, 0.06))
    tii = t.loc["TII (change / 3)"]
    assert (tii["net_change"], tii["net_egdi_points"]) == pytest.approx((0.05, 0.05 / 3))
    egdi = t.loc["EGDI change (published)"]
    assert egdi["change"] == pytest.approx(0.35 / 3) and egdi["net_change"] == pytest.approx(
        0.25 / 3
    )
    # The published EGDI is the component mean here: the departure row is 0, and the raw
    # contributions add up to the EGDI change.
    assert t.filter(like="Departure", axis=0)["egdi_points"].item() == pytest.approx(0.0)
    assert t.iloc[:3]["egdi_points"].sum() == pytest.approx(egdi["change"])
    # The EGDI rose net of the median country but the rank fell (Kuwait's revision passed
    # Bahrain): the key finding says so instead of claiming agreement.
    b = standing.benchmark(2024, ["BHR", "DNK", "KWT"], "BHR", comparisons=[], egdi=change_panel())
    found = " ".join(standing.key_findings(b))
    assert "Read with care: the rank moved -1" in found and "agree" not in found


def test_revision_flags_hand_checked():
    r = standing.revision_flags(change_panel())
    assert r[["iso3", "index", "from_year", "to_year"]].to_numpy().tolist() == [
        ["KWT", "tii", 2022, 2024]
    ]
    assert r.loc[0, "change"] == pytest.approx(0.62) and not r.loc[0, "zero_end"]
    assert standing.revision_flags(change_panel(), threshold=0.7).empty


def test_targets_margins_and_sensitivity_hand_checked():
    p = tiny_panel(
        [
            {"iso3": c, "year": 2024, "rank": r, "egdi": e, "osi": o, "hci": h, "tii": t}
            for c, r, e, o, h, t in (
                ("DNK", 1, 0.95, 0.95, 0.95, 0.95),
                ("FRA", 2, 0.90, 0.90, 0.90, 0.90),
                ("KOR", 3, 0.85, 0.85, 0.85, 0.85),
                ("SAU", 4, 0.80, 0.80, 0.80, 0.80),
                ("BHR", 5, 0.78, 0.90, 0.80, 0.64),
                ("TUN", 6, 0.70, 0.70, 0.70, 0.70),
            )
        ]
    )
    t = standing.rank_targets(2024, "BHR", p, ranks=(5, 3, 1)).set_index("target")
    assert list(t.index) == ["next rank", "top 5", "top 3", "top 1"]
    nxt = t.loc["next rank"]  # pass Saudi Arabia (0.80): +0.02 EGDI, +0.06 on one component
    assert nxt["rival"] == "SAU" and nxt["egdi_gain"] == pytest.approx(0.02)
    assert nxt["gain_osi"] == pytest.approx(0.06) and nxt["feasible_osi"]
    top3 = t.loc["top 3"]  # pass Korea (0.85): +0.07 EGDI = +0.21 on one component
    assert top3["egdi_gain"] == pytest.approx(0.07) and top3["gain_tii"] == pytest.approx(0.21)
    # OSI 0.90 + 0.21 and HCI 0.80 + 0.21 would pass 1; TII 0.64 + 0.21 would not.
    assert (top3["feasible_osi"], top3["feasible_hci"], top3["feasible_tii"]) == (
        False,
        False,
        True,
    )
    assert not any(t.loc["top 1", [f"feasible_{c}" for c in ("osi", "hci", "tii")]])
    held = t.loc["top 5"]  # already 5th: the cushion over Tunisia is 0.08
    assert held["status"] == "held" and held["cushion"] == pytest.approx(0.08)
    m = standing.neighbour_margins(2024, "BHR", p, k=2)
    assert m["iso3"].tolist() == ["KOR", "SAU", "BHR", "TUN"]
    assert m["margin"].tolist() == pytest.approx([0.07, 0.02, 0.0, -0.08])
    assert m["position"].tolist() == ["above", "above", "focus", "below"]
    s = standing.rank_sensitivity(2024, "BHR", p, moves=(0.03, 0.10)).set_index("move")
    # +0.03 -> 0.81 passes Saudi Arabia only; -0.03 -> 0.75 keeps 5th.
    assert (s.loc[0.03, "rank_if_gain"], s.loc[0.03, "rank_if_loss"]) == (4, 5)
    # +0.10 -> 0.88 passes Korea too; -0.10 -> 0.68 falls behind Tunisia.
    assert (s.loc[0.10, "places_gained"], s.loc[0.10, "places_lost"]) == (2, 1)
    assert s.loc[0.10, "component_move"] == pytest.approx(0.30)


def test_identity_readiness_gcc_2024_from_the_gtmi_2022_round():
    from egovlib import load_table

    r = standing.identity_readiness(2024, "GCC").set_index("iso3")
    assert (r["gtmi_year"] == 2022).all()  # the latest round before the 2024 edition
    # Kuwait: no service bus (I-4 = 0) and a partial cloud (I-1 = 1); the others have all four.
    assert r["complete"].to_dict() == {c: c != "KWT" for c in r.index}
    assert (r.loc["KWT", "gtmi_service_bus"], r.loc["KWT", "gtmi_gov_cloud"]) == (0, 1)
    t = load_table("gtmi_indicators")
    sig = t[(t["variable"] == "gtmi_digital_signature") & (t["year"] == 2022)]
    sig = sig.set_index("iso3")["value"]
    assert r["gtmi_digital_signature"].to_dict() == {c: int(sig[c]) for c in r.index}
    text = standing.readiness_prose(standing.identity_readiness(2024, "GCC"), "GCC")
    assert "5 of 6 countries report all four" in text
    # GTMI I-41 may record digitised ID records, not an ID usable online: the prose says so.
    assert "e-ID or digitised national ID, GTMI question I-41, which may record" in text
    assert "national ID, e-ID," not in text
    assert "Kuwait: service bus none; government cloud only partial." in text
    assert "not counted" in text
    old = standing.identity_readiness(2008, "GCC")
    assert old["gtmi_year"].isna().all() and "2020" not in standing.readiness_prose(old, "GCC")


def test_largest_gain_says_when_the_three_measures_disagree(egdi):
    # Bahrain 2022 -> 2024: OSI +0.140 and TII +0.125 net of the median country (within 0.02),
    # while by rank TII moved most (65 -> 10) where 34 countries crowd at the ceiling.
    b24 = standing.edition_change(2024, "BHR", egdi)
    lg = standing.largest_gain(b24)
    assert lg["verdict"] == "close" and lg["close"] == ["osi", "tii"] and lg["by_rank"] == "tii"
    text = standing.gain_sentence(b24, lg)
    assert "no single component stands out" in text and "ceiling compression" in text
    # 2005 -> 2008: the HCI changed method; OSI leads on all three measures.
    assert standing.largest_gain(standing.edition_change(2008, "BHR", egdi))["verdict"] == "clear"
    # Tunisia 2022 -> 2024: TII net of the median, HCI by rank (114 -> 107).
    tun = standing.largest_gain(standing.edition_change(2024, "TUN", egdi))
    assert (tun["verdict"], tun["by_net"], tun["by_rank"]) == ("disputed", "tii", "hci")


def test_next_level_group_is_a_target_at_any_rank(egdi):
    cols = ("iso3", "rank", "egdi", "osi", "hci", "tii")
    rows = [("DNK", 1, 0.95, 0.95, 0.95, 0.95), ("TUN", 2, 0.70, 0.60, 0.70, 0.80)]
    p = tiny_panel([{"year": 2024, **dict(zip(cols, r, strict=True))} for r in rows])
    t = standing.rank_targets(2024, "TUN", p, ranks=(1,)).set_index("target")
    lvl = t.loc["Very High level group"]  # 0.75 - 0.70 = +0.05 EGDI, +0.15 on one component
    assert lvl["egdi_gain"] == pytest.approx(0.05) and lvl["gain_osi"] == pytest.approx(0.15)
    assert pd.isna(lvl["target_rank"]) and lvl["feasible_tii"]  # 0.80 + 0.15 <= 1
    # Tunisia 2024 (87th): the top 15 needs +0.714 on one component, more than any can rise;
    # the key finding names the Very High threshold instead.
    b = standing.benchmark(2024, ["DZA", "LBY", "MAR", "MRT", "TUN"], "TUN", egdi=egdi)
    found = " ".join(standing.key_findings(b))
    assert "the Very High level group needs +0.057 EGDI" in found and "top 15" not in found
    assert b.group_title == "The selected countries"


def test_bahrain_2024_gain_against_a_longer_baseline(egdi):
    # Published EGDI ranks: 2018 26th, 2020 38th, 2022 54th (its worst in any edition), 2024 18th.
    bl = standing.rank_baselines(2024, "BHR", egdi)
    assert (bl["rank_previous"], bl["rank_before_last"], bl["rank"]) == (54, 38, 18)
    assert bl["change_previous"] == 36 and bl["change_before_last"] == 20
    assert (bl["median_rank"], bl["best_rank"], bl["best_year"]) == (38, 26, 2018)
    assert bl["previous_extreme"] == "worst" and bl["worst_since"] is None and bl["disagree"]
    b = standing.benchmark(2024, "GCC", "BHR", egdi=egdi)
    kf = standing.key_findings(b)[1]
    assert "moved up 36 places since 2022 (20 places up against 2020, 38th" in kf
    assert "20 places up" in standing.change_prose(b)
    # Tunisia 88th -> 87th: the previous edition is no odd baseline, so nothing is added.
    assert not standing.rank_baselines(2024, "TUN", egdi)["disagree"]


def test_unusual_moves_screened_against_all_countries(egdi):
    ch = standing.pair_changes(2024, 2022, egdi)
    # The absolute revision flag (0.5) can never catch an HCI move; the relative screen can.
    assert ch["net_hci"].abs().max() < standing.REVISION_THRESHOLD
    cut = ch["net_hci"].abs().quantile(0.95)
    assert ch.attrs["unusual_cut"]["hci"] == pytest.approx(cut)
    assert ch["unusual_hci"].sum() == (ch["net_hci"].abs() > cut).sum() == 10
    tw = standing.change_three_ways(ch, "BHR")
    # Bahrain's HCI +0.106 net of the median (95th percentile 0.096); TII +0.125 (cut 0.173) not.
    assert tw.loc["hci", "net_change"] == pytest.approx(0.10615, abs=1e-5)
    assert standing.unusual_moves(tw) == ["osi", "hci", "epi"]
    b = standing.benchmark(2024, "GCC", "BHR", egdi=egdi)
    assert "check for a data revision before quoting them" in standing.key_findings(b)[1]
    assert "HCI +0.106" in standing.unusual_sentence(b.change)
    assert standing.unusual_moves(standing.change_three_ways(ch, "TUN")) == []


def test_component_ranks_on_one_base_in_02_and_the_brief(egdi):
    # 2008 Bahrain: the brief and 02 quoted HCI 81st -> 87th / 84th and TII 37th -> 44th / 35th.
    # One base now: among all countries assessed in each edition (`component_ranks`).
    tw = standing.edition_change(2008, "BHR", egdi).three_ways
    assert (tw.loc["hci", "rank_before"], tw.loc["hci", "rank_after"]) == (81, 87)
    assert (tw.loc["tii", "rank_before"], tw.loc["tii", "rank_after"]) == (37, 44)
    for y, col in ((2005, "rank_before"), (2008, "rank_after")):
        ranks = standing.component_ranks(egdi[egdi["year"] == y].set_index("iso3"))
        assert (tw[col] == ranks.loc["BHR", [f"{k}_rank" for k in tw.index]].to_numpy()).all()
    b = standing.benchmark(2008, "GCC", "BHR", egdi=egdi)
    text = standing.change_prose(b)
    assert "TII -0.002 (rank 37th → 44th)" in text and standing.RANK_BASE in text
    # The 2008 HCI comparison crosses the UN's HCI method change: said beside the rank.
    assert "method of HCI between 2005 and 2008" in text and "HCI rank 81st → 87th" in text


def test_a_2008_benchmark_sets_no_later_yardstick(egdi):
    b = standing.benchmark(2008, "GCC", "BHR", egdi=egdi)
    # Level groups and rating classes were first published in 2020: no level-group target, no
    # rating class, no city-level LOSI (first piloted in 2018).
    assert not b.targets["target"].str.contains("level group").any()
    assert "today's threshold" not in standing.targets_prose(b)
    assert "rating class" not in standing.standing_prose(b)
    assert "Rating class" not in standing.display_table(b).columns
    assert "LOSI" not in standing.unmeasured_text(2008)
    assert "LOSI" in standing.unmeasured_text(2024)
    b24 = standing.benchmark(2024, "GCC", "TUN", egdi=egdi)
    assert b24.targets["target"].str.contains("level group").any()


def test_fragile_rank_is_one_rule_for_02_and_the_brief(egdi):
    """'Fragile' means a margin among the smallest 10% between neighbouring ranks (the cited
    judgement), in report 02 and in the brief alike; a fixed 0.005 called 69% of ranks fragile."""
    from egovlib import brief

    p = egdi
    ed = brief._edition(p, 2024)  # noqa: SLF001 - the edition frame the brief reads
    margins = standing.rank_margins(ed).dropna()
    cut = standing.fragile_cut(ed)
    assert round(cut, 5) == 0.00034 and 0.09 <= (margins <= cut).mean() <= 0.11
    gcc = standing.benchmark(2024, "GCC", "BHR", egdi=p)
    assert gcc.fragile_cut == cut and "Rank 18 is fragile" in standing.targets_prose(gcc)
    assert brief._fragile_rank(ed, "BHR", 2024) is not None  # noqa: SLF001
    tun = standing.benchmark(2024, ["DZA", "LBY", "MAR", "MRT", "TUN"], "TUN", egdi=p)
    assert "Rank 87 is not under immediate threat" in standing.targets_prose(tun)
    assert brief._fragile_rank(ed, "TUN", 2024) is None  # noqa: SLF001
    # 2008: Bahrain's 0.0004 over Bulgaria is just above the edition's cut, but below the
    # published precision: never "not under immediate threat" (the body calls it a tie)
    b08 = standing.benchmark(2008, "GCC", "BHR", egdi=p)
    gap = -float(b08.margins.loc[b08.margins["position"] == "below", "margin"].iloc[0])
    assert b08.fragile_cut < gap < standing.ROUNDING_MARGIN
    assert "Its rank is as good as tied: 0.0004 EGDI points above Bulgaria" in " ".join(
        standing.key_findings(b08)
    )
    assert "Rank 42 is as good as tied" in standing.targets_prose(b08)


def test_pair_changes_columns_are_their_definitions_in_the_documented_order(egdi):
    """The table is put together at once from its columns: each is its definition, in order."""
    ch = standing.pair_changes(2012, 2010, egdi)
    a = egdi[(egdi["year"] == 2010) & egdi["assessed"]].set_index("iso3")
    b = egdi[(egdi["year"] == 2012) & egdi["assessed"]].set_index("iso3")
    both = a.index.intersection(b.index)
    assert list(ch.index) == list(both) and len(both) > 170
    per_index = ["{c}_before", "{c}_after", "d_{c}", "net_{c}", "z_{c}_before", "z_{c}_after"]
    want = ["country"]
    for c in standing.INDICES:
        want += [k.format(c=c) for k in per_index] + [f"dz_{c}"]
    for c in standing.INDICES:
        want += [f"rank_{c}_before", f"rank_{c}_after", f"drank_{c}"]
    want += ["published_rank_before", "published_rank_after"]
    want += ["contrib_osi", "contrib_hci", "contrib_tii", "residual"]
    for c in ("osi", "hci", "tii", "epi"):
        want += [f"revision_{c}", f"unusual_{c}"]
    assert list(ch.columns) == want
    for c in standing.INDICES:
        d = b.loc[both, c].astype(float) - a.loc[both, c].astype(float)
        np.testing.assert_array_equal(ch[f"d_{c}"], d)
        np.testing.assert_array_equal(ch[f"net_{c}"], d - d.median())
        z = (b[c] - b[c].mean()) / b[c].std(ddof=0)
        np.testing.assert_array_equal(ch[f"z_{c}_after"], z.reindex(both))
    assert (ch["drank_egdi"] == ch["rank_egdi_before"] - ch["rank_egdi_after"]).all()
    assert ch["unusual_osi"].sum() > 0 and ch.attrs["n_after"] == len(b)


def test_edition_change_from_given_pair_changes_equals_computed(egdi):
    """`benchmark` computes the pair changes once and hands them to `edition_change`."""
    given = standing.edition_change(
        2024, "BHR", egdi, changes=standing.pair_changes(2024, 2022, egdi)
    )
    fresh = standing.edition_change(2024, "BHR", egdi)
    assert given.status == fresh.status == "ok"
    pd.testing.assert_frame_equal(given.three_ways, fresh.three_ways, check_exact=True)
    pd.testing.assert_frame_equal(given.shifts, fresh.shifts, check_exact=True)
    b = standing.benchmark(2024, "GCC", "BHR", egdi=egdi)
    pd.testing.assert_frame_equal(b.change.three_ways, fresh.three_ways, check_exact=True)
    assert b.typical_move == standing.typical_move(standing.pair_changes(2024, 2022, egdi)) > 0
