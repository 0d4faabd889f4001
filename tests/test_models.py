"""egovlib.models: estimators recover known effects, circularity guard, missing data, real runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from egovlib import build_panel, un_members
from egovlib.errors import SpecError
from egovlib.models import (
    Spec,
    average_marginal_effects,
    check_circularity,
    default_panel_specs,
    default_specs,
    effect_sentences,
    fit_spec,
    fit_specs,
    required_covariates,
    side_by_side,
)
from egovlib.models.estimation import design

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


def test_ols_recovers_known_coefficients():
    fit = fit_spec(Spec("sim", regressors=("x1", "x2"), years=(2024,)), simulated_cross_section())
    assert fit.ok and fit.n == 800 and fit.spec.cov_type == "HC3"
    c = fit.coefs.set_index("term")
    for term, true in TRUE.items():
        assert abs(c.loc[term, "estimate"] - true) < 3.5 * c.loc[term, "se"]
        assert c.loc[term, "ci_low"] < true < c.loc[term, "ci_high"]
        # one-SD effect = coefficient x sample SD of the regressor
        sd = fit.X[term].std(ddof=1)
        assert c.loc[term, "effect_sd"] == pytest.approx(c.loc[term, "estimate"] * sd)
    assert c.loc["x1", "se"] < 0.005  # precise enough that the check above can fail
    # the p-value in the plain-words sentence is introduced by "p" (x1's is tiny)
    assert "; p < 0.001)" in effect_sentences(fit)[0]


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
    ame, cov = average_marginal_effects(b, np.eye(3) * 0, X)
    np.testing.assert_allclose(ame, true_ame)


def test_panel_recovers_within_effect_with_country_and_year_effects():
    rng = np.random.default_rng(11)
    codes, years = _codes(150), [2016, 2018, 2020, 2022, 2024]
    alpha = pd.Series(rng.normal(scale=0.15, size=150), index=codes)
    gamma = pd.Series([0.0, 0.05, 0.08, 0.12, 0.15], index=years)
    rows = [(c, t) for c in codes for t in years]
    df = pd.DataFrame(rows, columns=["iso3", "year"])
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
    assert any("CIRCULARITY OVERRIDE" in w and "hdr_mys" in w for w in fit.warnings)
    assert fit.n == int(data[["hci", "hdr_mys"]].notna().all(axis=1).sum())


def test_guard_other_rules():
    # the outcome itself is refused even with an override
    with pytest.raises(SpecError, match="outcome itself"):
        check_circularity(Spec("s", outcome="osi", regressors=("osi",), allow_circular=("osi",)))
    # EGDI components and indices containing the outcome
    with pytest.raises(SpecError, match="component of EGDI"):
        check_circularity(Spec("s", outcome="egdi", regressors=("tii",)))
    with pytest.raises(SpecError, match="contains OSI"):
        check_circularity(Spec("s", outcome="osi", regressors=("egdi",)))
    with pytest.raises(SpecError, match="input of TII"):
        check_circularity(Spec("s", outcome="tii", regressors=("internet_users",)))
    # schooling is not an input of OSI: allowed, no warning
    assert check_circularity(Spec("s", outcome="osi", regressors=("hdr_mys",))) == []
    # reverse circularity: GAIRI is built partly from UN OSI -> flagged, not refused
    warns = check_circularity(Spec("s", outcome="osi", regressors=("gairi_total",)))
    assert len(warns) == 1 and "Reverse circularity" in warns[0] and "Online Services" in warns[0]
    assert check_circularity(Spec("s", outcome="hci", regressors=("gairi_government",))) == []


def test_dropped_countries_reported_by_code_and_name():
    codes = un_members()[:60]
    rng = np.random.default_rng(5)
    data = pd.DataFrame(
        {
            "iso3": codes,
            "year": 2024,
            "osi": rng.uniform(0.2, 0.9, 60),
            "x1": rng.normal(size=60),
            "x2": rng.normal(size=60),
        }
    )
    data.loc[data["iso3"] == "AFG", "x1"] = np.nan
    data.loc[data["iso3"] == "BHR", ["x1", "x2"]] = np.nan
    data.loc[data["iso3"] == "BEL", "osi"] = np.nan
    fit = fit_spec(Spec("sim", regressors=("x1", "x2"), years=(2024,)), data)
    assert fit.ok and fit.n == 57
    d = fit.dropped.set_index("iso3")
    assert sorted(d.index) == ["AFG", "BEL", "BHR"]
    assert d.loc["BHR", "country"] == "Bahrain" and d.loc["BHR", "missing"] == "x1; x2"
    assert d.loc["AFG", "country"] == "Afghanistan"
    assert "not assessed" in d.loc["BEL", "missing"]
    assert "AFG" not in fit.y.index.get_level_values("iso3")


def test_too_few_observations_and_empty_terms_are_skipped_with_messages():
    data = simulated_cross_section(n=25)
    fit = fit_spec(Spec("small", regressors=("x1", "x2"), years=(2024,)), data)
    assert fit.status == "skipped" and "only 25 complete cases" in fit.message
    data = simulated_cross_section()
    data["x3"] = np.nan
    fit = fit_spec(Spec("empty", regressors=("x1", "x3"), years=(2024,)), data)
    assert fit.ok and "x3" not in fit.coefs["term"].tolist()
    assert any("`x3`: no data for edition 2024" in n for n in fit.notes)
    fit = fit_spec(Spec("only-empty", regressors=("x3",), years=(2024,)), data)
    assert fit.status == "skipped" and "no data for edition 2024" in fit.message
    fit = fit_spec(Spec("other-year", regressors=("x1",), years=(2003,)), data)
    assert fit.status == "skipped" and "[2003]" in fit.message


def test_collinear_design_is_skipped():
    data = simulated_cross_section()
    data["x3"] = (data["x1"] + data["x2"]) / 2  # like a total = mean of its pillars
    fit = fit_spec(Spec("collinear", regressors=("x1", "x2", "x3"), years=(2024,)), data)
    assert fit.status == "skipped" and "perfectly collinear" in fit.message


# --- real data -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_2024():
    specs = default_specs(2024)
    return specs, fit_specs(specs)


def test_default_specs_2024_sample_sizes(real_2024):
    specs, res = real_2024
    n = {f.name: f.n for f in res.fits}
    print(n)
    assert [f.status for f in res.fits] == ["ok"] * len(specs)
    data = build_panel(2024, required_covariates(specs), max_age=5).data
    for f in res.fits:
        cols = [f.spec.outcome, *[t.removeprefix("log_") for t in f.spec.terms]]
        complete = data[cols].notna().all(axis=1)
        assert f.n == int(complete.sum()), f.name
        assert f.n + len(f.dropped) == 193
        assert set(f.dropped["iso3"]) == set(data.loc[~complete, "iso3"])
    assert n == EXPECTED_N_2024


#: Complete cases per default spec, OSI 2024, vintage rule lag 1, max_age 5 (measured 2026-11).
EXPECTED_N_2024 = {
    "Controls only": 185,
    "Education": 134,
    "Government cloud, digital ID and GovTech maturity": 185,
    "AI readiness": 162,
    "All sets (OLS)": 125,
    "All sets (Fractional logit (AME))": 125,
    "All sets (Median regression)": 125,
}


def test_default_specs_2024_finite_and_reproducible(real_2024):
    specs, res = real_2024
    coefs = res.coefficients()
    assert np.isfinite(coefs[["estimate", "se", "ci_low", "ci_high", "p"]].to_numpy()).all()
    assert all(np.isfinite(f.stats["r2"]) for f in res.ok)
    again = fit_specs(specs)
    pd.testing.assert_frame_equal(coefs, again.coefficients())
    pd.testing.assert_frame_equal(side_by_side(res), side_by_side(again))


def test_panel_run_real_data():
    editions = [2003, 2004, 2005, 2008, 2010, 2012, 2014, 2016, 2018, 2020, 2022, 2024]
    specs = default_panel_specs(editions)
    res = fit_specs(specs)
    out = {f.name: (f.status, f.n, f.n_countries, f.n_editions) for f in res.fits}
    print(out)
    for f in res.ok:
        assert np.isfinite(f.coefs[["estimate", "se"]].to_numpy()).all()
        y, X, _, _ = design(f.spec, res.panel.data)
        assert f.n == len(y)
    assert out == EXPECTED_PANEL
    again = fit_specs(specs)
    pd.testing.assert_frame_equal(res.coefficients(), again.coefficients())


#: (status, country-editions, countries, editions) of the default panel specs, OSI 2003-2024.
EXPECTED_PANEL = {
    "Panel: schooling, income, ICT": ("ok", 2181, 191, 12),
    "Panel: GovTech and AI": ("ok", 364, 189, 2),
}
