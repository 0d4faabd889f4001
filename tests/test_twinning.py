"""Digital twinning: gap and pairing arithmetic by hand, real-data pairs, missing editions."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from egovlib import twinning as tw
from egovlib.config import PACKAGE_DIR
from egovlib.errors import EgovError

NOTEBOOK = PACKAGE_DIR.parent / "notebooks" / "06_digital_twinning.ipynb"


# --- hand-checked arithmetic ------------------------------------------------------------------


def test_component_gaps_and_egdi_points_by_hand():
    mentor = {"osi": 0.9, "hci": 0.6, "tii": 0.3, "epi": 0.8}
    mentee = {"osi": 0.3, "hci": 0.6, "tii": 0.6, "epi": 0.2}
    g = tw.component_gaps(mentor, mentee)
    assert g["gap"].to_dict() == pytest.approx({"osi": 0.6, "hci": 0.0, "tii": -0.3, "epi": 0.6})
    # a gap g on OSI/HCI/TII costs g/3 EGDI points; EPI is not in the EGDI
    assert g["egdi_points"].to_dict() == pytest.approx(
        {"osi": 0.2, "hci": 0.0, "tii": -0.1, "epi": 0.0}
    )


def _context():
    return pd.DataFrame(
        {
            "region": ["X", "X", "Y"],
            "subregion": ["S1", "S1", "S2"],
            "area": ["S1", "S1", "S2"],
            "income_level": [4.0, 2.0, 4.0],
            "log10_population": [6.0, 7.0, np.nan],
            "gtmi_group": [4.0, 3.0, np.nan],
        },
        index=pd.Index(["A", "B", "C"], name="iso3"),
    )


def test_context_similarity_by_hand_and_missing_features_left_out():
    s = tw.context_similarity(_context(), "A")
    # A-B: region 1, income 1 - 2/3, population 1 - 1/2 (one decade of two), gtmi 1 - 1/3
    assert s.loc["B", "similarity"] == pytest.approx((1 + 1 / 3 + 0.5 + 2 / 3) / 4)
    # A-C: population and GTMI unknown for C -> mean of region 0 and income 1 only
    assert s.loc["C", "similarity"] == pytest.approx(0.5)
    assert s.loc["C", "features"] == "region, income"
    assert math.isnan(s.loc["C", "sim_population"])
    assert s.loc["A", "similarity"] == pytest.approx(1.0)
    w = tw.context_similarity(_context(), "A", {"population": 2.0})
    assert w.loc["B", "similarity"] == pytest.approx((1 + 1 / 3 + 2 * 0.5 + 2 / 3) / 5)
    with pytest.raises(EgovError, match="unknown SimilarityWeights key"):
        tw.context_similarity(_context(), "A", {"religion": 1.0})


def test_same_region_other_subregion_scores_half():
    ctx = _context()
    ctx.loc["C", ["region", "subregion", "area"]] = ["X", "S9", "S9"]
    assert tw.context_similarity(ctx, "A").loc["C", "sim_region"] == 0.5


def test_feasible_target_and_transfer_priorities_by_hand():
    scores = pd.DataFrame(
        {"osi": [0.3, 0.5, 0.4, 0.9, 0.2, 0.95]}, index=["M", "P1", "P2", "P3", "P4", "MENTOR"]
    )
    sim = pd.Series({"M": 1.0, "P1": 0.9, "P2": 0.8, "P3": 0.2, "P4": 0.95, "MENTOR": 0.99})
    peers = tw.nearest_better_peers(scores, sim, "M", "osi", n=2, exclude=["MENTOR"])
    # P4 is more similar but scores lower; the mentor is excluded
    assert peers["iso3"].tolist() == ["P1", "P2"]
    assert peers["score"].median() == pytest.approx(0.45)

    gaps = tw.component_gaps(
        {"osi": 0.9, "hci": 0.6, "tii": 0.3, "epi": 0.8},
        {"osi": 0.3, "hci": 0.6, "tii": 0.6, "epi": 0.2},
    )
    pri = tw.transfer_priorities(gaps, {"osi": 0.45, "epi": 0.9, "hci": np.nan, "tii": 0.7})
    # OSI: gap 0.6, feasible gain 0.15 -> closable 0.15 = 0.05 EGDI points, priority 1.0 x 0.05
    assert pri.loc["osi", "closable"] == pytest.approx(0.15)
    assert pri.loc["osi", "closable_egdi_points"] == pytest.approx(0.05)
    assert pri.loc["osi", "priority"] == pytest.approx(0.05)
    # EPI: gain 0.7 exceeds the gap 0.6 -> the whole lead is closable, but it earns no EGDI
    # points, so its priority is 0 and it is never the target by default
    assert pri.loc["epi", "closable"] == pytest.approx(0.6)
    assert pri.loc["epi", "priority"] == 0
    # TII: mentee ahead -> nothing to close; HCI: no better peer -> nothing feasible
    assert pri.loc["tii", "closable"] == 0 and pri.loc["hci", "closable"] == 0
    assert pri.index.tolist() == ["osi", "epi", "hci", "tii"]
    assert pri["rank"].tolist() == [1, 2, 3, 4]


def test_transferable_components_outrank_infrastructure_and_schooling_for_equal_gaps():
    gaps = tw.component_gaps({c: 0.8 for c in tw.COMPONENTS}, {c: 0.4 for c in tw.COMPONENTS})
    pri = tw.transfer_priorities(gaps, {c: 0.6 for c in tw.COMPONENTS})
    # equal EGDI points: transferability decides; the EPI earns no EGDI points, so it comes last
    assert pri.index.tolist() == ["osi", "tii", "hci", "epi"]


def test_pairing_score_by_hand_and_ties_broken_by_code():
    scores = pd.DataFrame(
        {
            "osi": [0.9, 0.5, 0.5],
            "hci": [0.8, 0.9, 0.9],
            "tii": [0.7, 0.5, 0.5],
            "epi": [0.9, 0.4, 0.4],
        },
        index=["BHR", "TUN", "COM"],
    )
    ctx = pd.DataFrame(
        {
            "region": ["Asia", "Africa", "Africa"],
            "subregion": ["Western Asia", "Northern Africa", "Sub-Saharan Africa"],
            "income_group": ["High income"] + ["Lower middle income"] * 2,
            "income_level": [4.0, 2.0, 2.0],
            "population": [1e6, 1e7, 1e7],
            "log10_population": [6.0, 7.0, 7.0],
            "gtmi_group": [4.0, 3.0, 3.0],
        },
        index=["BHR", "TUN", "COM"],
    )
    t = tw.pairing_table(scores, ctx, "BHR", weights={"lead": 0.5, "similarity": 0.5})
    # target = the EGDI component whose lead is worth most: transferability x lead / 3 ->
    # OSI 1 x .4, TII .25 x .2, HCI none (the EPI, outside the EGDI, is never the default target)
    assert t["target"].tolist() == ["osi", "osi"] and t["lead"].tolist() == pytest.approx([0.4] * 2)
    assert t["egdi_points"].tolist() == pytest.approx([0.4 / 3] * 2)
    sim = (0 + 1 / 3 + 0.5 + 2 / 3) / 4  # region, income, population, GTMI (no language/bodies)
    assert t["similarity"].tolist() == pytest.approx([sim, sim])
    # weighted geometric mean of the lead share (1 for the largest) and the similarity
    assert t["score"].tolist() == pytest.approx([1.0**0.5 * sim**0.5] * 2)
    assert t["iso3"].tolist() == ["COM", "TUN"]  # equal scores: alphabetical
    assert "Bahrain leads on OSI by 0.400" in t.loc[0, "reasons"]
    assert "GTMI group B vs A" in t.loc[0, "reasons"]
    # as mentee: the candidates lead BHR only on HCI (0.1): eligible, target HCI
    m = tw.pairing_table(scores, ctx, "BHR", role="mentee")
    assert m["target"].tolist() == ["hci", "hci"] and m["eligible"].all()
    # a chosen target without a lead makes every candidate ineligible: never a mentor without lead
    none = tw.pairing_table(scores, ctx, "BHR", role="mentee", target="osi")
    assert not none["eligible"].any() and none["rank"].isna().all()


def test_pairing_never_proposes_a_mentor_without_a_lead():
    """Similarity cannot replace the lead: a very similar candidate without a lead on the target
    is not eligible, whatever the weights."""
    scores = pd.DataFrame(
        {
            "osi": [0.9, 0.89, 0.3],
            "hci": [0.8, 0.8, 0.5],
            "tii": [0.7, 0.7, 0.2],
            "epi": [0.9, 0.9, 0.1],
        },
        index=["BHR", "KWT", "COM"],
    )
    ctx = pd.DataFrame(
        {
            "region": ["Asia", "Asia", "Africa"],
            "subregion": ["Western Asia", "Western Asia", "Sub-Saharan Africa"],
            "income_group": ["High income", "High income", "Lower middle income"],
            "income_level": [4.0, 4.0, 2.0],
            "log10_population": [6.2, 6.6, 5.9],
            "gtmi_group": [4.0, 4.0, 2.0],
            "population": [1.6e6, 4e6, 8e5],
        },
        index=["BHR", "KWT", "COM"],
    )
    for w in ({"lead": 0.5, "similarity": 0.5}, {"lead": 0.01, "similarity": 0.99}):
        t = tw.pairing_table(scores, ctx, "BHR", weights=w).set_index("iso3")
        assert not t.loc["KWT", "eligible"] and pd.isna(t.loc["KWT", "rank"])  # lead 0.01
        assert t.loc["COM", "eligible"] and t.loc["COM", "rank"] == 1
    # as mentee of everyone: nobody leads BHR, so nobody is proposed as its mentor
    m = tw.pairing_table(scores, ctx, "BHR", role="mentee")
    assert not m["eligible"].any()
    assert (m.loc[m["eligible"], "lead"] >= tw.MIN_LEAD).all()


# --- real data ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ctx2024():
    return tw.load_context(2024)


def test_bhr_tun_2024_gaps_are_published_differences(egdi, ctx2024):
    r = tw.analyse_pair("BHR", "TUN", 2024, panel=egdi, context=ctx2024)
    e = egdi[egdi["year"] == 2024].set_index("iso3")
    for c in tw.COMPONENTS:
        assert r.gaps.loc[c, "gap"] == pytest.approx(e.loc["BHR", c] - e.loc["TUN", c], abs=1e-12)
    # checked by hand in the 2024 data: Bahrain leads on all four; EPI 0.904-0.452 is the largest
    # lead, then OSI 0.903-0.595, HCI 0.868-0.650, TII 0.988-0.836
    assert (r.gaps["gap"] > 0).all()
    assert r.gaps["gap"].sort_values(ascending=False).index.tolist() == ["epi", "osi", "hci", "tii"]
    assert r.gaps.loc["osi", "gap"] == pytest.approx(0.90305 - 0.59507, abs=1e-5)
    # EGDI = mean(OSI, HCI, TII) in 2024, so the three costs add up to the published EGDI gap
    cost = r.gaps.loc[["osi", "hci", "tii"], "egdi_points"].sum()
    assert cost == pytest.approx(e.loc["BHR", "egdi"] - e.loc["TUN", "egdi"], abs=1e-4)
    assert r.gaps.loc["epi", "egdi_points"] == 0


def test_default_pairs_2024_feasible_targets_and_stepping_stones(egdi, ctx2024):
    e = egdi[egdi["year"] == 2024].set_index("iso3")
    for mentee in ("TUN", "COM"):
        r = tw.analyse_pair("BHR", mentee, 2024, panel=egdi, context=ctx2024)
        # chosen by EGDI points x transferability: OSI (know-how) before infrastructure; never EPI
        assert r.ok and r.target == "osi" and r.priorities.index[-1] == "epi"
        for c, peers in r.peers.items():
            assert len(peers) == 5 and "BHR" not in peers["iso3"].tolist()
            assert (peers["score"] > e.loc[mentee, c]).all()
            assert r.priorities.loc[c, "feasible_target"] == pytest.approx(peers["score"].median())
        ft = r.priorities.loc[r.target, "feasible_target"]
        assert len(r.stones) == 5 and (r.stones[r.target] >= ft).all()
        assert not set(r.stones["iso3"]) & {"BHR", mentee}
        assert (
            r.similarity_detail["features"] == "region, income, population, gtmi, language, bodies"
        )
        text = tw.describe_pair(r)
        assert "not part of the EGDI" in text and f"Target component: {r.target.upper()}" in text
        assert tw.STONES_CAVEAT in text  # peers on the data alone, feasibility for a ministry


def test_old_edition_runs_and_unassessed_mentee_gets_message(egdi):
    ctx = tw.load_context(2008)
    # GTMI (2020+) is absent under the vintage rule; population comes from the UNDP HDR series
    # (1990-2022), reference year 2007 for every one of the 193 countries.
    assert ctx.features == ["region", "income", "population", "language", "bodies"]
    assert ctx.data["population"].notna().sum() == 193
    assert set(ctx.data["population_year"]) == {2007}
    assert ctx.data.loc["BHR", "population"] == pytest.approx(1.0405e6, rel=1e-3)
    assert any("GTMI" in n and "left out" in n for n in ctx.notes)
    assert not any("population" in n.lower() and "left out" in n for n in ctx.notes)
    for mentee in ("TUN", "COM"):
        assert tw.analyse_pair("BHR", mentee, 2008, panel=egdi, context=ctx).ok
    r = tw.analyse_pair("BHR", "SSD", 2008, panel=egdi, context=ctx)
    assert not r.ok and r.gaps.empty
    assert "South Sudan (SSD), the mentee, was not yet a UN member state" in r.message
    assert "2012" not in r.message and tw.describe_pair(r) == r.message  # no later edition
    m = tw.analyse_pair("LBY", "TUN", 2005, panel=egdi, context=tw.load_context(2005))
    assert not m.ok and "the mentor, was not assessed in the 2005 edition" in m.message
    assert "2008" not in m.message


def test_missing_covariate_reader_is_reported_not_faked(monkeypatch):
    monkeypatch.setattr(tw, "covariate_catalogue", lambda: {})
    ctx = tw.load_context(2024)
    assert ctx.features == ["region", "income", "language", "bodies"]
    assert ctx.data["population"].isna().all() and ctx.data["gtmi_group"].isna().all()
    assert any("Gtmi group is not available" in n for n in ctx.notes)


def test_automatic_pairing_is_deterministic_and_gives_reasons(egdi, ctx2024):
    scores = tw.edition_scores(egdi, 2024)
    a = tw.pairing_table(scores, ctx2024.data, "BHR")
    b = tw.pairing_table(scores, tw.load_context(2024).data, "BHR")
    pd.testing.assert_frame_equal(a, b)
    ok = a[a["eligible"]]
    assert len(a) == 192 and ok["rank"].tolist() == list(range(1, len(ok) + 1))
    assert ok["score"].is_monotonic_decreasing and (ok["lead"] >= tw.MIN_LEAD).all()
    assert a.loc[~a["eligible"], "rank"].isna().all()
    assert (ok["target"] != "epi").all()  # never EPI by default
    assert a["reasons"].str.contains("Bahrain").all()
    qat = a[a["iso3"] == "QAT"].iloc[0]
    assert "same sub-region (Western Asia)" in qat["reasons"]
    assert "shared bodies: Arab League, GCC, OIC" in qat["reasons"]
    africa = tw.pairing_table(scores, ctx2024.data, "BHR", candidates="Africa")
    assert set(africa["iso3"]) <= set(egdi.loc[egdi["region"] == "Africa", "iso3"])


def test_language_and_regional_bodies_in_similarity(ctx2024):
    assert tw.official_languages("TUN") == ("ar", "fr")
    assert tw.bodies_of("MAR", 2016) == frozenset({"Arab League", "OIC", "Francophonie"})
    assert "African Union" in tw.bodies_of("MAR", 2018)  # rejoined in 2017
    assert "Francophonie" not in tw.bodies_of("QAT", 2010)  # associate member from 2012
    s = tw.context_similarity(ctx2024.data, "BHR")
    assert s.loc["TUN", "sim_language"] == 1.0 and s.loc["FRA", "sim_language"] == 0.0
    # BHR {Arab League, GCC, OIC}; TUN {Arab League, OIC, African Union, Francophonie}: 2 / 5
    assert s.loc["TUN", "sim_bodies"] == pytest.approx(0.4)
    assert s.loc["KWT", "sim_bodies"] == 1.0


def test_pairing_drops_unassessed_candidates_and_refuses_unassessed_focus(egdi):
    ctx = tw.load_context(2008)
    scores = tw.edition_scores(egdi, 2008)
    t = tw.pairing_table(scores, ctx.data, "BHR", candidates=["TUN", "SSD", "COM"])
    assert t["iso3"].tolist() and set(t["iso3"]) == {"TUN", "COM"}
    assert t.attrs["dropped"] == ["SSD"]
    with pytest.raises(EgovError, match="was not assessed"):
        tw.pairing_table(scores, ctx.data, "SSD")


def test_pairing_report_explains_chosen_partners(egdi):
    ctx = tw.load_context(2008)
    scores = tw.edition_scores(egdi, 2008)
    rep = tw.pairing_report(
        scores,
        ctx.data,
        "BHR",
        role="mentor",
        year=2008,
        n_shown=2,
        label="Mentees proposed for Bahrain",
        candidates=["TUN", "SSD", "COM", "MAR"],
        chosen=["TUN", "SSD"],
    )
    t = rep.table
    assert set(t["iso3"]) == {"TUN", "COM", "MAR"} and len(rep.shown) == 2
    assert rep.shown["rank"].tolist() == [1, 2] and "reasons" in rep.shown.columns
    assert rep.caption.startswith("Mentees proposed for Bahrain (2008): the 2 best of")
    assert "Not assessed in 2008, so not ranked: South Sudan." in rep.text
    best = t.iloc[0]
    assert f"Best-scoring mentee for Bahrain: **{best['country']}** (the first row" in rep.text
    assert best["reasons"] not in rep.text  # shown in the table's first row, not twice
    tun = t.set_index("iso3").loc["TUN"]
    assert f"**Tunisia** ranks {int(tun['rank'])} of" in rep.text
    assert "South Sudan is not among the candidates" in rep.text


def test_pairing_sensitivity_lists_variants(egdi, ctx2024):
    scores = tw.edition_scores(egdi, 2024)
    s = tw.pairing_sensitivity(scores, ctx2024.data, "BHR", role="mentor", chosen=["TUN", "COM"])
    assert len(s) == len(tw.SENSITIVITY_VARIANTS) and {"Tunisia", "Comoros"} <= set(s.columns)
    base = tw.pairing_table(scores, ctx2024.data, "BHR").set_index("iso3")
    assert s.loc[0, "Tunisia"] == base.loc["TUN", "rank"]
    assert s.loc[0, "variant"] == "as chosen (lead 0.5, similarity 0.5, minimum lead 0.05)"
    assert "similarity without GovTech maturity (GTMI group)" in set(s["variant"])
    # Every row is the ranking of its own weights (the features' similarities computed once
    # for all of them give the same ranks as a table computed afresh).
    for label, pw, sw in tw.SENSITIVITY_VARIANTS[1:]:
        t = tw.pairing_table(
            scores, ctx2024.data, "BHR", weights=pw, similarity_weights=sw
        ).set_index("iso3")
        row = s.set_index("variant").loc[label]
        assert row["Tunisia"] == t.loc["TUN", "rank"] and row["Comoros"] == t.loc["COM", "rank"]
        assert row["top"] == ", ".join(t["country"][t["eligible"]].head(3))


def test_ranking_finding_gives_the_spread_of_each_chosen_rank():
    """The key finding on the automatic pairing says how often its best candidate stays first
    and the range of each chosen mentee's rank across the weightings (by hand, no data)."""
    sens = pd.DataFrame(
        {
            "variant": ["as chosen", "lead 0.75", "lead 0.25", "no region"],
            "top": ["Comoros, Iraq", "Comoros, Libya", "Kuwait, Iraq", "Comoros, Yemen"],
            "Tunisia": [32.0, 92.0, 17.0, None],
            "Comoros": [1.0, 1.0, 1.0, 1.0],
        }
    )
    text = tw._ranking_spread(sens, ["TUN", "COM", "BHR"])
    assert text == (
        ", first under 75% of the 4 variants of the weights tried; Tunisia ranks 32nd (17th to "
        "92nd across them), Comoros ranks 1st under all of them"
    )
    assert tw._ranking_spread(None, ["TUN"]) == ""


def test_proposal_finding_gives_the_chosen_mentors_rank_range():
    """A run that proposes partners for its focus country (the Maghreb run) places its own mentor
    among the proposed mentors with the range of its rank across the weightings (by hand)."""
    table = pd.DataFrame(
        {
            "iso3": ["SAU", "ARE", "BHR", "XXX"],
            "country": ["Saudi Arabia", "United Arab Emirates", "Bahrain", "Nowhere"],
            "eligible": [True, True, True, False],
            "rank": [1, 2, 3, None],
        }
    )
    table.attrs.update(focus="TUN", role="mentee")
    rep = tw.PairingReport(table=table, shown=table, caption="", text="")
    sens = pd.DataFrame(
        {
            "variant": ["as chosen", "lead 0.75", "no language"],
            "top": ["Saudi Arabia, Bahrain", "Saudi Arabia, Oman", "Ukraine, Bahrain"],
            "Bahrain": [3.0, 9.0, 2.0],
        }
    )
    assert tw.proposal_finding(rep, "BHR", sens) == (
        "For Tunisia, the best-scoring mentor among 3 eligible is Saudi Arabia, first under 67% "
        "of the 3 variants of the weights tried; Bahrain, this run's mentor, ranks 3rd (2nd to "
        "9th across them). The ranking rests on chosen weights (a judgement), not on evidence."
    )
    assert tw.proposal_finding(rep, "BHR").startswith(
        "For Tunisia, the best-scoring mentor among 3 eligible is Saudi Arabia; Bahrain, this "
        "run's mentor, ranks 3rd. The"
    )
    steady = sens.assign(top="Saudi Arabia, Bahrain")
    assert ", first under all 3 variants of the weights tried;" in tw.proposal_finding(
        rep, "BHR", steady
    )
    assert tw.sensitivity_prose(steady, []) == (
        "The best-scoring candidate is the same in every variant. A rank that moves a lot with "
        "the weights is a judgement, not a finding."
    )


def test_sensitivity_skips_variants_that_repeat_the_chosen_weights(egdi):
    # In 2008 there are no GTMI data: dropping them changes nothing, so that row is left out
    # instead of repeating the first one (population, from the HDR series, is there).
    ctx = tw.load_context(2008)
    assert "population" in ctx.features and "gtmi" not in ctx.features
    # coverage counts the 192 member states of 2008 (South Sudan joined in 2011)
    assert any(n.startswith("Population (UNDP HDR): 192 of 192 countries") for n in ctx.notes)
    scores = tw.edition_scores(egdi, 2008)
    s = tw.pairing_sensitivity(
        scores, ctx.data, "BHR", role="mentor", chosen=["TUN"], features=ctx.features
    )
    assert len(s) == len(tw.SENSITIVITY_VARIANTS) - 1
    assert not s["variant"].str.contains("GTMI").any()
    assert s["variant"].str.contains("population").any()
    # A report that chose lead 0.75 does not show "lead 0.75, similarity 0.25" twice.
    s75 = tw.pairing_sensitivity(
        scores,
        ctx.data,
        "BHR",
        role="mentor",
        weights={"lead": 0.75, "similarity": 0.25},
        features=ctx.features,
    )
    assert s75.loc[0, "variant"].startswith("as chosen (lead 0.75, similarity 0.25")
    assert "lead 0.75, similarity 0.25" not in set(s75["variant"])
    assert "GovTech maturity" in tw.context_text(ctx, 2008)  # in words, not "gtmi"
    assert "applied retroactively to 2008" in tw.context_text(ctx, 2008)


def test_unknown_weight_key_is_a_spec_error():
    from egovlib.errors import SpecError

    with pytest.raises(SpecError, match=r"unknown PairingWeights key\(s\) \['leed'\]. Fix:"):
        tw.PairingWeights.from_mapping({"leed": 0.5})


def test_history_of_an_old_edition_names_no_later_method_change(egdi):
    assert "2014" not in tw.history_intro(2008) and "2014" in tw.history_intro(2024)
    j = tw.historical_jumps(egdi, 0.3, metric="osi", up_to=2008)
    shown = tw.jumps_display(j, 2008)
    assert "iso3" not in shown and not any("2014" in c for c in shown.columns)
    assert "Own OSI (EGDI points)" in shown and "residual" not in shown
    # The break column is shown only when steps across the break are (parameters ask for them).
    j24 = tw.historical_jumps(egdi, 0.3, metric="osi", up_to=2024)
    assert not any("2014" in c for c in tw.jumps_display(j24, 2024).columns)
    jb = tw.historical_jumps(egdi, 0.3, metric="osi", up_to=2024, include_breaks=True, n=200)
    assert jb["crosses_break"].any() and "Crosses the 2014 break?" in tw.jumps_display(jb, 2024)
    # Bahrain 2003 -> 2008: the EGDI crosses the 2008 HCI change, the OSI does not.
    text = tw.describe_trajectories(egdi, ["BHR"], 2008)
    assert "EGDI across the 2008 method change" in text and "OSI across" not in text
    alt = tw.trajectories_alt(egdi, "BHR", ["TUN"], 2008)
    assert "in 2003 and" in alt and not re.search(r"\b\d{4}\.0\b", alt)  # years, not floats


def test_mentee_peak_and_decline(egdi):
    p = tw.peak_and_decline(egdi, "TUN", 2024).set_index("index")
    e = egdi[egdi["iso3"] == "TUN"].set_index("year")
    assert p.loc["osi", "peak_year"] == 2018 and p.loc["osi", "peak"] == pytest.approx(0.8056)
    assert p.loc["osi", "change_since_peak"] == pytest.approx(e.loc[2024, "osi"] - 0.8056)
    assert p.loc["osi", "era_start"] == 2014
    assert "OSI peaked at 0.806 in 2018" in tw.describe_peak(p.reset_index(), "TUN")
    # a report for 2016 does not know the 2018 peak
    assert tw.peak_and_decline(egdi, "TUN", 2016).set_index("index").loc["osi", "peak_year"] <= 2016
    # a state not yet assessed (South Sudan, a UN member from 2011) gets an empty table, not a crash
    none = tw.peak_and_decline(egdi, "SSD", 2008)
    assert none.empty and "peak_year" in none.columns
    assert tw.describe_peak(none, "SSD") == "South Sudan has no assessed edition to compare."


def test_history_decomposition_adds_up_and_respects_editions(egdi):
    ch = tw.edition_changes(egdi)
    assert 2014 not in ch["to_year"].tolist()  # methodology break left out by default
    assert (ch["to_year"] > ch["from_year"]).all()
    total = ch[["contrib_osi", "contrib_hci", "contrib_tii", "residual"]].sum(axis=1)
    assert np.allclose(total, ch["d_egdi"])
    # Net of the median country: own contributions plus the shared part add up exactly.
    own = ch[["own_osi", "own_hci", "own_tii", "shared"]].sum(axis=1)
    assert np.allclose(own, ch["d_egdi"])
    step = ch[ch["to_year"] == 2024]
    assert step["net_tii"].median() == pytest.approx(0.0)
    assert np.allclose(step["own_tii"], (step["d_tii"] - step["d_tii"].median()) / 3)
    same = ch[~ch["to_year"].isin([2008, 2010]) & ~ch["from_year"].isin([2008, 2010])]
    assert same["residual"].abs().max() < 2e-4  # EGDI = mean of components there
    # one step checked against the published values: Tunisia 2018 -> 2020
    e = egdi.set_index(["iso3", "year"])
    row = ch[(ch["iso3"] == "TUN") & (ch["to_year"] == 2020)].iloc[0]
    assert row["from_year"] == 2018
    assert row["contrib_osi"] == pytest.approx(
        (e.loc[("TUN", 2020), "osi"] - e.loc[("TUN", 2018), "osi"]) / 3
    )
    assert 2014 in tw.edition_changes(egdi, include_breaks=True)["to_year"].tolist()


def test_historical_jumps_from_similar_level(egdi):
    j = tw.historical_jumps(egdi, 0.6, metric="osi", band=0.1, n=8, up_to=2024)
    assert len(j) == 8 and j["net_osi"].is_monotonic_decreasing  # ranked net of the median
    assert ((j["osi_start"] - 0.6).abs() <= 0.1).all()
    assert not j["crosses_break"].any()
    past = tw.historical_jumps(egdi, 0.13, metric="osi", up_to=2008)
    assert (past["to_year"] <= 2008).all()
    text = tw.describe_jumps(j, "osi", 0.6, 0.1, "TUN", 2024)
    assert "from OSI" in text and "net of the median country" in text
    none = tw.historical_jumps(egdi, 0.3, up_to=2003)
    assert none.empty
    assert "history offers no comparable jump" in tw.describe_jumps(
        none, "osi", 0.3, 0.1, "COM", 2003
    )


def test_published_zero_components_do_not_count_as_jumps(egdi):
    """Liechtenstein's HCI is published as 0 in 2003-2005 (missing data), 0.948 in 2008: its
    +0.37 EGDI 'jump' 2005->2008 is an artefact and is left out unless asked for."""
    kept = tw.historical_jumps(egdi, 0.18, metric="egdi", band=0.02, n=50, up_to=2008)
    assert "LIE" not in kept["iso3"].tolist() and kept.attrs["dropped_zero"] >= 1
    raw = tw.historical_jumps(
        egdi,
        0.18,
        metric="egdi",
        band=0.02,
        n=50,
        up_to=2008,
        drop_zero_components=False,
        include_revisions=True,
    )
    lie = raw[raw["iso3"] == "LIE"].iloc[0]
    assert (lie["from_year"], lie["to_year"]) == (2005, 2008) and lie["driver"] == "HCI"
    assert "left out because a component is published as exactly 0" in tw.describe_jumps(
        kept, "egdi", 0.18, 0.02, "COM", 2008
    )


def test_trajectory_text_names_unassessed_editions(egdi):
    text = tw.describe_trajectories(egdi, ["BHR", "LBY"], 2024)
    assert "Libya" in text and "not assessed in 2003, 2004, 2005 and 2012" in text
    # South Sudan joined the UN in 2011: before, it was not "not assessed"
    ssd = tw.describe_trajectories(egdi, ["SSD"], 2024)
    assert "2010" not in ssd and "not assessed" not in ssd


def test_likely_revisions_are_not_evidence(egdi):
    """Libya's TII 0.160 -> 0.964 (2022 -> 2024) is flagged and kept out of the jumps."""
    j = tw.historical_jumps(egdi, 0.34, metric="egdi", band=0.05, n=50, up_to=2024)
    assert "LBY" not in j[j["to_year"] == 2024]["iso3"].tolist()
    assert "Libya 2022→2024" in j.attrs["revisions"]
    assert "likely data revisions" in tw.describe_jumps(j, "egdi", 0.34, 0.05, "COM", 2024)
    raw = tw.historical_jumps(
        egdi, 0.34, metric="egdi", band=0.05, n=50, up_to=2024, include_revisions=True
    )
    assert "LBY" in raw[raw["to_year"] == 2024]["iso3"].tolist()


def test_notebook_reports_unassessed_mentee_without_crashing(tmp_path):
    import matplotlib
    import papermill as pm

    matplotlib.use("Agg")
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(
        str(NOTEBOOK),
        str(out),
        kernel_name="python3",
        cwd=str(NOTEBOOK.parent),
        parameters={
            "year": 2008,
            "mentees": ["TUN", "SSD"],
            "propose_for": "COM",
            "n_candidates_shown": 3,
        },
        progress_bar=False,
    )
    text = out.read_text()
    # South Sudan joined the UN in 2011: "not yet a UN member state", never "not assessed".
    assert "South Sudan (SSD), the mentee, was not yet a UN member state" in text
    assert "South Sudan (SSD), the mentee, was not assessed" not in text
    assert "Mentors proposed for Comoros" in text and "image/png" in text


def test_stepping_stones_lie_between_mentee_and_mentor(egdi, ctx2024):
    r = tw.analyse_pair("BHR", "TUN", 2024, panel=egdi, context=ctx2024)
    e = egdi[egdi["year"] == 2024].set_index("iso3")
    assert len(r.stones) and (r.stones["osi"] <= e.loc["BHR", "osi"]).all()
    assert (r.stones["osi"] >= r.priorities.loc["osi", "feasible_target"]).all()
    assert "ARE" not in set(r.stones["iso3"])  # the UAE's OSI (0.916) is above Bahrain's (0.903)
    from egovlib.errors import SpecError

    with pytest.raises(SpecError, match="target must be one of.*Fix"):
        tw.analyse_pair("BHR", "TUN", 2024, panel=egdi, context=ctx2024, target="gdp")


# --- fast paths equal the plain pandas computation ----------------------------------------------

#: Editions, focus countries and weightings the fast paths are compared on (old editions have
#: fewer features with data; Comoros and South Sudan are often not assessed).
FAST_PATH_CASES = [
    (2003, "BHR", {}),
    (2008, "TUN", {"similarity_weights": {"population": 0.0, "population_decades": 3.0}}),
    (2016, "COM", {"target": "osi"}),
    (2024, "BHR", {}),
    (2024, "USA", {"weights": {"lead": 0.75, "similarity": 0.25, "min_lead": 0.02}}),
    (2024, "TUN", {"candidates": "Africa"}),
]


def _pandas_similarity(per_feature: pd.DataFrame, w: tw.SimilarityWeights) -> pd.Series:
    """The weighted similarity as pandas row sums (how `_weigh_similarities` computed it)."""
    wts = pd.Series({f"sim_{f}": float(getattr(w, f)) for f in tw.SIMILARITY_FEATURES})
    sims = per_feature[wts.index].astype(float)
    wsum = sims.notna().mul(wts, axis=1).sum(axis=1)
    return sims.fillna(0).mul(wts, axis=1).sum(axis=1) / wsum.where(wsum > 0)


@pytest.mark.parametrize(("year", "focus", "kw"), FAST_PATH_CASES)
def test_similarity_and_ranking_fast_paths_equal_pandas(egdi, year, focus, kw):
    """The numpy similarity is pandas' to the last bit, and the table's order is the pandas sort
    (eligible first, score descending with missing as -1, then ISO3)."""
    ctx = tw.load_context(year).data
    scores = tw.edition_scores(egdi, year)
    for weights in [{}, {"income": 0.0}, {"region": 2.0, "bodies": 0.5, "gtmi": 0.0}]:
        w = tw.SimilarityWeights.from_mapping(weights)
        for iso3 in ["BHR", "TUN", "FRA"]:
            got = tw.context_similarity(ctx, iso3, w)["similarity"]
            ref = _pandas_similarity(tw._feature_similarities(ctx, iso3, 2.0), w)
            pd.testing.assert_series_equal(got, ref.rename("similarity"), check_exact=True)
    assert focus in scores.index
    for role in ("mentor", "mentee"):
        t = tw.pairing_table(scores, ctx, focus, role=role, **kw)
        ref = t.assign(_s=t["score"].fillna(-1.0)).sort_values(
            ["eligible", "_s", "iso3"], ascending=[False, False, True]
        )
        assert list(ref.index) == list(range(len(t)))
        assert t["eligible"].any()  # not a comparison of empty rankings


@pytest.mark.parametrize(("year", "focus", "kw"), FAST_PATH_CASES)
def test_pairing_sensitivity_equals_a_pairing_table_per_variant(egdi, year, focus, kw):
    """The sensitivity ranks with arrays computed once; each row must be what a full
    `pairing_table` under that variant's weights gives (eligible count, top three, ranks)."""
    context = tw.load_context(year)
    scores = tw.edition_scores(egdi, year)
    assert focus in scores.index
    chosen = [c for c in ["TUN", "COM", "QAT", "FRA"] if c != focus]
    base_p = tw.PairingWeights.from_mapping(kw.get("weights")).__dict__
    base_s = tw.SimilarityWeights.from_mapping(kw.get("similarity_weights")).__dict__
    for role in ("mentor", "mentee"):
        sens = tw.pairing_sensitivity(
            scores, context.data, focus, role=role, chosen=chosen, features=context.features, **kw
        )
        assert len(sens) >= 5
        for row in sens.to_dict("records"):
            label = row["variant"]
            pw, sw = (
                ({}, {})
                if label.startswith("as chosen")
                else next((p, s) for lab, p, s in tw.SENSITIVITY_VARIANTS if lab == label)
            )
            t = tw.pairing_table(
                scores,
                context.data,
                focus,
                role=role,
                candidates=kw.get("candidates"),
                target=kw.get("target"),
                weights={**base_p, **pw},
                similarity_weights={**base_s, **sw},
            )
            ok = t[t["eligible"]]
            assert row["eligible"] == len(ok)
            assert row["top"] == ", ".join(ok["country"].head(3))
            ranks = t.set_index("iso3")["rank"]
            for c in chosen:
                want = ranks.get(c, pd.NA)
                got = row[tw.country_name(c)]
                assert (pd.isna(got) and pd.isna(want)) or got == want


def test_jumps_from_precomputed_changes_equal_jumps_computed_afresh(egdi):
    """06 computes the edition changes once for every mentee and metric."""
    for year, breaks in [(2024, False), (2012, True)]:
        ch = tw.edition_changes(egdi, up_to=year, include_breaks=breaks)
        for metric, level in [("osi", 0.45), ("egdi", 0.3), ("tii", 0.8)]:
            kw = dict(metric=metric, up_to=year, include_breaks=breaks)
            fresh = tw.historical_jumps(egdi, level, **kw)
            given = tw.historical_jumps(egdi, level, changes=ch, **kw)
            pd.testing.assert_frame_equal(given, fresh, check_exact=True)
            assert given.attrs == fresh.attrs and len(given) > 0


def _peak_reference(panel, iso3, year, c):
    """Peak, latest and ranks of one index as plain per-index pandas selections."""
    ok = panel[panel["assessed"] & (panel["year"] <= year)]
    starts = [b for b in tw.method_breaks(c) if b <= year]
    e = ok[ok["year"] >= (max(starts) if starts else int(ok["year"].min()))]
    own = e[e["iso3"] == iso3].set_index("year")[c].dropna()
    py, ly = int(own.idxmax()), int(own.index.max())
    a = e[e["year"] == py].set_index("iso3")[c]
    b = e[e["year"] == ly].set_index("iso3")[c]
    both = a.index.intersection(b.index)
    med = float((b[both] - a[both]).median()) if py != ly else 0.0
    return (py, ly, int((a > own[py]).sum()) + 1, int((b > own[ly]).sum()) + 1, med, len(own))


@pytest.mark.parametrize(("iso3", "year"), [("TUN", 2024), ("COM", 2008), ("BHR", 2016)])
def test_peak_and_decline_equals_per_index_selections(egdi, iso3, year):
    pk = tw.peak_and_decline(egdi, iso3, year).set_index("index")
    assert len(pk) == 5
    for c, row in pk.iterrows():
        got = tuple(
            row[k]
            for k in (
                "peak_year",
                "latest_year",
                "peak_rank",
                "latest_rank",
                "median_change",
                "n_editions",
            )
        )
        assert got == _peak_reference(egdi, iso3, year, c)
