"""Monte Carlo rank uncertainty: batch maths against egovlib.indices, seeds, interval properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from egovlib import country_name
from egovlib import uncertainty as U
from egovlib import variants as V
from egovlib.errors import SpecError
from egovlib.indices import aggregate, normalise, rank_desc

GCC = ["BHR", "KWT", "OMN", "QAT", "SAU", "ARE"]


@pytest.fixture(scope="module")
def combined_2024():
    specs = V.load_specs()
    return V.compute_variant(specs["combined"], 2024)


def nominal_only(result, n=3, seed=1):
    s = result.spec
    return U.monte_carlo(
        result,
        n,
        seed,
        weight_spread=0.0,
        normalisations=[s.normalisation],
        aggregations=[s.aggregation],
        imputations=[s.missing.impute],
    )


# ---------------------------------------------------------------- batch maths, by hand


def test_batch_normalise_by_hand():
    x = np.array([[1.0, 7.0], [2.0, 7.0], [3.0, 7.0], [6.0, np.nan]])
    mm = U.batch_normalise(x, "minmax")
    assert mm[:, 0] == pytest.approx([0, 0.2, 0.4, 1])
    assert mm[:3, 1].tolist() == [0.5, 0.5, 0.5] and np.isnan(mm[3, 1])  # constant -> midpoint
    z = U.batch_normalise(x, "zscore")
    assert z[:, 0] == pytest.approx(np.array([-2, -1, 0, 3]) / np.sqrt(14 / 3))
    assert z[:3, 1].tolist() == [0, 0, 0]
    rk = U.batch_normalise(np.array([[1.0], [2.0], [2.0], [9.0]]), "rank")
    assert rk[:, 0] == pytest.approx([0, 0.5, 0.5, 1])
    fr = U.batch_normalise(x, "distance_to_frontier")
    assert fr[:, 0] == pytest.approx([1 / 6, 2 / 6, 3 / 6, 1]) and fr[:3, 1].tolist() == [1, 1, 1]


def test_batch_aggregate_by_hand_with_zeros_and_missing():
    z = np.array([[0.25, 1.0], [0.0, 0.5], [0.5, np.nan]])
    w = np.array([[0.5, 0.5], [0.75, 0.25]])
    geo = U.batch_aggregate(z, w, "geometric")
    assert geo[0] == pytest.approx([0.5, 0.25**0.75])
    assert geo[1].tolist() == [0.0, 0.0]  # a zero component gives 0 (no compensation)
    assert geo[2] == pytest.approx([0.5, 0.5])  # reweighted over the one component it has
    ari = U.batch_aggregate(z, w, "arithmetic", reweight=False)
    assert ari[0] == pytest.approx([0.625, 0.4375]) and np.isnan(ari[2]).all()


@pytest.mark.parametrize("method", ["minmax", "zscore", "rank", "distance_to_frontier"])
def test_batch_normalise_agrees_with_indices(method):
    rng = np.random.default_rng(3)
    x = rng.gamma(2.0, size=(60, 4))
    x[rng.random(x.shape) < 0.15] = np.nan
    x[:, 3] = np.where(np.isnan(x[:, 3]), np.nan, 2.5)  # a constant column
    x[5:9, 1] = x[4, 1]  # ties
    ref = normalise(pd.DataFrame(x), method).to_numpy()
    np.testing.assert_allclose(U.batch_normalise(x, method), ref, rtol=0, atol=1e-14)


@pytest.mark.parametrize("method", ["arithmetic", "geometric"])
def test_batch_aggregate_agrees_with_indices_for_each_weight_row(method):
    rng = np.random.default_rng(4)
    z = rng.random((50, 3))
    z[[3, 7], 1] = 0.0
    w = rng.dirichlet([3, 2, 1], size=5)
    got = U.batch_aggregate(z, w, method)
    for j in range(len(w)):
        ref = aggregate(
            pd.DataFrame(z, columns=list("abc")), dict(zip("abc", w[j], strict=True)), method
        ).to_numpy()
        np.testing.assert_allclose(got[:, j], ref, rtol=1e-13, atol=1e-15)


def test_batch_rank_agrees_with_rank_desc():
    rng = np.random.default_rng(5)
    s = rng.random((40, 6))
    s[3] = s[8]  # ties in every draw
    s[10, :] = np.nan
    got = U.batch_rank(s)
    for j in range(s.shape[1]):
        ref = rank_desc(pd.Series(s[:, j])).astype("float").to_numpy()
        np.testing.assert_array_equal(got[:, j], ref)


# ---------------------------------------------------------------- Monte Carlo on real data


def test_single_nominal_draw_reproduces_compute_variant(combined_2024):
    mc = nominal_only(combined_2024)
    sh = V.rank_shifts(combined_2024)
    for k in range(3):
        np.testing.assert_array_equal(mc.index_ranks[k], sh["index_rank_variant"].to_numpy(float))
        np.testing.assert_array_equal(mc.egdi_ranks[k], sh["egdi_rank_variant"].to_numpy(float))


def test_nominal_draw_flips_a_lower_is_better_component_as_compute_variant_does(combined_2024):
    from dataclasses import replace

    spec = combined_2024.spec
    comps = list(spec.components)
    comps[1] = replace(comps[1], direction=-1)
    res = V.compute_variant(replace(spec, components=tuple(comps)), 2024)
    sh = V.rank_shifts(res)
    assert not sh["index_rank_variant"].equals(V.rank_shifts(combined_2024)["index_rank_variant"])
    mc = nominal_only(res)
    np.testing.assert_array_equal(mc.index_ranks[0], sh["index_rank_variant"].to_numpy(float))
    np.testing.assert_array_equal(mc.egdi_ranks[0], sh["egdi_rank_variant"].to_numpy(float))


def test_same_seed_identical_and_different_seeds_differ(combined_2024):
    a = U.monte_carlo(combined_2024, 200, seed=7)
    b = U.monte_carlo(combined_2024, 200, seed=7)
    c = U.monte_carlo(combined_2024, 200, seed=8)
    np.testing.assert_array_equal(a.egdi_ranks, b.egdi_ranks)
    pd.testing.assert_frame_equal(a.draws, b.draws)
    pd.testing.assert_frame_equal(U.rank_intervals(a), U.rank_intervals(b))
    assert not np.array_equal(a.egdi_ranks, c.egdi_ranks)
    assert not a.draws.equals(c.draws)


def test_interval_properties(combined_2024):
    mc = U.monte_carlo(combined_2024, 400, seed=3)
    for target in ("egdi", "index"):
        ri = U.rank_intervals(mc, target)
        assert len(ri) == 193 and ri[["median", "lower", "upper"]].notna().all().all()
        assert ((ri["lower"] <= ri["median"]) & (ri["median"] <= ri["upper"])).all()
        assert (ri["lower"] >= 1).all() and (ri["upper"] <= 193).all()
    assert (U.rank_intervals(mc)["width"] > 0).any()
    fixed = U.rank_intervals(nominal_only(combined_2024, n=50))
    assert (fixed["width"] == 0).all()
    assert (fixed["median"] == fixed["nominal"]).all()


def test_draws_respect_the_design(combined_2024):
    mc = U.monte_carlo(combined_2024, 2000, seed=11, weight_spread=0.2)
    w = mc.draws.filter(like="w_")
    assert w.sum(axis=1).to_numpy() == pytest.approx(1.0)
    w0 = np.array([c.weight for c in combined_2024.spec.components])
    ratio = w.to_numpy() / w0
    # each weight moves by at most x(1.2 / 0.8) relative to the others after renormalising
    assert ratio.max() <= 1.2 / 0.8 + 1e-12 and ratio.min() >= 0.8 / 1.2 - 1e-12
    geo = mc.draws["aggregation"] == "geometric"
    assert geo.any() and not (mc.draws.loc[geo, "normalisation"] == "zscore").any()
    assert set(mc.draws["imputation"]) == {"income_group", "none"}
    with pytest.raises(SpecError, match="no normalisation"):
        U.monte_carlo(combined_2024, 10, normalisations=["zscore"], aggregations=["geometric"])


def test_sensitivity_attributes_variance_to_the_choice_that_varies(combined_2024):
    s = combined_2024.spec
    only_agg = U.monte_carlo(
        combined_2024,
        300,
        seed=2,
        weight_spread=0.0,
        normalisations=["minmax"],
        imputations=[s.missing.impute],
    )
    sens = U.sensitivity(only_agg).set_index("factor")
    assert sens.loc["aggregation", "rank_variance_share"] == pytest.approx(1.0)
    assert sens.loc["aggregation", "first_order_shift"] == pytest.approx(1.0)
    assert sens.loc["normalisation", "rank_variance_share"] == 0.0
    full = U.sensitivity(U.monte_carlo(combined_2024, 1000, seed=2))
    assert full["rank_variance_share"].between(0, 1).all()
    assert full["rank_variance_share"].is_monotonic_decreasing


def test_memo_is_generated_from_the_results():
    specs = V.load_specs()
    panel = V.variant_panel(2024, [v for n in V.proposals(specs) for v in specs[n].variables])
    evs = [
        U.evaluate_proposal(specs[n], 2024, panel, n_draws=50, seed=1)
        for n in ("digital_skills", "digital_education_strategy")
    ]
    against = V.existing_measures(panel, 2024)
    corr = pd.concat([V.component_correlations(e.result, against) for e in evs])
    memo = U.proposal_memo(evs, corr, "BHR", GCC)
    n_obs = evs[0].result.coverage.loc["ict_skills_mean", "observed"]
    assert f"observed for only {n_obs} of 193" in memo  # below half: not recommended
    assert "Digital-skills strategy (GTMI) (observed for 193 of 193" in memo
    bhr = int(evs[1].shifts.loc["BHR", "egdi_shift"])
    assert f"Bahrain {bhr:+d}" in memo and "75% / 25%" in memo
    old = V.compute_variant(specs["digital_skills"], 2012)
    empty = U.ProposalEvaluation(old, V.rank_shifts(old), {}, {})
    assert "No proposal can be evaluated for 2012" in U.proposal_memo(
        [empty], pd.DataFrame(), "BHR", GCC
    )


# ---------------------------------------------------------------- report tables and prose


@pytest.fixture(scope="module")
def evals_2024():
    specs = V.load_specs()
    names = V.proposals(specs)
    panel = V.variant_panel(2024, V.needed_variables(specs, names))
    return [U.evaluate_proposal(specs[n], 2024, panel, n_draws=300, seed=1) for n in names]


def test_focus_interval_table_has_one_row_per_proposal_and_gcc_country(evals_2024):
    t = U.focus_interval_table(evals_2024, GCC)
    assert list(t.columns) == [
        "proposal",
        "iso3",
        "country",
        "nominal",
        "median",
        "5%",
        "95%",
        "width",
    ]
    assert len(t) == len(GCC) * len(evals_2024)
    assert all(sorted(g) == sorted(GCC) for _, g in t.groupby("proposal")["iso3"])
    ev = evals_2024[-1]
    row = t[(t["proposal"] == ev.result.spec.label) & (t["iso3"] == "BHR")].iloc[0]
    ri = ev.intervals.loc["BHR"]
    assert (row["nominal"], row["median"], row["5%"], row["95%"], row["width"]) == (
        ri["nominal"],
        ri["median"],
        ri["lower"],
        ri["upper"],
        ri["width"],
    )
    assert row["country"] == "Bahrain"
    assert ((t["5%"] <= t["median"]) & (t["median"] <= t["95%"])).all()


def test_sensitivity_table_pivots_the_shares(evals_2024):
    wide = U.sensitivity_table(evals_2024)
    labels = [ev.result.spec.label for ev in evals_2024]
    assert list(wide.columns) == ["factor", *sorted(labels)]
    assert {"normalisation", "aggregation", "imputation"} <= set(wide["factor"])
    assert wide[labels].max(axis=1).is_monotonic_decreasing
    for ev in evals_2024:
        s = ev.sensitivity.set_index("factor")["rank_variance_share"]
        got = wide.set_index("factor")[ev.result.spec.label].dropna()
        assert got.to_dict() == pytest.approx(s.to_dict())


def test_sensitivity_prose_states_the_computed_numbers(evals_2024):
    text = U.sensitivity_prose(evals_2024, n_draws=300)
    for ev in evals_2024:
        top = ev.sensitivity.iloc[0]
        assert (
            f"*{ev.result.spec.label}*: {top['factor']} "
            f"({top['rank_variance_share']:.0%} of rank variance"
        ) in text
        assert (
            f"{top['first_order_shift']:.2f}); median interval width "
            f"{ev.intervals['width'].median():.0f} places" in text
        )
    assert f"below about {10 / 300:.3f} (bins / draws)" in text


def test_aggregation_cliff_prose_only_when_aggregation_leads():
    specs = V.load_specs()
    s = specs["professional_ict_skills"]
    panel = V.variant_panel(2024, s.variables)
    fixed = {"weight_spread": 0.0, "normalisations": ["minmax"], "imputations": [s.missing.impute]}
    agg = U.evaluate_proposal(s, 2024, panel, n_draws=200, seed=3, **fixed)
    assert agg.sensitivity.iloc[0]["factor"] == "aggregation"
    zeros = U.zero_at_minimum(agg.result)
    assert len(zeros) >= 1
    text = U.aggregation_cliff_prose([agg])
    widest = agg.intervals.nlargest(10, "width").index.isin(zeros).sum()
    first = agg.intervals.index.intersection(zeros)[0]
    assert text.startswith("**Why aggregation matters so much.**")
    assert f"{len(zeros)} countr" in text and f"{widest} of the 10 widest" in text
    assert country_name(first) in text
    no_agg = U.evaluate_proposal(s, 2024, panel, n_draws=200, seed=3, aggregations=["arithmetic"])
    assert U.aggregation_cliff_prose([no_agg]) == ""


def test_focus_shift_table_and_prose_from_the_shifts(evals_2024):
    t = U.focus_shift_table(evals_2024, GCC)
    assert sorted(t["iso3"]) == sorted(GCC) and t["EGDI rank"].is_monotonic_increasing
    names = [ev.name for ev in evals_2024]
    assert list(t.columns) == [
        "iso3",
        "country",
        "HCI",
        "EGDI rank",
        *[f"{n}: {c}" for n in names for c in ("new HCI", "rank (shift)")],
    ]
    ev = evals_2024[0]
    sh = ev.shifts.loc["BHR"]
    cell = t.set_index("iso3").loc["BHR", f"{ev.name}: rank (shift)"]
    assert cell == (
        f"{int(sh['egdi_rank_variant'])} ({int(sh['egdi_shift']):+d})"
        + ("*" if sh["imputed"] else "")
    )
    text = U.focus_shift_prose(evals_2024, "BHR", GCC, "GCC")
    g = ev.shifts.loc[GCC, "egdi_shift"]
    assert (
        f"*{ev.result.spec.label}*: GCC mean shift {g.mean():+.1f} places; Bahrain "
        f"{int(sh['egdi_shift']):+d} (rank {int(sh['egdi_rank_baseline'])} -> "
        f"{int(sh['egdi_rank_variant'])}); largest gain {country_name(g.idxmax())}"
    ) in text
    assert "XXX not ranked" in U.focus_shift_prose(evals_2024, "XXX", GCC)


def test_summary_coherence_and_design_from_the_evaluations(evals_2024):
    summ = U.shift_summary_table(evals_2024)
    assert list(summ.columns) == ["proposal", *U.SUMMARY_COLUMNS.values()]
    assert summ["mean |shift|"].tolist() == [ev.summary["mean_abs"] for ev in evals_2024]
    coh = U.coherence_table(evals_2024)
    assert coh["Cronbach's alpha"].tolist() == pytest.approx(
        [ev.coherence["alpha"] for ev in evals_2024], nan_ok=True
    )
    prose = U.coherence_prose(evals_2024)
    ev = evals_2024[-1]
    assert (
        f"*{ev.result.spec.label}*: alpha {ev.coherence['alpha']:.2f}, PC1 "
        f"{ev.coherence['pc1_share']:.0%} over {ev.coherence['n']} countries"
    ) in prose
    design = U.mc_design_prose(evals_2024, "egdi")
    assert design.startswith("**Design:** 300 draws per proposal (seed 1); weight spread ±25%")
    assert "Ranks reported: implied EGDI." in design


def test_evaluability_prose_names_what_cannot_be_evaluated(evals_2024):
    assert U.evaluability_prose(evals_2024) == ""
    specs = V.load_specs()
    names = V.proposals(specs)
    for year, expect in (
        (
            2012,
            "**None of the proposals can be evaluated for 2012**: no proxy "
            "has a reference year not after 2011",
        ),
        (2016, "Not evaluable for this edition"),
    ):
        panel = V.variant_panel(year, V.needed_variables(specs, names))
        evs = [U.evaluate_proposal(specs[n], year, panel, n_draws=0) for n in names]
        text = U.evaluability_prose(evs)
        assert text.startswith(expect)
        for ev in evs:
            assert (f"`{ev.name}`" in text) == (year == 2016 and not ev.result.evaluable)
