"""Monte Carlo: each build equals the scalar formulas; Sobol estimators against SALib."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from egovlib.engine import build, index_data, load_specs, monte_carlo, sensitivity, sobol_indices
from egovlib.engine.uncertainty import rank_intervals, shift_interval
from egovlib.indices import rank_desc

ALT = {
    "weights": 0.25,
    "normalisation": ["minmax", "rank", "zscore"],
    "aggregation": ["arithmetic", "geometric"],
    "impute": ["income_group", "none"],
    "max_age": [5, 10],
    "bootstrap": 5,
}


@pytest.fixture(scope="module")
def built():
    s = load_specs()["professional_ict_skills"]
    return build(s, index_data(2024, [s], max_ages=(5, 10)))


def scalar_build(built, i, mc, refs=None):
    """Build i of the Monte Carlo written out with plain pandas formulas (no engine code)."""
    ch = mc.choices
    spec, data = built.spec, built.data
    raw = data.matrix(spec.variables, int(ch.max_age[i]))
    vals = raw.copy()
    if ch.impute[i] != "none":
        keys = data.frame[ch.impute[i]]
        ok_cov = raw.notna().mean(axis=1) >= spec.min_coverage
        for v in spec.variables:
            med = raw[v].groupby(keys).median()
            fill = raw[v].isna() & ok_cov & keys.map(med).notna()
            vals.loc[fill, v] = keys[fill].map(med).astype(float)
    norm = ch.normalisation[i]
    if norm == "minmax":
        z = (vals - vals.min()) / (vals.max() - vals.min())
    elif norm == "zscore":
        z = (vals - vals.mean()) / vals.std(ddof=1)
    else:
        z = (vals.rank() - 1) / (vals.notna().sum() - 1)
    w = pd.Series(ch.weights[i], index=spec.variables)
    have = z.notna()
    if ch.aggregation[i] == "geometric":
        s = np.exp((np.log(0.01 + 0.99 * z) * w).sum(axis=1) / (have * w).sum(axis=1))
    else:
        s = (z.fillna(0) * w).sum(axis=1) / (have * w).sum(axis=1)
    s = (s - s.min()) / (s.max() - s.min())
    return rank_desc(s).astype(float).to_numpy()


def test_monte_carlo_builds_equal_the_scalar_formulas(built):
    alt = {k: v for k, v in ALT.items() if k != "bootstrap"}  # bootstrap: tested below
    mc = monte_carlo(built, alt, n_draws=400, seed=3)
    rng = np.random.default_rng(0)
    rows = rng.choice(len(mc.choices), 25, replace=False)
    for i in rows:
        np.testing.assert_array_equal(mc.index_ranks[i], scalar_build(built, i, mc), str(i))


def test_nominal_choices_reproduce_build(built):
    mc = monte_carlo(built, {}, n_draws=3, seed=1)
    for r in mc.index_ranks:
        np.testing.assert_array_equal(r, built.ranks.astype(float).to_numpy())
    ri = rank_intervals(mc)
    assert (ri["width"] == 0).all() and (ri["median"] == ri["nominal"]).all()


def test_seed_design_and_intervals(built):
    a = monte_carlo(built, ALT, 700, seed=7)
    b = monte_carlo(built, ALT, 700, seed=7)
    np.testing.assert_array_equal(a.egdi_ranks, b.egdi_ranks)
    assert a.factors == ["weights", "method", "impute", "max_age", "bootstrap"]
    assert len(a.choices) == a.n_base * (len(a.factors) + 2)
    geo = a.choices.aggregation == "geometric"
    assert geo.any() and not (a.choices.normalisation[geo] == "zscore").any()
    w = a.choices.weights
    assert w.sum(axis=1) == pytest.approx(1.0)
    ri = rank_intervals(a)
    assert ((ri["lower"] <= ri["median"]) & (ri["median"] <= ri["upper"])).all()
    sh = shift_interval(a, built.egdi_ranks)
    assert (sh["lower"] <= sh["upper"]).all()
    assert sh["finding"].equals((sh["lower"] > 0) | (sh["upper"] < 0))


def test_total_order_at_least_first_order_and_a_lone_factor_explains_everything(built):
    only = monte_carlo(built, {"normalisation": ["minmax", "rank"]}, 3000, seed=2)
    s = sensitivity(only).set_index("factor").loc["normalisation and aggregation"]
    # one factor: it explains all the variance (the first-order estimator is the noisier one)
    assert s["total_order"] == pytest.approx(1.0, abs=0.1) and s["first_order"] > 0.6
    full = sensitivity(monte_carlo(built, ALT, 6000, seed=5))
    assert (full["total_order"] >= full["first_order"] - 0.05).all()  # up to sampling error
    assert full["total_order"].iloc[0] > 0.3


def test_sobol_estimators_agree_with_salib():
    from SALib.analyze import sobol as salib

    rng = np.random.default_rng(11)
    n, d = 512, 3
    a, b = rng.random((n, d)), rng.random((n, d))

    def f(x):  # Ishigami on [-pi, pi]^3
        x = (2 * x - 1) * np.pi
        return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])

    abs_ = []
    for i in range(d):
        ab = a.copy()
        ab[:, i] = b[:, i]
        abs_.append(f(ab))
    y = np.concatenate([f(a), f(b), *abs_])  # our layout: A, B, A_B(1..D)
    ours = sobol_indices(y, n, d)
    # SALib's layout interleaves per base row: A_j, A_B(1)_j, ..., A_B(D)_j, B_j
    inter = np.column_stack([f(a), *abs_, f(b)]).ravel()
    problem = {"num_vars": d, "names": ["x1", "x2", "x3"], "bounds": [[0, 1]] * d}
    ref = salib.analyze(problem, inter, calc_second_order=False, num_resamples=10, seed=1)
    np.testing.assert_allclose(ours["first_order"], ref["S1"], atol=1e-12)
    np.testing.assert_allclose(ours["total_order"], ref["ST"], atol=1e-12)
    # and near the analytic Ishigami values (S1 = .314, .442, 0; ST = .558, .442, .244)
    assert ours["total_order"].to_numpy() == pytest.approx([0.558, 0.442, 0.244], abs=0.12)


def test_percentiles_equal_numpy_nanpercentile():
    from egovlib.engine.uncertainty import percentiles

    rng = np.random.default_rng(3)
    r = rng.integers(1, 50, (500, 8)).astype(float)
    r[::7, 2] = np.nan  # a country unranked in some builds
    r[:, 5] = np.nan  # a country never ranked
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        expected = np.nanpercentile(r, [5, 50, 95], axis=0)
    np.testing.assert_array_equal(percentiles(r, [5, 50, 95]), expected)


def test_prepare_many_bootstrap_replicates_at_once(built):
    """Group medians for many bootstrap replicates at once equal one replicate at a time, and
    equal numpy's median of the reference countries' observed values."""
    from egovlib.engine.build import prepare

    spec, data = built.spec, built.data
    rng = np.random.default_rng(4)
    n = len(data.countries)
    refs = rng.multinomial(n, np.full(n, 1 / n), size=6)
    refs[5] = 0
    refs[5, :3] = 1  # a replicate whose reference lacks most groups: those stay missing
    many = prepare(spec, data, "income_group", 5, refs)
    for b in range(6):
        one = prepare(spec, data, "income_group", 5, refs[b])
        np.testing.assert_array_equal(many.matrix[b], one.matrix)
        np.testing.assert_array_equal(many.imputed[b], one.imputed)
    raw = data.matrix(spec.variables, 5)
    v = spec.variables[-1]
    groups = data.frame["income_group"]
    iso = raw.index[many.imputed[0][:, -1]][0]
    pool = raw.loc[(groups == groups[iso]) & (refs[0] > 0) & raw[v].notna(), v]
    assert many.matrix[0][raw.index.get_loc(iso), -1] == np.median(pool)


def test_one_panel_for_every_vintage_rule_equals_one_panel_per_rule():
    from egovlib.panel import build_panel

    s = load_specs()["combined"]
    d = index_data(2024, [s], max_ages=(5, 3, 10))
    for age in (3, 10):
        p = build_panel(2024, covariates=d.variables, max_age=age)
        keep = (p.data["year"] == 2024) & p.data["assessed"].astype(bool)
        sel = p.data.loc[keep].set_index("iso3")
        pd.testing.assert_frame_equal(
            d.by_age[age], sel[d.variables].astype(float).reindex(d.frame.index)
        )
        refs = p.ref_years.loc[keep.to_numpy()].set_index("iso3")[d.variables]
        pd.testing.assert_frame_equal(d.ref_years[age], refs.reindex(d.frame.index))
    assert (d.by_age[3].notna().sum() <= d.by_age[10].notna().sum()).all()


def test_ranks_are_computed_once_and_match_the_scores(built):
    mc = monte_carlo(built, {"weights": 0.2, "impute": ["income_group", "none"]}, 200, seed=1)
    assert mc._ranks == {}  # nothing ranked until asked
    r = mc.egdi_ranks
    assert mc.ranks("egdi") is r
    from egovlib.engine.build import implied_egdi
    from egovlib.indices import rank_rows

    np.testing.assert_array_equal(r, rank_rows(implied_egdi(built.spec, built.data, mc.scores)))
    np.testing.assert_array_equal(mc.index_ranks, rank_rows(mc.scores))
