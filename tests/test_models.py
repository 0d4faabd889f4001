"""egovlib.models: estimators, the two guards, code contrasts, multiplicity, equivalence bounds,
common samples, robustness checks and the real-data answers of notebook 04."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.multitest import multipletests

from egovlib import build_panel, config, un_members
from egovlib.errors import SpecError
from egovlib.models import (
    Spec,
    adjust_pvalues,
    aggregate_conflicts,
    average_marginal_effects,
    check_circularity,
    common_sample,
    contrast,
    design,
    determinants,
    equivalence_bound,
    fit_spec,
    mice_check,
    primary_table,
    side_by_side,
)
from egovlib.models.robustness import specification_curve, with_max_age
from egovlib.models.specs import built_from, codes, hypotheses
from egovlib.panel import Panel

TRUE = {"x1": 0.05, "x2": -0.03}


def _codes(n: int) -> list[str]:
    return [f"S{i:03d}" for i in range(n)]


def simulated_cross_section(n: int = 800, seed: int = 7) -> pd.DataFrame:
    """OSI-like outcome = 0.5 + 0.05 x1 - 0.03 x2 + noise (x1, x2 correlated)."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = 0.5 * x1 + rng.normal(size=n)
    y = 0.5 + TRUE["x1"] * x1 + TRUE["x2"] * x2 + rng.normal(scale=0.05, size=n)
    return pd.DataFrame({"iso3": _codes(n), "year": 2024, "osi": y, "x1": x1, "x2": x2})


def simulated_codes(n: int = 600, seed: int = 3) -> pd.DataFrame:
    """OSI-like outcome with a 0/1/2 government-cloud code (true contrasts +0.10 and +0.25 vs 0)
    and a 0/1 e-ID code with no effect, plus a continuous control."""
    rng = np.random.default_rng(seed)
    cloud = rng.choice([0.0, 1.0, 2.0], size=n, p=[0.4, 0.25, 0.35])
    eid = rng.choice([0.0, 1.0], size=n, p=[0.2, 0.8])
    x1 = rng.normal(size=n)
    y = 0.3 + 0.10 * (cloud == 1) + 0.25 * (cloud == 2) + 0.03 * x1
    y = np.clip(y + rng.normal(scale=0.05, size=n), 0.001, 0.999)
    return pd.DataFrame(
        {
            "iso3": _codes(n),
            "year": 2024,
            "osi": y,
            "gtmi_gov_cloud": cloud,
            "gtmi_eid": eid,
            "x1": x1,
        }
    )


# --- estimators ---------------------------------------------------------------------------------


def test_ols_recovers_known_coefficients():
    fit = fit_spec(Spec("sim", regressors=("x1", "x2"), years=(2024,)), simulated_cross_section())
    assert fit.ok and fit.n == 800 and fit.spec.cov_type == "HC3"
    c = fit.coefs.set_index("term")
    for term, true in TRUE.items():
        assert abs(c.loc[term, "estimate"] - true) < 3.5 * c.loc[term, "se"]
        assert c.loc[term, "ci_low"] < true < c.loc[term, "ci_high"]
    assert c.loc["x1", "se"] < 0.005  # precise enough that the check above can fail
    # the HC3 standard errors are statsmodels' own
    ref = sm.OLS(fit.y, fit.X).fit(cov_type="HC3")
    np.testing.assert_allclose(c.loc[["x1", "x2"], "se"], ref.bse[["x1", "x2"]], rtol=1e-10)


def test_fractional_logit_refuses_outcomes_outside_0_1_and_names_the_countries():
    data = simulated_cross_section(n=200)
    data.loc[[3, 17], "osi"] = [1.2, -0.1]  # not a 0-1 score for these two countries
    spec = Spec("sim", regressors=("x1", "x2"), years=(2024,), estimator="fraclogit")
    for lean in (False, True):
        fit = fit_spec(spec, data, lean=lean)
        assert fit.status == "skipped" and fit.coefs.empty
        assert "outside for S003, S017" in fit.message


def test_fractional_logit_recovers_average_marginal_effects():
    rng = np.random.default_rng(3)
    n = 1500
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    b = np.array([0.3, 0.8, -0.5])
    X = np.column_stack([np.ones(n), x1, x2])
    mu = 1 / (1 + np.exp(-X @ b))
    y = rng.beta(mu * 25, (1 - mu) * 25)  # scores strictly inside (0, 1), mean mu
    data = pd.DataFrame({"iso3": _codes(n), "year": 2024, "osi": y, "x1": x1, "x2": x2})
    fit = fit_spec(Spec("sim", regressors=("x1", "x2"), years=(2024,), estimator="fraclogit"), data)
    assert fit.ok
    true_ame = b * np.mean(mu * (1 - mu))
    c = fit.coefs.set_index("term")
    for j, term in enumerate(("x1", "x2"), start=1):
        assert abs(c.loc[term, "estimate"] - true_ame[j]) < 3.5 * c.loc[term, "se"]
    # the delta-method AMEs equal statsmodels' own (Logit with fractional outcome, same MLE)
    logit = sm.Logit(y, X).fit(disp=0, cov_type="HC0").get_margeff(at="overall")
    np.testing.assert_allclose(c.loc[["x1", "x2"], "estimate"], logit.margeff, rtol=1e-5)
    np.testing.assert_allclose(c.loc[["x1", "x2"], "se"], logit.margeff_se, rtol=1e-4)


def test_fractional_logit_codes_are_discrete_changes_with_delta_method_errors():
    data = simulated_codes()
    spec = Spec("sim", regressors=("gtmi_gov_cloud",), controls=("x1",), years=(2024,))
    fit = fit_spec(spec.with_(estimator="fraclogit"), data)
    assert fit.ok and fit.spec.cov_type == "HC0"
    X, params = fit.X.to_numpy(), fit.result.params.to_numpy()
    cols = list(fit.X.columns)
    j = cols.index("gtmi_gov_cloud[operational]")
    base = X.copy()
    base[:, [cols.index("gtmi_gov_cloud[partial]"), j]] = 0
    on = base.copy()
    on[:, j] = 1

    def ame(b):
        return np.mean(1 / (1 + np.exp(-on @ b)) - 1 / (1 + np.exp(-base @ b)))

    c = fit.coefs.set_index("term")
    # the AME of a code is the average difference in predicted score between the two levels
    assert c.loc["gtmi_gov_cloud[operational]", "estimate"] == pytest.approx(ame(params))
    assert abs(c.loc["gtmi_gov_cloud[operational]", "estimate"] - 0.25) < 0.02
    # delta method with a numerical gradient
    grad = np.array([(ame(params + e * 1e-6) - ame(params - e * 1e-6)) / 2e-6 for e in np.eye(4)])
    se = np.sqrt(grad @ fit.result.cov_params().to_numpy() @ grad)
    assert c.loc["gtmi_gov_cloud[operational]", "se"] == pytest.approx(se, rel=1e-4)
    ame2, _ = average_marginal_effects(params, np.eye(4), X, [[1, 2]])
    assert ame2[j] == pytest.approx(ame(params))


def test_panel_recovers_within_effect_with_country_and_year_effects():
    rng = np.random.default_rng(11)
    codes_, years = _codes(150), [2016, 2018, 2020, 2022, 2024]
    alpha = pd.Series(rng.normal(scale=0.15, size=150), index=codes_)
    gamma = pd.Series([0.0, 0.05, 0.08, 0.12, 0.15], index=years)
    df = pd.DataFrame([(c, t) for c in codes_ for t in years], columns=["iso3", "year"])
    # x correlated with the country effect: pooled OLS is biased, the within estimator is not
    df["x1"] = 2 * alpha[df["iso3"]].to_numpy() + rng.normal(scale=0.1, size=len(df))
    df["osi"] = (
        alpha[df["iso3"]].to_numpy()
        + gamma[df["year"]].to_numpy()
        + 0.04 * df["x1"]
        + rng.normal(scale=0.01, size=len(df))
    )
    fit = fit_spec(Spec("panel", regressors=("x1",), years=tuple(years), estimator="panel_fe"), df)
    assert fit.ok and fit.n == 750 and fit.n_countries == 150 and fit.n_editions == 5
    est, se = fit.coefs.set_index("term").loc["x1", ["estimate", "se"]]
    assert abs(est - 0.04) < 3.5 * se and se < 0.01
    pooled = sm.OLS(df["osi"], sm.add_constant(df[["x1"]])).fit().params["x1"]
    assert abs(pooled - 0.04) > 0.3  # the effects matter: without them the slope is ~0.5


def test_standardised_outcome_removes_each_editions_shift_and_spread():
    rng = np.random.default_rng(2)
    df = pd.DataFrame([(c, t) for c in _codes(100) for t in (2016, 2024)], columns=["iso3", "year"])
    df["x1"] = rng.normal(size=len(df))
    df["osi"] = 0.5 * df["x1"] + rng.normal(scale=0.5, size=len(df))
    # the 2024 edition re-normalised: shifted and stretched, as the UN rescaling can do
    rescaled = df.assign(osi=np.where(df["year"] == 2024, 0.2 + 3 * df["osi"], df["osi"]))
    spec = Spec("p", regressors=("x1",), years=(2016, 2024), estimator="panel_fe")

    def slope(s, d):
        return fit_spec(s, d).coefs.set_index("term").loc["x1", "estimate"]

    # year effects absorb the shift but not the stretch: the raw slope changes ...
    assert abs(slope(spec, rescaled) - slope(spec, df)) > 0.3
    # ... the within-edition z-score removes both: the same slope either way
    std = spec.with_(standardise=True)
    assert slope(std, rescaled) == pytest.approx(slope(std, df), rel=1e-9)


# --- guards -------------------------------------------------------------------------------------


def test_guard_refuses_hci_on_mean_years_of_schooling():
    spec = Spec("circular", outcome="hci", regressors=("hdr_mys",), years=(2024,))
    with pytest.raises(SpecError, match=r"Mean years of schooling.*input of HCI.*allow_circular"):
        check_circularity(spec)
    fit = fit_spec(spec, build_panel(2024, ["hdr_mys"]).data)
    assert fit.status == "refused" and "input of HCI" in fit.message and fit.n == 0


def test_guard_override_fits_and_flags():
    data = build_panel(2024, ["hdr_mys"]).data
    spec = Spec(
        "circular",
        outcome="hci",
        regressors=("hdr_mys",),
        years=(2024,),
        allow_circular=("hdr_mys",),
    )
    fit = fit_spec(spec, data)
    assert fit.ok
    assert any("Circularity override" in w for w in fit.warnings)
    assert fit.n == int(data[["hci", "hdr_mys"]].notna().all(axis=1).sum())


def test_guard_other_rules():
    with pytest.raises(SpecError, match="outcome itself"):
        check_circularity(Spec("s", outcome="osi", regressors=("osi",), allow_circular=("osi",)))
    with pytest.raises(SpecError, match="component of EGDI"):
        check_circularity(Spec("s", outcome="egdi", regressors=("tii",)))
    with pytest.raises(SpecError, match="contains OSI"):
        check_circularity(Spec("s", outcome="osi", regressors=("egdi",)))
    with pytest.raises(SpecError, match="input of TII"):
        check_circularity(Spec("s", outcome="tii", regressors=("internet_users",)))
    assert check_circularity(Spec("s", outcome="osi", regressors=("hdr_mys",))) == []
    warns = check_circularity(Spec("s", outcome="osi", regressors=("gairi_total",)))
    assert len(warns) == 1 and "built partly from OSI" in warns[0]
    assert "Online Service Index" in warns[0]


def test_aggregate_guard_refuses_a_composite_beside_its_own_items():
    # the cloud spec of the old report: CGSI is built from government cloud and the service bus
    spec = Spec("cloud", regressors=("gtmi_gov_cloud", "gtmi_service_bus", "gtmi_cgsi"))
    refusals = aggregate_conflicts(spec)
    assert len(refusals) == 2
    assert all("GTMI core-systems index (CGSI) is built from" in r for r in refusals)
    assert any("government cloud" in r for r in refusals)
    with pytest.raises(SpecError, match="separate models"):
        check_circularity(spec)
    # through sub-indices: the GTMI contains the CGSI, which contains government cloud
    assert {"gtmi_cgsi", "gtmi_gov_cloud"} <= built_from("gtmi")
    assert aggregate_conflicts(Spec("s", regressors=("gtmi_gov_cloud",), controls=("gtmi",)))
    # the AI-readiness total contains the AI-strategy item; the HDI contains GNI per capita
    assert aggregate_conflicts(Spec("s", regressors=("gairi_total", "gairi_dim_vision")))
    assert aggregate_conflicts(Spec("s", regressors=("hdr_hdi",), controls=("log_hdr_gnipc",)))
    # items together, or one composite alone, are fine
    assert aggregate_conflicts(Spec("s", regressors=("gtmi_gov_cloud", "gtmi_eid"))) == []
    assert (
        aggregate_conflicts(Spec("s", regressors=("gtmi_cgsi",), controls=("log_hdr_gnipc",))) == []
    )
    # a refused spec is never fitted
    fit = fit_spec(spec.with_(years=(2024,)), simulated_codes())
    assert fit.status == "refused" and "separate models" in fit.message


# --- codes as categories --------------------------------------------------------------------------


def test_codes_enter_as_dummies_against_the_declared_reference():
    data = simulated_codes()
    spec = Spec("sim", regressors=("gtmi_gov_cloud", "gtmi_eid"), years=(2024,))
    y, X, _, problem, dummies = design(spec, data)
    assert problem == ""
    assert list(X.columns) == [
        "const",
        "gtmi_gov_cloud[partial]",
        "gtmi_gov_cloud[operational]",
        "gtmi_eid[e-ID or digitised national ID]",
    ]
    assert dummies["gtmi_gov_cloud"] == {
        "gtmi_gov_cloud[partial]": 1.0,
        "gtmi_gov_cloud[operational]": 2.0,
    }
    # with the code alone, each contrast is a difference in group means (checked by hand)
    fit = fit_spec(Spec("one", regressors=("gtmi_gov_cloud",), years=(2024,)), data)
    means = data.groupby("gtmi_gov_cloud")["osi"].mean()
    c = fit.coefs.set_index("term")
    assert c.loc["gtmi_gov_cloud[operational]", "estimate"] == pytest.approx(means[2] - means[0])
    assert c.loc["gtmi_gov_cloud[operational]", "label"] == "Government cloud: operational vs none"
    assert fit.coefs.set_index("term").loc["gtmi_gov_cloud[partial]", "level"] == 1.0
    # a contrast between two non-reference levels: difference of coefficients, its own error
    k = contrast(fit, "gtmi_gov_cloud", 2, 1)
    assert k.estimate == pytest.approx(means[2] - means[1])
    w = np.array([0, -1, 1])
    assert k.se == pytest.approx(np.sqrt(w @ fit.result.cov_params().to_numpy() @ w))
    assert contrast(fit, "gtmi_gov_cloud", 2, 0).estimate == pytest.approx(means[2] - means[0])
    # no "per SD" reading anywhere: the table shows contrasts
    table = side_by_side(type("R", (), {"ok": [fit]})())
    assert "Government cloud: operational vs none" in table["term"].tolist()


def test_code_without_its_reference_level_or_with_an_undeclared_code_is_skipped():
    data = simulated_codes()
    spec = Spec("sim", regressors=("gtmi_gov_cloud",), years=(2024,))
    fit = fit_spec(spec, data[data["gtmi_gov_cloud"] > 0])
    assert fit.status == "skipped" and "reference level of Government cloud (none)" in fit.message
    bad = data.assign(gtmi_gov_cloud=data["gtmi_gov_cloud"].replace({2.0: 7.0}))
    fit = fit_spec(spec, bad)
    assert fit.status == "skipped" and "undeclared code(s) [7.0]" in fit.message


def test_shared_design_gives_the_same_fits_and_contrasts_as_fresh_fits():
    # the specification curve builds one design per sample and shares it across estimators
    from egovlib.models.estimation import DesignMemo

    data = simulated_codes()
    spec = Spec("sim", regressors=("gtmi_gov_cloud",), controls=("x1",), years=(2024,))
    memo = DesignMemo(data_key="sim")
    keep = tuple(data["iso3"][:400])
    for s in (spec, spec.with_(estimator="fraclogit"), spec.with_(estimator="median")):
        for sample in (s, s.with_(countries=keep)):
            shared, fresh = fit_spec(sample, data, memo=memo), fit_spec(sample, data)
            pd.testing.assert_frame_equal(shared.coefs, fresh.coefs, check_exact=True)
            pd.testing.assert_frame_equal(shared.cov, fresh.cov, check_exact=True)
            # operational vs partial: two non-reference levels, variance from the covariance
            c = contrast(shared, "gtmi_gov_cloud", 2.0, 1.0)
            e = fresh.coefs.set_index("term")["estimate"]
            hi, lo = "gtmi_gov_cloud[operational]", "gtmi_gov_cloud[partial]"
            v = fresh.cov.loc[hi, hi] + fresh.cov.loc[lo, lo] - 2 * fresh.cov.loc[hi, lo]
            assert c.estimate == pytest.approx(e[hi] - e[lo], abs=1e-12)
            assert c.se == pytest.approx(np.sqrt(v), rel=1e-12)
    assert len(memo.store) == 2  # one design per sample, whatever the estimator


def test_hypotheses_are_declared_as_data():
    hs = hypotheses()
    assert [h.id for h in hs] == ["H1", "H2", "H3"]
    assert [h.variable for h in hs] == ["gtmi_gov_cloud", "gtmi_eid", "gairi_dim_vision"]
    assert [h.contrast_words for h in hs] == [
        "operational vs none",
        "e-ID or digitised national ID vs none",
        "published vs none",
    ]
    assert "AI in government services" in hs[2].cannot_measure
    # the item may record digitised ID records: every phrase names both readings
    assert codes()["gtmi_eid"].phrase(1) == "an e-ID or digitised national ID"
    # the e-ID item is an ambiguous proxy: every headline on it must say so
    assert [bool(h.proxy_note) for h in hs] == [False, True, False]


# --- multiplicity and equivalence ---------------------------------------------------------------


def test_adjusted_p_values_on_a_hand_checked_table():
    p = [0.01, 0.04, 0.03, 0.20]
    # Holm: sorted 0.01, 0.03, 0.04, 0.20 times 4, 3, 2, 1 = 0.04, 0.09, 0.08 -> 0.09, 0.20
    np.testing.assert_allclose(adjust_pvalues(p, "holm"), [0.04, 0.09, 0.09, 0.20])
    # BH: 4/1 0.01, 4/2 0.03, 4/3 0.04, 4/4 0.20 = 0.04, 0.06, 0.0533, 0.20, then the running
    # minimum from the largest: 0.04, 0.0533, 0.0533, 0.20
    np.testing.assert_allclose(adjust_pvalues(p, "bh"), [0.04, 0.16 / 3, 0.16 / 3, 0.20])
    # capped at 1, missing values stay missing and are not counted in the family
    np.testing.assert_allclose(adjust_pvalues([0.5, np.nan, 0.6], "holm"), [1.0, np.nan, 1.0])
    # agrees with statsmodels on a larger family
    q = np.random.default_rng(1).uniform(0, 0.2, 12)
    for ours, theirs in (("holm", "holm"), ("bh", "fdr_bh")):
        np.testing.assert_allclose(adjust_pvalues(q, ours), multipletests(q, method=theirs)[1])
    with pytest.raises(SpecError, match="holm"):
        adjust_pvalues(p, "bonferroni")


def test_equivalence_bound_is_the_far_end_of_the_90_interval():
    # estimate 0.01, SE 0.02, normal: 90% interval 0.01 -+ 1.6449 * 0.02 = -0.0229 to 0.0429
    assert equivalence_bound(0.01, 0.02) == pytest.approx(0.01 + 1.644854 * 0.02, rel=1e-6)
    assert equivalence_bound(-0.01, 0.02) == pytest.approx(0.0429, abs=1e-4)
    # two one-sided tests at 5% reject any effect just beyond the bound, not one just inside
    b = equivalence_bound(0.01, 0.02, df=100)
    for delta, rejected in ((b * 1.01, True), (b * 0.99, False)):
        p_low = stats.t.sf((0.01 + delta) / 0.02, 100)
        p_high = stats.t.cdf((0.01 - delta) / 0.02, 100)
        assert bool(max(p_low, p_high) < 0.05) is rejected


def test_primary_table_adjusts_the_family_and_gives_bounds_for_nulls():
    data = simulated_codes()
    fit = fit_spec(Spec("j", regressors=("gtmi_gov_cloud", "gtmi_eid"), years=(2024,)), data)
    hs = [h for h in hypotheses() if h.variable in ("gtmi_gov_cloud", "gtmi_eid")]
    t = primary_table(fit, hs).set_index("id")
    np.testing.assert_allclose(t["p_adj"], adjust_pvalues(t["p"], "holm"))
    assert t.loc["H1", "significant"] and not t.loc["H2", "significant"]
    assert t.loc["H2", "bound"] == pytest.approx(
        equivalence_bound(t.loc["H2", "estimate"], t.loc["H2", "se"], df=fit.n - 4)
    )


# --- samples and robustness -----------------------------------------------------------------------


def test_common_sample_names_the_countries_lost():
    codes_ = un_members()[:80]
    data = simulated_codes(80).assign(iso3=codes_)
    data.loc[data["iso3"] == codes_[3], "gtmi_eid"] = np.nan
    data.loc[data["iso3"] == codes_[5], "x1"] = np.nan
    cs = common_sample(data, "osi", ["gtmi_gov_cloud", "gtmi_eid", "x1"], 2024)
    assert cs.n == 78 and cs.assessed == 80
    assert cs.lost["iso3"].tolist() == [codes_[3], codes_[5]]
    assert cs.lost["missing"].tolist() == ["e-ID or digitised national ID", "x1"]
    # a model restricted to the common sample uses exactly those countries
    spec = Spec("c", regressors=("gtmi_gov_cloud",), years=(2024,), countries=tuple(cs.countries))
    assert fit_spec(spec, data).countries == cs.countries


def _panel_of(data: pd.DataFrame) -> Panel:
    refs = data[["iso3", "year"]].copy()
    for c in data.columns.drop(["iso3", "year", "osi"]):
        refs[c] = 2023
    refs.loc[refs.index[:40], "x1"] = 2015  # old values: dropped by a short maximum age
    return Panel(data=data, ref_years=refs, coverage=pd.DataFrame())


def test_with_max_age_blanks_values_older_than_the_rule():
    data = simulated_codes(100).assign(region="R")
    panel = _panel_of(data)
    assert with_max_age(panel, 1, 5)["x1"].isna().sum() == 40  # 2024 - 1 - 2015 = 8 > 5
    assert with_max_age(panel, 1, 10)["x1"].isna().sum() == 0


def test_specification_curve_covers_every_choice(monkeypatch):
    from egovlib.models import robustness

    data = simulated_codes(300).assign(
        region="R", hdr_gnipc=np.exp(np.random.default_rng(0).normal(9, 1, 300))
    )
    data["hdr_pop"] = 5.0 + np.arange(300) % 7
    sets = {"income only": ("log_hdr_gnipc",), "income and x1": ("log_hdr_gnipc", "x1")}
    monkeypatch.setattr(robustness, "control_sets", lambda: sets)
    hs = [h for h in hypotheses() if h.variable in ("gtmi_gov_cloud", "gtmi_eid")]
    panels = {lag: _panel_of(data) for lag in (0, 1, 2)}
    default = {
        "controls": "income only",
        "lag": 1,
        "max_age": 5,
        "estimator": "ols",
        "sample": "all countries",
        "model": "together",
    }
    curve, notes = specification_curve(
        panels, hs, year=2024, outcome="osi", group=data["iso3"][:5].tolist(), default=default
    )
    # 2 control sets x 3 lags x 3 max ages x 3 estimators x 3 samples x (1 joint + 2 alone)
    assert len(curve) == 2 * 3 * 3 * 3 * 3 * (2 + 2) and notes == []
    assert curve["is_default"].sum() == 2  # one row per hypothesis
    h1 = curve[curve["id"] == "H1"]
    assert (h1["ci_low"] > 0).all() and h1["estimate"].between(0.15, 0.35).all()
    assert set(curve["sample"]) == {
        "all countries",
        "without influential countries",
        "without the group",
    }
    assert (curve.loc[curve["sample"] == "without the group", "n"] < 300).all()


def test_multiple_imputation_adds_back_the_missing_and_is_reproducible():
    data = simulated_codes(300)
    data.loc[data.index[:12], "gtmi_eid"] = np.nan
    data.loc[data.index[20:26], "x1"] = np.nan
    spec = Spec("j", regressors=("gtmi_gov_cloud", "gtmi_eid"), controls=("x1",), years=(2024,))
    fit = fit_spec(spec, data)
    hs = [h for h in hypotheses() if h.variable in ("gtmi_gov_cloud", "gtmi_eid")]
    table, imputed = mice_check(fit, data, hs, seed=5, imputations=5, burn_in=3)
    assert sorted(imputed) == sorted(data["iso3"][:12].tolist() + data["iso3"][20:26].tolist())
    t = table.set_index("id")
    assert t.loc["H1", "complete_n"] == 282 and t.loc["H1", "mice_n"] == 300
    assert abs(t.loc["H1", "mice_estimate"] - 0.25) < 0.03
    again, _ = mice_check(fit, data, hs, seed=5, imputations=5, burn_in=3)
    pd.testing.assert_frame_equal(table, again)


# --- real data ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_2024():
    return determinants(2024, robustness=False)


def test_headline_2024_holds_no_aggregate_with_its_items(real_2024):
    det = real_2024
    assert det.headline.name == "H1-H3 together, OLS"
    assert set(det.headline.spec.regressors) == {"gtmi_gov_cloud", "gtmi_eid", "gairi_dim_vision"}
    for f in [*det.compared.fits, *det.near.fits]:
        assert aggregate_conflicts(f.spec) == [], f.name
        bases = {t.removeprefix("log_") for t in f.spec.terms}
        assert not any(built_from(b) & bases for b in bases), f.name
    # near-outcome composites are never in the compared models, and each stands alone
    near = {"gtmi_cgsi", "gtmi", "gairi_total", "aipi"}
    assert not any(set(f.spec.terms) & near for f in det.compared.fits)
    assert [len(set(f.spec.terms) & near) for f in det.near.fits] == [0, 1, 1, 1, 1]
    # codes are dummies, read as contrasts
    assert "gtmi_gov_cloud[operational]" in det.headline.X.columns


def test_every_compared_column_2024_has_the_same_countries(real_2024):
    det = real_2024
    assert all(f.ok for f in det.compared.fits)
    samples = {tuple(sorted(f.countries)) for f in det.compared.fits}
    assert samples == {tuple(sorted(det.common.countries))}
    assert {f.n for f in det.compared.fits} == {det.common.n}
    near = {tuple(sorted(f.countries)) for f in det.near.fits}
    assert near == {tuple(sorted(det.near_common.countries))}
    # who is lost, checked against the panel itself; every GCC country is in the sample
    d = det.data[det.data["year"] == 2024]
    need = ["osi", "gtmi_gov_cloud", "gtmi_eid", "gairi_dim_vision", "hdr_gnipc", "hdr_pop"]
    lost = set(d.loc[~d[need].notna().all(axis=1), "iso3"])
    assert set(det.common.lost["iso3"]) == lost == {"FSM", "MCO", "PLW", "PRK"}
    assert set(det.group) <= set(det.common.countries)


def test_headline_2024_contrasts_match_an_independent_formula_fit(real_2024):
    det = real_2024
    d = det.data[det.data["iso3"].isin(det.common.countries)].copy()
    d["li"], d["lp"] = np.log(d["hdr_gnipc"]), np.log(d["hdr_pop"])
    ref = smf.ols(
        "osi ~ C(gtmi_gov_cloud) + C(gtmi_eid) + C(gairi_dim_vision) + li + lp + C(region)", d
    ).fit(cov_type="HC3")
    t = det.primary.set_index("id")
    assert t.loc["H1", "estimate"] == pytest.approx(ref.params["C(gtmi_gov_cloud)[T.2.0]"])
    assert t.loc["H3", "estimate"] == pytest.approx(ref.params["C(gairi_dim_vision)[T.100.0]"])
    assert t.loc["H2", "se"] == pytest.approx(ref.bse["C(gtmi_eid)[T.1.0]"])
    np.testing.assert_allclose(t["p_adj"], adjust_pvalues(t["p"], "holm"))
    # residuals come from the bounded model: every prediction inside (0, 1)
    assert det.residuals["predicted"].between(0, 1, inclusive="neither").all()


def test_early_editions_have_no_testable_hypothesis_and_no_skipped_model():
    det = determinants(2008, robustness=False)
    assert det.testable == [] and len(det.untestable) == 3
    assert all("2020" in why for _, why in det.untestable)
    assert all(f.ok for f in det.compared.fits)
    assert det.era == (2003, 2004, 2005, 2008) and det.era_fit.ok
    assert det.controls == real_controls()
    # 192 UN member states in 2008 (South Sudan joined in 2011): no covariate counts more
    from egovlib.models.reporting import vintage_table

    counts = vintage_table(det).set_index("variable")["countries_with_data"]
    assert counts.max() == 192 and counts.idxmax() == "Population"
    # the clearest within-country term is picked out of several: its finding gives the Holm
    # adjustment for their number (internet use: p 0.031 alone, about 0.12 for the 4 variables)
    from egovlib.models import key_findings

    within = next(k for k in key_findings(det) if k.startswith("Within countries"))
    coefs = det.era_fit.coefs
    p_adj = adjust_pvalues(coefs["p"], "holm")[int(coefs["p"].to_numpy().argmin())]
    assert f"not significant after Holm's adjustment for the {len(coefs)} variables" in within
    assert f"(p = {p_adj:.3f}): it may be chance" in within and p_adj > 0.05


def test_key_findings_are_specific_and_group_neutral(real_2024):
    import re

    from egovlib.models import key_findings

    gcc = key_findings(real_2024)
    assert 3 <= len(gcc) <= 5
    assert gcc[0].startswith("**Government cloud (H1)**") and "Holm-adjusted p" in gcc[0]
    assert "e-ID or digitised national ID" in gcc[1] and "95% CI" in gcc[1]
    assert "weak test of the e-ID question" in gcc[1]  # and the proxy it rests on
    # who answers "no" is computed: the highest-scoring of them, named
    assert "countries coded 'none' in the 2022 data include" in gcc[1]
    assert "New Zealand and Australia (the 3 with the highest OSI among them)" in gcc[1]
    assert any("Bahrain" in f for f in gcc)
    maghreb = key_findings(
        determinants(2024, group=["DZA", "LBY", "MAR", "MRT", "TUN"], robustness=False)
    )
    text = " ".join(maghreb)
    assert "GCC" not in text and "Bahrain" not in text and "Libya" in text
    # no code names (snake_case identifiers, file names) in what a reader sees
    assert not re.search(r"\b[a-z]+_[a-z0-9_]+\b|\.ya?ml\b", " ".join(gcc) + text)


def real_controls() -> tuple[str, ...]:
    return ("log_hdr_gnipc", "log_hdr_pop", "region")


def test_same_controls_in_every_edition(real_2024):
    assert real_2024.controls == real_controls()
    assert determinants(2012, robustness=False).controls == real_controls()


def _with_curve(det, rows):
    """A copy of ``det`` with a hand-made specification curve (the default row is H1-H3's
    headline estimate, so `curve_summary` keeps the headline's sign)."""
    import dataclasses

    head = det.primary.set_index("id")["estimate"]
    base = {"lag": 1, "max_age": 5, "estimator": "ols", "sample": "all countries"}
    out = [
        {
            "id": h,
            "controls": "income, population, region",
            **base,
            "model": "together",
            "estimate": e,
            "ci_low": e - 0.05,
            "ci_high": e + 0.05,
            "p": 0.01,
            "n": 189,
            "is_default": True,
        }
        for h, e in head.items()
    ]
    out += [
        {
            "id": h,
            "controls": c,
            **base,
            "model": "one at a time",
            "estimate": e,
            "ci_low": e - 0.05,
            "ci_high": e + 0.05,
            "p": 0.01,
            "n": 189,
            "is_default": False,
        }
        for h, c, e in rows
    ]
    return dataclasses.replace(det, curve=pd.DataFrame(out))


def test_a_null_never_rules_out_what_another_specification_estimates(real_2024):
    from egovlib.models import key_findings, primary_view
    from egovlib.models.reporting import null_bound_text

    r = real_2024.primary.set_index("id").loc["H2"].copy()
    r["id"] = "H2"
    far = max(abs(r["ci_low"]), abs(r["ci_high"]))
    # a specification estimating more than the headline interval's far end: not ruled out
    det = _with_curve(real_2024, [("H2", "income only", far + 0.05)])
    text = null_bound_text(det, r)
    assert f"reaches +{far:.3f}" in text and f"+{far + 0.05:.3f}" in text
    assert "not ruled out" in text and "rule out differences" not in text
    kf = key_findings(det)[1]
    assert kf.startswith(
        "**Digital ID (H2)**: no evidence of a difference; the headline model's 95% interval "
        f"reaches +{far:.3f}, but an alternative specification estimates +{far + 0.05:.3f}, so "
        "differences at least that large on the 0-1 OSI are not ruled out."
    )
    view = primary_view(det).set_index("Hypothesis")
    assert view.loc["H2 Digital ID", "Highest estimate, any specification"] == pytest.approx(
        far + 0.05
    )
    # every estimate inside the interval: the interval's far end is what is ruled out
    det = _with_curve(real_2024, [("H2", "income only", 0.0)])
    if abs(report_extreme_of(det, "H2")) <= far:
        assert f"rule out differences larger than {far:.3f}" in null_bound_text(det, r)


def report_extreme_of(det, hid):
    from egovlib.models.reporting import report_extreme

    return report_extreme(det, hid)


def test_a_headline_that_a_control_set_shrinks_says_so_and_is_not_strong(real_2024):
    from egovlib.models import key_findings
    from egovlib.models.reporting import caveat_clauses, certainty, control_sensitivity

    head = float(real_2024.primary.set_index("id").loc["H1", "estimate"])
    det = _with_curve(
        real_2024,
        [
            ("H1", "+ other GovTech items", head * 0.5),
            ("H1", "+ previous edition's score", head * 0.1),
            ("H1", "+ schooling", head * 0.9),
        ],
    )
    sens = control_sensitivity(det, "H1")
    # nearest zero first; a set that barely moves it is not mentioned
    assert [c["label"] for c in sens] == ["+ previous edition's score", "+ other GovTech items"]
    assert sens[0]["added"] == ["the previous edition's OSI"]
    assert sens[1]["added"] == ["service bus", "national ID system"]
    assert sens[1]["share"] == pytest.approx(0.5)
    r = det.primary.set_index("id").loc["H1"].copy()
    r["id"] = "H1"
    text = caveat_clauses(det, r)[0]
    assert f"to {head * 0.1:+.3f} with the previous edition's OSI added" in text
    assert f"to {head * 0.5:+.3f} with service bus and national ID system added" in text
    # a control set that takes away more than two thirds: never "strong" or "consistent"
    assert "strong" not in certainty(det, r) and "consistent" not in certainty(det, r)
    # the key finding leads with that verdict and names the set that shrinks it most, briefly
    kf = key_findings(det)[0]
    assert kf.startswith(f"**Government cloud (H1)**: {certainty(det, r)}; not proof of a cause.")
    assert (
        f", but {head * 0.1:+.3f} with the previous edition's OSI added (that is, no faster gain "
        "since 2022)"
    ) in kf
    # the within-country estimate (in SD) next to the cross-country gap in the same unit
    sd = real_2024.data.loc[real_2024.data["year"] == 2024, "osi"].std()
    assert f"the cross-country gap is {head / sd:+.2f} SD)" in kf
    assert "service bus" not in kf and "range" not in kf
    det = _with_curve(real_2024, [("H1", "+ other GovTech items", head * 0.9)])
    assert control_sensitivity(det, "H1") == []


def test_a_cross_country_result_the_within_country_check_does_not_confirm_drops_a_level(
    real_2024,
):
    from egovlib.models.reporting import certainty, within_confirms, within_contrast

    for _, r in real_2024.primary[real_2024.primary["significant"]].iterrows():
        k = within_contrast(real_2024, r["id"])
        assert k is not None  # 2024 has two GovTech rounds: the check exists
        confirmed = bool(k.ci_low > 0 if r["estimate"] > 0 else k.ci_high < 0)
        assert within_confirms(real_2024, r) is confirmed
        label = certainty(real_2024, r)
        assert ("not confirmed within countries" in label) is (not confirmed)
        assert label != "strong evidence of an association" or confirmed
    # in 2024 neither cloud nor AI strategy is confirmed within countries (reviewer's check)
    assert not within_confirms(real_2024, real_2024.primary.iloc[0])


def test_residuals_inside_the_threshold_are_within_the_expected_range(real_2024):
    from egovlib.models.reporting import RESIDUAL_THRESHOLD, residual_table

    t = residual_table(real_2024).dropna(subset=["z"])
    inside = t["z"].abs() < RESIDUAL_THRESHOLD
    assert (t.loc[inside, "reading"] == "within the expected range").all()
    assert not t.loc[~inside, "reading"].str.startswith("within").any()
    # Bahrain's +1.4 is not "above": only residuals beyond ±2 are
    assert t.set_index("iso3").loc["BHR", "reading"] == "within the expected range"


def test_desk_coded_items_are_not_said_to_be_reported_by_governments(real_2024):
    from egovlib.models import ceiling_sentences, key_findings

    assert [h.self_reported for h in hypotheses()] == [True, True, False]
    kf = key_findings(real_2024)
    assert "Countries coded as having a published national AI strategy" in kf[2]
    assert "reporting a published national AI strategy" not in " ".join(kf)
    ai = next(s for s in ceiling_sentences(real_2024) if s.startswith("AI in government"))
    assert "Bahrain is coded as having a national AI strategy in development" in ai
    assert "reports" not in ai


def test_previous_edition_score_is_the_published_one_and_never_crosses_a_break():
    from egovlib import load_egdi_panel
    from egovlib.models.robustness import add_previous_outcome

    egdi = load_egdi_panel()
    now = egdi[egdi["year"] == 2024][["iso3", "year"]].reset_index(drop=True)
    out, note = add_previous_outcome(now, "osi", 2024)
    assert note == ""
    bhr = out.set_index("iso3").loc["BHR", "previous_outcome"]
    published_2022 = egdi[(egdi["year"] == 2022) & (egdi["iso3"] == "BHR")]["osi"].item()
    assert bhr == pytest.approx(published_2022)
    # 2014 changed the OSI method: the 2012 score is not a comparable previous score
    then = egdi[egdi["year"] == 2014][["iso3", "year"]]
    out, note = add_previous_outcome(then, "osi", 2014)
    assert out["previous_outcome"].isna().all() and "method changed between 2012 and 2014" in note


def test_the_curves_fast_fits_equal_the_statsmodels_fits_on_real_data(real_2024):
    # The specification curve fits with lean=True: OLS by hand-written algebra (ols_hc3,
    # cooks_distance) and the other estimators on plain arrays. Its published numbers must be
    # those of the statsmodels path: checked here on the curve's 2024 designs (every usable
    # control set, the hypotheses together and alone, every estimator, all countries and
    # without the influential ones), to 1e-10 and, since the steps are the same, to the bit.
    from egovlib.models.specs import control_sets, refused_terms

    det = real_2024
    cols = ["estimate", "se", "ci_low", "ci_high", "p"]
    checked = 0
    for ctrl in control_sets().values():
        if refused_terms(det.outcome, ctrl, ()):
            continue
        for hs in [det.testable, *[[h] for h in det.testable]]:
            regs = {h.variable for h in hs}
            base = Spec(
                "curve",
                outcome=det.outcome,
                regressors=tuple(sorted(regs)),
                controls=tuple(t for t in ctrl if t not in regs),
                years=(det.year,),
            )
            fresh, lean = fit_spec(base, det.data), fit_spec(base, det.data, lean=True)
            if not fresh.ok:  # the previous-edition score is not in this data
                assert not lean.ok and lean.message == fresh.message
                continue
            influential = fresh.diagnostics["influential"]
            pd.testing.assert_frame_equal(
                lean.diagnostics["influential"], influential[["iso3", "cooks_d"]]
            )
            gone = set(influential["iso3"])
            keep = tuple(c for c in fresh.countries if c not in gone)
            for est in ("ols", "fraclogit", "median"):
                for countries in (None, keep):
                    spec = base.with_(estimator=est, countries=countries)
                    a = fit_spec(spec, det.data, diagnostics=False)
                    b = fit_spec(spec, det.data, diagnostics=False, lean=True)
                    assert a.ok and b.ok and a.n == b.n and b.result is None
                    assert b.coefs["term"].tolist() == a.coefs["term"].tolist()
                    x, y = b.coefs[cols].to_numpy(), a.coefs[cols].to_numpy()
                    np.testing.assert_allclose(x, y, rtol=0, atol=1e-10)
                    np.testing.assert_allclose(b.cov, a.cov, rtol=0, atol=1e-10)
                    assert np.array_equal(x, y, equal_nan=True)
                    assert np.array_equal(b.cov.to_numpy(), a.cov.to_numpy())
                    assert b.stats == a.stats
                    checked += 1
    assert checked >= 60


def test_ols_hc3_and_cooks_distance_are_statsmodels_numbers(real_2024):
    from statsmodels.stats.outliers_influence import OLSInfluence

    from egovlib.models.estimation import cooks_distance, ols_hc3

    y, X = real_2024.headline.sample()
    res = sm.OLS(y, X).fit(cov_type="HC3")
    ols = ols_hc3(y.to_numpy(), X.to_numpy())
    np.testing.assert_allclose(ols.params, res.params, rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.sqrt(np.diag(ols.cov)), res.bse, rtol=0, atol=1e-12)
    assert (ols.df_resid, ols.rsquared, ols.rsquared_adj) == (
        res.df_resid,
        res.rsquared,
        res.rsquared_adj,
    )
    cooks = OLSInfluence(sm.OLS(y, X).fit()).cooks_distance[0]
    np.testing.assert_array_equal(cooks_distance(ols, X.to_numpy()), np.asarray(cooks))


@pytest.mark.parametrize("q", [0.5, 0.25])
def test_quantreg_is_statsmodels_quantreg_to_the_bit(real_2024, q):
    # The specification curve's median regressions run through `quantreg`, a copy of
    # statsmodels' loop with less overhead: same iterations, same estimates, same covariance,
    # same pseudo R², bit for bit (a last-bit change would change a published number).
    # Checked on the 2024 headline design, on half its countries and with outcomes rounded to
    # one decimal (ties: the fit passes within 1e-6 of some countries, which exercises
    # statsmodels' +-1e-6 rule); q = 0.25 checks the asymmetric weights.
    import warnings

    from egovlib.models.estimation import quantreg

    y, X = real_2024.headline.sample()
    ys, Xs = y.to_numpy(), X.to_numpy()
    tied = np.round(ys, 1)
    cases = [(ys, Xs), (ys[::2], Xs[::2]), (tied, Xs)]
    for yy, XX in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = sm.QuantReg(yy, XX).fit(q=q, max_iter=5000)
        got = quantreg(yy, XX, q=q, max_iter=5000)
        assert got.iterations == ref.iterations > 1
        assert np.array_equal(got.params, ref.params)
        assert np.array_equal(got.cov, ref.cov_params())
        assert (got.df_resid, got.prsquared) == (ref.df_resid, ref.prsquared)
    resid = tied - Xs @ quantreg(tied, Xs, q=q, max_iter=5000).params
    assert (np.abs(resid) < 1e-6).any()  # the +-1e-6 rule was used


def test_multiple_imputation_without_formulas_equals_statsmodels_micedata(real_2024, monkeypatch):
    # mice_check builds the imputation models' design matrices itself instead of letting
    # MICEData parse the same formula every cycle: the imputations must not change
    from statsmodels.imputation import mice

    from egovlib.models import robustness

    det = real_2024
    args = (det.headline, det.data, det.testable)
    fast, imputed = mice_check(*args, seed=det.seed, imputations=3, burn_in=2)
    monkeypatch.setattr(robustness, "_mice_data_class", lambda: mice.MICEData)
    slow, imputed_slow = mice_check(*args, seed=det.seed, imputations=3, burn_in=2)
    assert imputed == imputed_slow and len(imputed) > 0
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)


def test_curve_summary_counts_the_estimates_that_differ():
    """A choice that leaves the data unchanged repeats a fit (e.g. a longer maximum age when no
    value is that old): the summary says how many estimates actually differ (by hand)."""
    from egovlib.models.robustness import curve_summary

    est = [0.10, 0.10, 0.10, 0.20, -0.05]  # one fit three times, two others
    curve = pd.DataFrame(
        {
            "id": "H1",
            "estimate": est,
            "ci_low": [e - 0.05 for e in est],
            "ci_high": [e + 0.05 for e in est],
            "is_default": [True, False, False, False, False],
        }
    )
    row = curve_summary(curve).iloc[0]
    assert (row["specs"], row["distinct"]) == (5, 3)
    assert row["same_sign"] == pytest.approx(0.8)


def test_the_curves_download_is_in_words(real_2024):
    """Report 04's specification-curve figure offers `curve_data` as its download: choices and
    headers in words, not the estimator codes of the fits."""
    import json

    from egovlib.models import curve_data

    det = _with_curve(real_2024, [("H1", "income only", 0.1)])
    det.curve.loc[det.curve.index[-1], "estimator"] = "fraclogit"
    d = curve_data(det)
    assert d["Estimator"].tolist()[-2:] == ["OLS", "Fractional logit (AME)"]
    assert "estimator" not in d.columns and len(d) == len(det.curve_rows)
    assert d["Question"].iloc[0].startswith("H1 Government cloud (")
    nb = json.loads((config.NOTEBOOKS_DIR / "04_determinants.ipynb").read_text())
    code = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "data=models.curve_data(det)" in code and "data=det.curve," not in code
