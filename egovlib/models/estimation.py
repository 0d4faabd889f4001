"""Fit regression specs: sample rule, missing-data report, estimators and tidy results."""

from __future__ import annotations

import logging
import warnings as pywarnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from ..countries import resolve_group
from ..errors import SpecError
from ..panel import build_panel
from .diagnostics import display_name, ols_diagnostics
from .specs import (
    CATEGORICAL,
    ESTIMATOR_LABELS,
    INDICES,
    Spec,
    base_variable,
    check_terms,
    circularity,
    spec_config,
    term_label,
    variable_meta,
)

log = logging.getLogger(__name__)

#: Columns of the tidy coefficient table.
COEF_COLUMNS = [
    "spec",
    "estimator",
    "term",
    "label",
    "role",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "p",
    "sd_x",
    "effect_sd",
    "effect_sd_low",
    "effect_sd_high",
    "beta",
]


@dataclass
class Fit:
    """The result of one spec: status, sample, tidy coefficients, fit statistics, diagnostics.

    Attributes
    ----------
    spec : Spec
        The spec as fitted (terms without any data in the edition removed, see ``notes``).
    requested : Spec
        The spec as requested.
    status : str
        ``"ok"``, ``"skipped"`` (too few observations, no data, collinear design) or
        ``"refused"`` (circularity guard).
    message : str
        Why a spec was skipped or refused; empty when fitted.
    notes, warnings : list of str
        Changes made to the spec (dropped terms) and caveats the report must show
        (circularity overrides, reverse circularity).
    n, n_countries, n_editions : int
        Observations (complete cases), countries and editions in the estimation sample.
    coefs : DataFrame
        Tidy coefficients (`COEF_COLUMNS`). For the fractional logit the estimate is the
        average marginal effect on the 0-1 score; for the panel it is the within effect.
    stats : dict
        ``r2`` (OLS R², median pseudo R², fractional-logit McFadden pseudo R², panel within
        R²), ``r2_kind``, ``adj_r2`` (OLS), ``sd_y``, and for panels ``singletons``.
    dropped : DataFrame
        Countries (rows) of the edition(s) left out for missing data: ``iso3, country, year,
        missing`` (the missing variables, in words). Never silent.
    diagnostics : dict
        OLS only: ``vif`` (DataFrame), ``breusch_pagan`` and ``reset`` (dicts with statistic
        and p-value), ``influential`` (DataFrame of Cook's distance above 4/n).
    y, X : Series, DataFrame
        The estimation sample (index ``iso3`` or ``(iso3, year)``; X includes ``const``
        except for panels).
    result : object
        The statsmodels / linearmodels result.
    """

    spec: Spec
    requested: Spec
    status: str = "ok"
    message: str = ""
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    n: int = 0
    n_countries: int = 0
    n_editions: int = 0
    coefs: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=COEF_COLUMNS))
    stats: dict[str, Any] = field(default_factory=dict)
    dropped: pd.DataFrame = field(default_factory=pd.DataFrame)
    diagnostics: dict[str, Any] = field(default_factory=dict)
    y: pd.Series | None = None
    X: pd.DataFrame | None = None
    result: Any = None

    @property
    def ok(self) -> bool:
        """True if the spec was fitted."""
        return self.status == "ok"

    @property
    def name(self) -> str:
        """The spec's name."""
        return self.requested.name


def required_covariates(specs: Iterable[Spec]) -> list[str]:
    """Covariates (reader variables) the specs need, in first-use order."""
    subs = spec_config().get("substitutes", {})
    out: list[str] = []
    for spec in specs:
        for t in (spec.outcome, *spec.terms):
            b = base_variable(t)
            for v in (b, subs.get(b)):
                if v and v not in INDICES and v not in CATEGORICAL and v not in out:
                    out.append(v)
    return out


def model_data(specs: Iterable[Spec], *, lag: int = 1, max_age: int | None = None):
    """Build the analysis panel for the specs' editions and covariates (`egovlib.build_panel`).

    Covariates that no reader provides yet are left out here; the specs that need them are
    skipped by `fit_specs` with a message naming them.

    Returns
    -------
    egovlib.Panel
    """
    specs = list(specs)
    years = sorted({y for s in specs for y in s.years})
    if not years:
        raise SpecError("no spec has a survey edition (Spec.years)")
    known = variable_meta()
    covs = [c for c in required_covariates(specs) if c in known]
    return build_panel(years, covariates=covs, lag=lag, max_age=max_age)


def fit_specs(
    specs: Iterable[Spec],
    data: pd.DataFrame | None = None,
    *,
    focus: str | Iterable[str] | None = "GCC",
    lag: int = 1,
    max_age: int | None = 5,
    drop_empty_terms: bool = True,
) -> ModelResults:
    """Fit a list of specs and return tidy results.

    Parameters
    ----------
    specs : list of Spec
    data : DataFrame, optional
        One row per country and edition with ``iso3, country, year``, the outcome, the
        covariates and the categorical columns (``Panel.data`` of `egovlib.build_panel`).
        Default: built with `model_data` (vintage rule ``lag``, ``max_age``).
    lag, max_age : int
        Vintage rule of `egovlib.build_panel`: edition ``Y`` uses the latest reference year
        in ``[Y - lag - max_age, Y - lag]``. The default ``max_age=5`` treats older values as
        missing (some education series would otherwise carry values decades old).
    focus : str or list of str, optional
        Country group whose residuals are reported (`egovlib.resolve_group`).
    drop_empty_terms : bool
        Remove from a spec any covariate with no value at all in its edition(s) (e.g. the
        2023 AI Preparedness Index for an edition before 2024) and say so in the spec's
        notes; if False such a spec is skipped.

    Returns
    -------
    ModelResults
    """
    specs = list(specs)
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise SpecError(
            f"spec names must be unique; repeated: "
            f"{sorted({n for n in names if names.count(n) > 1})}"
        )
    panel = None
    if data is None:
        panel = model_data(specs, lag=lag, max_age=max_age)
        data = panel.data
    focus_iso3 = resolve_group(focus) if focus is not None else []
    fits = [fit_spec(s, data, drop_empty_terms=drop_empty_terms) for s in specs]
    return ModelResults(
        fits=fits,
        focus=list(focus_iso3),
        focus_name=focus if isinstance(focus, str) else "focus group",
        panel=panel,
    )


def fit_spec(spec: Spec, data: pd.DataFrame, *, drop_empty_terms: bool = True) -> Fit:
    """Fit one spec on ``data`` (see `fit_specs`); never raises for data problems, which are
    returned as a skipped `Fit` with a message."""
    fit = Fit(spec=spec, requested=spec, notes=list(spec.notes))
    if not spec.regressors and any("circularity guard" in n for n in spec.notes):
        fit.status = "refused"
        fit.message = "Every main regressor was refused by the circularity guard."
        return fit
    refusals, warns = circularity(spec)
    fit.warnings.extend(warns)
    if refusals:
        fit.status, fit.message = "refused", "Circularity guard: " + " ".join(refusals)
        return fit
    try:
        check_terms(spec, available=set(variable_meta()) | set(data.columns))
    except SpecError as err:
        fit.status, fit.message = "skipped", str(err)
        return fit
    missing_cols = [t for t in (spec.outcome, *spec.terms) if base_variable(t) not in data.columns]
    if missing_cols:
        fit.status = "skipped"
        fit.message = (
            f"variable(s) {missing_cols} are not in the data (no reader provides them "
            "yet, or they were not loaded); see egovlib.variables()."
        )
        return fit
    rows = data[data["year"].isin(spec.years)]
    absent_years = sorted(set(spec.years) - set(rows["year"]))
    if absent_years:
        fit.status, fit.message = "skipped", f"edition(s) {absent_years} are not in the data"
        return fit
    if spec.sample is not None:
        rows = rows[rows["iso3"].isin(resolve_group(spec.sample))]
    # A covariate with no value at all in these editions cannot enter; say so, don't crash.
    empty = [
        t
        for t in spec.terms
        if t not in INDICES and t not in CATEGORICAL and rows[base_variable(t)].isna().all()
    ]
    spec, empty = _substitute(spec, empty, rows, fit)
    if empty:
        what = ", ".join(f"`{t}`" for t in empty)
        yrs = ", ".join(map(str, spec.years))
        left_r = [t for t in spec.regressors if t not in empty]
        left = [t for t in spec.terms if t not in empty]
        if drop_empty_terms and left and (left_r or not spec.regressors):
            note = (
                f"{what}: no data for edition {yrs} under the vintage rule, so left out "
                "of this spec."
            )
            spec = fit.spec = spec.without(empty, note)
            fit.notes.append(note)
        else:
            fit.status = "skipped"
            fit.message = f"{what}: no data for edition {yrs} under the vintage rule."
            return fit
    if spec.estimator == "panel_fe":
        absorbed = [t for t in spec.terms if t in CATEGORICAL]
        if absorbed:
            note = (
                f"{', '.join(absorbed)} left out: time-invariant, absorbed by the country effects."
            )
            spec = fit.spec = spec.without(absorbed, note)
            fit.notes.append(note)
    y, X, dropped, problem = design(spec, rows)
    fit.dropped = dropped
    fit.n = len(y)
    fit.n_countries = int(y.index.get_level_values("iso3").nunique()) if len(y) else 0
    fit.n_editions = (
        int(y.index.get_level_values("year").nunique())
        if spec.estimator == "panel_fe" and len(y)
        else min(len(spec.years), 1)
    )
    need = max(spec.min_obs, X.shape[1] + 10)
    if problem:
        fit.status, fit.message = "skipped", problem
    elif fit.n < need:
        fit.status = "skipped"
        fit.message = (
            f"only {fit.n} complete cases for edition(s) "
            f"{', '.join(map(str, spec.years))}; at least {need} are needed "
            f"(min_obs = {spec.min_obs}, {X.shape[1]} coefficients). " + _scarcest(spec, rows)
        )
    if not fit.ok:
        return fit
    fit.y, fit.X = y, X
    if spec.estimator == "panel_fe" and fit.n_editions < 2:
        fit.status, fit.message = "skipped", "a panel needs at least two editions with data"
        return fit
    collinear = _collinear_columns(X)
    if collinear:
        fit.status = "skipped"
        fit.message = (
            "the regressors are perfectly collinear in this sample: "
            f"{', '.join(collinear)} (each is an exact combination of the others, "
            "e.g. a total and all its pillars). Drop one of them."
        )
        return fit
    _ESTIMATORS[spec.estimator](fit)
    return fit


def _substitute(
    spec: Spec, empty: list[str], rows: pd.DataFrame, fit: Fit
) -> tuple[Spec, list[str]]:
    """Swap empty terms for their stand-in (`model_specs.yml` ``substitutes``) if it has data."""
    subs = spec_config().get("substitutes", {})
    still = []
    for t in empty:
        b = base_variable(t)
        sub = subs.get(b)
        if sub and sub in rows.columns and rows[sub].notna().any():
            new = t.replace(b, sub)
            note = (
                f"`{t}` has no data for edition {', '.join(map(str, spec.years))}; "
                f"replaced by `{new}` ({term_label(new)})."
            )
            spec = spec.with_(
                regressors=tuple(new if x == t else x for x in spec.regressors),
                controls=tuple(new if x == t else x for x in spec.controls),
                notes=(*spec.notes, note),
            )
            fit.spec = spec
            fit.notes.append(note)
        else:
            still.append(t)
    return spec, still


def design(spec: Spec, rows: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame, pd.DataFrame, str]:
    """Outcome, design matrix and the list of countries dropped for missing data.

    Returns
    -------
    y : Series
    X : DataFrame
        With ``const`` (cross-section) or without (panel: the effects absorb it).
    dropped : DataFrame
        ``iso3, country, year, missing`` for every row of the edition(s) not used.
    problem : str
        Non-empty if the design cannot be estimated (e.g. a constant regressor).
    """
    cols: dict[str, pd.Series] = {spec.outcome: rows[spec.outcome]}
    nonpos: list[str] = []
    for t in spec.terms:
        b = base_variable(t)
        if t.startswith("log_"):
            vals = rows[b].astype(float)
            bad = rows.loc[vals <= 0, "iso3"].tolist()
            if bad:
                nonpos.append(f"{b} <= 0 for {', '.join(bad)} (log undefined; left out)")
            cols[t] = np.log(vals.where(vals > 0))
        else:
            cols[t] = rows[t]
    frame = pd.DataFrame(cols)
    miss = frame.isna()
    labels = {
        c: ("outcome " + c.upper() + " (not assessed)" if c == spec.outcome else term_label(c))
        for c in frame.columns
    }
    missing_text = miss.apply(lambda r: "; ".join(labels[c] for c in r.index[r]), axis=1)
    keep = ~miss.any(axis=1)
    dropped = pd.DataFrame(
        {
            "iso3": rows.loc[~keep, "iso3"].to_numpy(),
            "country": [display_name(i) for i in rows.loc[~keep, "iso3"]],
            "year": rows.loc[~keep, "year"].to_numpy(),
            "missing": missing_text[~keep].to_numpy(),
        }
    )
    idx = pd.MultiIndex.from_frame(rows.loc[keep, ["iso3", "year"]])
    sample = frame[keep].set_axis(idx)
    y = sample[spec.outcome].astype(float)
    parts = []
    for t in spec.terms:
        if t in CATEGORICAL:
            cats = sample[t].astype(str)
            ref = cats.value_counts().sort_index().idxmax()  # largest group, ties alphabetical
            dummies = pd.get_dummies(cats, prefix=t, prefix_sep="[", dtype=float)
            dummies.columns = [f"{c}]" for c in dummies.columns]
            parts.append(dummies.drop(columns=f"{t}[{ref}]"))
        else:
            parts.append(sample[[t]].astype(float))
    X = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=sample.index)
    if spec.estimator != "panel_fe":
        X.insert(0, "const", 1.0)
    problem = ""
    constant = [c for c in X.columns if c != "const" and len(X) and X[c].nunique() < 2]
    if constant:
        problem = (
            f"{', '.join(constant)} do(es) not vary in the {len(X)} complete cases, so "
            "no effect can be estimated; drop it or widen the sample."
        )
    if nonpos:
        log.warning("spec %s: %s", spec.name, "; ".join(nonpos))
    return y, X, dropped, problem


def _scarcest(spec: Spec, rows: pd.DataFrame) -> str:
    counts = {
        t: int(rows[base_variable(t)].notna().sum()) for t in spec.terms if t not in CATEGORICAL
    }
    if not counts:
        return ""
    worst = sorted(counts.items(), key=lambda kv: kv[1])[:3]
    return "Fewest values: " + ", ".join(f"{t} ({n} countries)" for t, n in worst) + "."


def _collinear_columns(X: pd.DataFrame) -> list[str]:
    """Columns that are (numerically) exact linear combinations of the others."""
    if X.shape[1] == 0 or np.linalg.matrix_rank(X.to_numpy()) == X.shape[1]:
        return []
    out = []
    for c in X.columns:
        others = X.drop(columns=c)
        if others.shape[1] == 0:
            continue
        beta, *_ = np.linalg.lstsq(others.to_numpy(), X[c].to_numpy(), rcond=None)
        resid = X[c].to_numpy() - others.to_numpy() @ beta
        if np.allclose(resid, 0, atol=1e-8 * max(1.0, float(np.abs(X[c]).max()))):
            out.append(c)
    return out or list(X.columns)


# --- estimators --------------------------------------------------------------------------------


def _tidy(
    fit: Fit,
    est: pd.Series,
    se: pd.Series,
    p: pd.Series,
    sd_x: pd.Series,
    df_resid: float | None = None,
) -> None:
    """Fill ``fit.coefs`` from estimates, standard errors and p-values (95% intervals)."""
    q = stats.t.ppf(0.975, df_resid) if df_resid else stats.norm.ppf(0.975)
    terms = [c for c in est.index if c != "const"]
    spec = fit.spec
    sd_y = float(fit.y.std(ddof=1))
    rows = []
    for t in terms:
        base = t.split("[")[0]
        role = "main" if base in spec.regressors else "control"
        label = term_label(base) + (f": {t.split('[', 1)[1][:-1]}" if "[" in t else "")
        e, s = float(est[t]), float(se[t])
        lo, hi = e - q * s, e + q * s
        sdx = float(sd_x.get(t, np.nan)) if "[" not in t else np.nan
        rows.append(
            {
                "spec": fit.name,
                "estimator": spec.estimator,
                "term": t,
                "label": label,
                "role": role,
                "estimate": e,
                "se": s,
                "ci_low": lo,
                "ci_high": hi,
                "p": float(p[t]),
                "sd_x": sdx,
                "effect_sd": e * sdx,
                "effect_sd_low": lo * sdx,
                "effect_sd_high": hi * sdx,
                "beta": e * sdx / sd_y if sd_y > 0 else np.nan,
            }
        )
    fit.coefs = pd.DataFrame(rows, columns=COEF_COLUMNS)
    fit.stats["sd_y"] = sd_y


def _fit_ols(fit: Fit) -> None:
    res = sm.OLS(fit.y, fit.X).fit(cov_type="HC3")
    fit.result = res
    _tidy(fit, res.params, res.bse, res.pvalues, fit.X.std(ddof=1), df_resid=None)
    fit.stats.update(r2=float(res.rsquared), r2_kind="R²", adj_r2=float(res.rsquared_adj))
    fit.diagnostics = ols_diagnostics(fit.y, fit.X)


def _fit_fraclogit(fit: Fit) -> None:
    y, X = fit.y, fit.X
    if ((y < 0) | (y > 1)).any():
        bad = y[(y < 0) | (y > 1)].index.get_level_values("iso3").tolist()
        fit.status = "skipped"
        fit.message = (
            f"fractional logit needs outcomes in [0, 1]; {fit.spec.outcome} is outside "
            f"for {', '.join(bad)}"
        )
        return
    with pywarnings.catch_warnings():
        # statsmodels warns that a Binomial endog is not 0/1: fractional outcomes are the point.
        pywarnings.simplefilter("ignore")
        res = sm.GLM(y, X, family=sm.families.Binomial()).fit(cov_type="HC0")
    fit.result = res
    ame, cov = average_marginal_effects(
        res.params.to_numpy(), res.cov_params().to_numpy(), X.to_numpy()
    )
    ame = pd.Series(ame, index=X.columns)
    se = pd.Series(np.sqrt(np.diag(cov)), index=X.columns)
    p = pd.Series(2 * stats.norm.sf(np.abs(ame / se)), index=X.columns)
    _tidy(fit, ame, se, p, X.std(ddof=1))
    null = sm.GLM(y, X[["const"]], family=sm.families.Binomial()).fit()
    fit.stats.update(
        r2=float(1 - res.llf / null.llf), r2_kind="pseudo R² (McFadden)", logit_params=res.params
    )


def average_marginal_effects(
    params: np.ndarray, cov: np.ndarray, X: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Average marginal effects of a logit-link model and their delta-method covariance.

    ``AME_j = b_j * mean(p (1 - p))`` with ``p = 1 / (1 + exp(-X b))``; the Jacobian is
    ``dAME_j/db_k = 1[j = k] mean(w) + b_j mean(w (1 - 2p) x_k)``, ``w = p (1 - p)``.
    """
    p = 1 / (1 + np.exp(-X @ params))
    w = p * (1 - p)
    ame = params * w.mean()
    jac = np.eye(len(params)) * w.mean() + np.outer(params, (w * (1 - 2 * p)) @ X / len(X))
    return ame, jac @ cov @ jac.T


def _fit_median(fit: Fit) -> None:
    res = sm.QuantReg(fit.y, fit.X).fit(q=0.5, max_iter=5000)
    fit.result = res
    _tidy(fit, res.params, res.bse, res.pvalues, fit.X.std(ddof=1), df_resid=res.df_resid)
    fit.stats.update(r2=float(res.prsquared), r2_kind="pseudo R² (Koenker-Machado)")


def _fit_panel(fit: Fit) -> None:
    from linearmodels.panel import PanelOLS

    y, X = fit.y, fit.X
    mod = PanelOLS(y, X, entity_effects=True, time_effects=True, drop_absorbed=True)
    with pywarnings.catch_warnings():
        # absorbed variables are reported in fit.notes below
        pywarnings.simplefilter("ignore")
        res = mod.fit(cov_type="clustered", cluster_entity=True)
    fit.result = res
    # One-SD effects use the within-country SD: the only variation the estimate uses.
    within = X - X.groupby(level="iso3").transform("mean")
    _tidy(fit, res.params, res.std_errors, res.pvalues, within.std(ddof=1), df_resid=None)
    counts = y.groupby(level="iso3").size()
    fit.stats.update(
        r2=float(res.rsquared),
        r2_kind="R² net of country and year effects",
        singletons=int((counts == 1).sum()),
        countries_multi=int((counts > 1).sum()),
        editions=sorted(y.index.get_level_values("year").unique().tolist()),
    )
    dropped_absorbed = [c for c in X.columns if c not in res.params.index]
    if dropped_absorbed:
        fit.notes.append(f"{', '.join(dropped_absorbed)} absorbed by the effects and dropped.")


_ESTIMATORS = {
    "ols": _fit_ols,
    "fraclogit": _fit_fraclogit,
    "median": _fit_median,
    "panel_fe": _fit_panel,
}


@dataclass
class ModelResults:
    """The fits of a list of specs, with table helpers (see `egovlib.models.reporting`)."""

    fits: list[Fit]
    focus: list[str] = field(default_factory=list)
    focus_name: str = "focus group"
    panel: Any = None  # the egovlib.Panel the fits used (None when data were passed in)

    def __getitem__(self, name: str) -> Fit:
        for f in self.fits:
            if f.name == name:
                return f
        raise KeyError(f"no spec named {name!r}; specs: {[f.name for f in self.fits]}")

    @property
    def ok(self) -> list[Fit]:
        """The fitted specs."""
        return [f for f in self.fits if f.ok]

    def coefficients(self) -> pd.DataFrame:
        """Tidy coefficients of every fitted spec (`COEF_COLUMNS`)."""
        parts = [f.coefs for f in self.ok]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COEF_COLUMNS)

    def summary(self) -> pd.DataFrame:
        """One row per spec: estimator, status, n, countries, editions, fit statistic, message."""
        return pd.DataFrame(
            [
                {
                    "spec": f.name,
                    "estimator": ESTIMATOR_LABELS[f.requested.estimator],
                    "status": f.status,
                    "n": f.n if f.status != "refused" else np.nan,
                    "countries": f.n_countries,
                    "editions": f.n_editions,
                    "dropped": len(f.dropped),
                    "r2": f.stats.get("r2", np.nan),
                    "r2_kind": f.stats.get("r2_kind", ""),
                    "message": " ".join([f.message, *f.notes]).strip(),
                }
                for f in self.fits
            ]
        )

    def dropped(self) -> pd.DataFrame:
        """Countries left out of each spec for missing data: ``spec, iso3, country, year,
        missing``."""
        parts = [f.dropped.assign(spec=f.name) for f in self.fits if len(f.dropped)]
        cols = ["spec", "iso3", "country", "year", "missing"]
        return pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)
