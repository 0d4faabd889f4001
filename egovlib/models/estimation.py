"""Fit regression specs: sample rule, missing data, dummy coding, estimators, tidy results."""

from __future__ import annotations

import functools
import logging
import warnings as pywarnings
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.tools.tools import pinv_extended

from ..countries import resolve_group
from ..errors import SpecError
from ..panel import VINTAGE_LAG, VINTAGE_MAX_AGE, build_panel
from .diagnostics import display_name, ols_diagnostics
from .specs import (
    CATEGORICAL,
    ESTIMATOR_LABELS,
    INDICES,
    Spec,
    base_variable,
    check_terms,
    circularity,
    codes,
    short_label,
    term_label,
    variable_meta,
)

log = logging.getLogger(__name__)

#: Columns of the tidy coefficient table.
COEF_COLUMNS = [
    "spec",
    "estimator",
    "term",
    "variable",
    "level",
    "label",
    "role",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "p",
]


@dataclass
class Fit:
    """The result of one spec: status, sample, tidy coefficients, fit statistics, diagnostics.

    Attributes
    ----------
    spec : Spec
        The spec as fitted.
    status : str
        ``"ok"``, ``"skipped"`` (too few observations, no data, collinear design) or
        ``"refused"`` (a guard).
    message : str
        Why a spec was skipped or refused; empty when fitted.
    notes, warnings : list of str
        Changes made to the spec and caveats the report must show (circularity overrides,
        reverse circularity).
    n, n_countries, n_editions : int
        Observations (complete cases), countries and editions in the estimation sample.
    coefs : DataFrame
        Tidy coefficients (`COEF_COLUMNS`), one row per design column. A dummy's estimate is
        the contrast of its level with the reference level (``level`` names it); for the
        fractional logit estimates are average marginal effects (discrete changes for dummies)
        on the 0-1 score; for the panel, within effects.
    cov : DataFrame
        Covariance of the estimates in ``coefs`` (design columns), for contrasts between levels.
    estimates : Estimates or None
        The numbers ``coefs`` and ``cov`` are built from, as plain arrays (None until fitted).
        The two tables are built on first use: the specification curve reads only contrasts,
        and building hundreds of tables it never shows took more time than its fits.
    dummies : dict
        Term -> {design column: level code} for every dummy-coded term.
    stats : dict
        ``r2``, ``r2_kind``, ``adj_r2`` (OLS), ``df_resid`` (for t intervals) and for panels
        ``singletons``, ``countries_multi``, ``editions``.
    dropped : DataFrame
        Countries (rows) of the edition(s) left out: ``iso3, country, year, missing``.
    diagnostics : dict
        OLS only (see `ols_diagnostics`).
    y, X : Series, DataFrame
        The estimation sample (index ``(iso3, year)``; X includes ``const`` except panels).
    result : object
        The statsmodels / linearmodels result.
    """

    spec: Spec
    status: str = "ok"
    message: str = ""
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    n: int = 0
    n_countries: int = 0
    n_editions: int = 0
    estimates: Estimates | None = None
    dummies: dict[str, dict[str, float | str]] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    dropped: pd.DataFrame = field(default_factory=pd.DataFrame)
    diagnostics: dict[str, Any] = field(default_factory=dict)
    y: pd.Series | None = None
    X: pd.DataFrame | None = None
    result: Any = None
    _tables: tuple | None = field(default=None, repr=False, compare=False)

    @property
    def coefs(self) -> pd.DataFrame:
        """Tidy coefficients (`COEF_COLUMNS`; empty if not fitted)."""
        return self._built_tables()[0]

    @property
    def cov(self) -> pd.DataFrame:
        """Covariance of the estimates in ``coefs`` (empty if not fitted)."""
        return self._built_tables()[1]

    def _built_tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        if self._tables is None or self._tables[0] is not self.estimates:
            if self.estimates is None:
                tables = (pd.DataFrame(columns=COEF_COLUMNS), pd.DataFrame())
            else:
                tables = self.estimates.tables()
            self._tables = (self.estimates, *tables)
        return self._tables[1], self._tables[2]

    @property
    def ok(self) -> bool:
        """True if the spec was fitted."""
        return self.status == "ok"

    @property
    def name(self) -> str:
        """The spec's name."""
        return self.spec.name

    def sample(self) -> tuple[pd.Series, pd.DataFrame]:
        """The estimation sample ``(y, X)`` of a fitted spec (raises if there is none)."""
        if self.y is None or self.X is None:
            raise SpecError(f"spec {self.name!r} has no estimation sample ({self.status})")
        return self.y, self.X

    @property
    def countries(self) -> list[str]:
        """ISO3 codes of the countries in the estimation sample."""
        if self.y is None:
            return []
        return list(dict.fromkeys(self.y.index.get_level_values("iso3").tolist()))


def required_covariates(specs: Iterable[Spec]) -> list[str]:
    """Covariates (catalogue variables) the specs need, in first-use order."""
    out: list[str] = []
    for spec in specs:
        for t in (spec.outcome, *spec.terms):
            b = base_variable(t)
            if b not in INDICES and b not in CATEGORICAL and b not in out:
                out.append(b)
    return out


def model_data(
    specs: Iterable[Spec],
    *,
    lag: int = VINTAGE_LAG,
    max_age: int | None = VINTAGE_MAX_AGE,
    extra: Iterable[str] = (),
):
    """Build the analysis panel for the specs' editions and covariates (`egovlib.build_panel`).

    Parameters
    ----------
    specs : list of Spec
    lag, max_age : int
        The vintage rule of `egovlib.build_panel` (default: the shared rule; change it only in a
        sensitivity analysis).
    extra : list of str
        Further covariates to load (e.g. for a sensitivity analysis).

    Returns
    -------
    egovlib.Panel
    """
    specs = list(specs)
    years = sorted({y for s in specs for y in s.years})
    if not years:
        raise SpecError("no spec has a survey edition (Spec.years). Fix: set years=(YYYY,)")
    known = variable_meta()
    covs = [c for c in dict.fromkeys([*required_covariates(specs), *extra]) if c in known]
    return build_panel(years, covariates=covs, lag=lag, max_age=max_age)


def fit_specs(
    specs: Iterable[Spec],
    data: pd.DataFrame | None = None,
    *,
    focus: str | Iterable[str] | None = "GCC",
    lag: int = VINTAGE_LAG,
    max_age: int | None = VINTAGE_MAX_AGE,
    diagnostics: bool = True,
) -> ModelResults:
    """Fit a list of specs and return tidy results.

    Parameters
    ----------
    specs : list of Spec
    data : DataFrame, optional
        One row per country and edition with ``iso3, country, year``, the outcome, the
        covariates and the categorical columns (``Panel.data`` of `egovlib.build_panel`).
        Default: built with `model_data` (vintage rule ``lag``, ``max_age``).
    focus : str or list of str, optional
        Country group whose results are highlighted (`egovlib.resolve_group`).
    lag, max_age : int
        Vintage rule: edition ``Y`` uses the latest reference year in
        ``[Y - lag - max_age, Y - lag]``.
    diagnostics : bool
        Compute the OLS diagnostics (VIF, Breusch-Pagan, RESET, Cook's distance).

    Returns
    -------
    ModelResults
    """
    specs = list(specs)
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise SpecError(
            "spec names must be unique; repeated: "
            f"{sorted({n for n in names if names.count(n) > 1})}. Fix: rename them"
        )
    panel = None
    if data is None:
        panel = model_data(specs, lag=lag, max_age=max_age)
        data = panel.data
    focus_iso3 = resolve_group(focus) if focus is not None else []
    fits = [fit_spec(s, data, diagnostics=diagnostics) for s in specs]
    return ModelResults(fits=fits, focus=list(focus_iso3), panel=panel)


def standardised_outcome(rows: pd.DataFrame, outcome: str) -> pd.Series:
    """The outcome as a z-score within each edition, over every country assessed in it."""
    grouped = rows.groupby("year")[outcome]
    return (rows[outcome] - grouped.transform("mean")) / grouped.transform("std")


@dataclass
class _Sample:
    """A spec's estimation sample and design on one data set (everything but the estimator).

    ``status``/``message`` say why there is none (the edition or a term has no data);
    ``note`` records the terms a panel absorbs (``spec`` is then the spec without them).
    """

    spec: Spec
    status: str = "ok"
    message: str = ""
    note: str = ""
    design: tuple = ()
    n_countries: int = 0
    n_editions: int = 0
    _collinear: list[str] | None = None

    def collinear(self) -> list[str]:
        """`_collinear_columns` of the design, computed once."""
        if self._collinear is None:
            self._collinear = _collinear_columns(self.design[1])
        return self._collinear


def _prepare(spec: Spec, data: pd.DataFrame) -> _Sample:
    """The rows of ``spec``'s editions, sample and countries, and their design matrix."""
    out = _Sample(spec=spec)
    rows = _sample_rows(out, data)
    if rows is None:
        return out
    if spec.estimator == "panel_fe":
        absorbed = [t for t in spec.terms if t in CATEGORICAL]
        if absorbed:
            out.note = (
                f"{', '.join(absorbed)} left out: time-invariant, absorbed by country effects."
            )
            out.spec = spec.without(absorbed, out.note)
    out.design = design(out.spec, rows)
    idx = out.design[0].index
    if len(idx):
        out.n_countries = int(np.unique(idx.codes[0]).size)
        out.n_editions = int(np.unique(idx.codes[1]).size)
    return out


@dataclass
class DesignMemo:
    """Samples and design matrices built once per sample and terms on one data set.

    Fits that differ only in their estimator share the sample and the design (panels
    excepted: no constant). See `fit_spec`.

    Attributes
    ----------
    data_key : hashable
        Identifies the data every fit using this memo receives (equal key -> equal data).
    store : dict
        Design key -> the spec's sample and design.
    """

    data_key: Hashable
    store: dict[tuple, _Sample] = field(default_factory=dict)

    def sample(self, spec: Spec, data: pd.DataFrame) -> _Sample:
        """Return the sample and design of ``spec`` on ``data``, built once per key."""
        key = (
            self.data_key,
            spec.name,
            spec.outcome,
            spec.terms,
            spec.years,
            spec.sample,
            spec.countries,
            spec.standardise,
            spec.estimator == "panel_fe",  # the only estimator whose design differs (no const)
        )
        if key not in self.store:
            self.store[key] = _prepare(spec, data)
        return self.store[key]


def fit_spec(
    spec: Spec,
    data: pd.DataFrame,
    *,
    diagnostics: bool = True,
    memo: DesignMemo | None = None,
    lean: bool = False,
) -> Fit:
    """Fit one spec on ``data`` (see `fit_specs`).

    Never raises for data problems, which are returned as a skipped `Fit` with a message.
    ``memo`` (optional) reuses the sample and design matrix of an earlier fit of the same terms
    and sample on the same data (the specification curve fits each sample with several
    estimators). ``lean`` (the specification curve's hundreds of fits): the same numbers,
    faster: OLS is fitted by `ols_hc3`, the other estimators on plain arrays, ``Fit.result``
    stays None and the OLS diagnostics are only the influential countries (`cooks_distance`).
    """
    fit = Fit(spec=spec, notes=list(spec.notes))
    if not _spec_fits_data(fit, data):
        return fit
    prepared = memo.sample(spec, data) if memo else _prepare(spec, data)
    if prepared.status != "ok":
        fit.status, fit.message = prepared.status, prepared.message
        return fit
    if prepared.note:
        fit.spec = prepared.spec
        fit.notes.append(prepared.note)
    spec = fit.spec
    y, X, dropped, problem, dummies = prepared.design
    fit.dropped, fit.dummies = dropped, dummies
    fit.n = len(y)
    fit.n_countries, fit.n_editions = prepared.n_countries, prepared.n_editions
    if not _design_estimable(fit, X, problem):
        return fit
    fit.y, fit.X = y, X
    if not _regressors_usable(fit, prepared.collinear):
        return fit
    if spec.estimator == "ols":
        ols = _fit_ols(fit, lean)
        if diagnostics:
            fit.diagnostics = (
                {"influential": _influential_rows(y, X, ols)} if ols else ols_diagnostics(y, X)
            )
    else:
        _ESTIMATORS[spec.estimator](fit, lean)
    return fit


def _influential_rows(y: pd.Series, X: pd.DataFrame, ols: OLSArrays) -> pd.DataFrame:
    """``iso3, cooks_d`` of the observations with Cook's distance above 4/n, largest first.

    The rows of `ols_diagnostics`' ``influential`` table the specification curve needs.
    """
    cooks = cooks_distance(ols, X.to_numpy())
    iso3 = y.index.get_level_values("iso3")
    with np.errstate(invalid="ignore"):
        big = cooks > 4 / len(y)
    out = pd.DataFrame({"iso3": iso3[big], "cooks_d": cooks[big]})
    return out.sort_values("cooks_d", ascending=False).reset_index(drop=True)


def _spec_fits_data(fit: Fit, data: pd.DataFrame) -> bool:
    """Circularity guard, known terms, columns present; False (fit refused/skipped) if not."""
    spec = fit.spec
    refusals, warns = circularity(spec)
    fit.warnings.extend(warns)
    if refusals:
        fit.status, fit.message = "refused", " ".join(refusals)
        return False
    columns = set(data.columns.tolist())  # one conversion of the (text) column labels
    try:
        check_terms(spec, available=set(variable_meta()) | columns)
    except SpecError as err:
        fit.status, fit.message = "skipped", str(err)
        return False
    missing_cols = [t for t in (spec.outcome, *spec.terms) if base_variable(t) not in columns]
    if missing_cols:
        fit.status = "skipped"
        fit.message = f"variable(s) {missing_cols} are not in the data (they were not loaded)."
        return False
    return True


def _sample_rows(fit: Fit | _Sample, data: pd.DataFrame) -> pd.DataFrame | None:
    """The rows of the spec's editions, sample and countries; None (fit skipped) if unusable."""
    spec = fit.spec
    years = data["year"].to_numpy()
    in_years = np.isin(years, spec.years)
    absent_years = sorted(set(spec.years) - set(np.unique(years[in_years]).tolist()))
    if absent_years:
        fit.status, fit.message = "skipped", f"edition(s) {absent_years} are not in the data"
        return None
    # only the columns the design reads: copying the whole panel cost more than the fit
    cols = list(dict.fromkeys(["iso3", "year", spec.outcome, *map(base_variable, spec.terms)]))
    # the sample and country rules as one mask on the data, so the rows are copied once
    # (the specification curve builds hundreds of samples; pandas' isin on text was slow)
    keep = in_years.copy()
    if spec.sample is not None or spec.countries is not None:
        iso3 = data["iso3"].tolist()
        group = resolve_group(spec.sample) if spec.sample is not None else None
        for wanted in (group, spec.countries):
            if wanted is not None:
                members = set(wanted)
                keep &= np.fromiter((c in members for c in iso3), dtype=bool, count=len(iso3))
    if spec.standardise:  # within the whole edition, before the sample rules
        rows = data.loc[in_years, cols]
        rows = rows.assign(**{spec.outcome: standardised_outcome(rows, spec.outcome)})
        if not keep[in_years].all():
            rows = rows[keep[in_years]]
    else:
        rows = data.loc[keep, cols]
    empty = [
        t
        for t in spec.terms
        if t not in INDICES
        and t not in CATEGORICAL
        and pd.isna(rows[base_variable(t)].to_numpy()).all()
    ]
    if empty:
        fit.status = "skipped"
        fit.message = (
            f"{', '.join(term_label(t) for t in empty)}: no data for edition(s) "
            f"{', '.join(map(str, spec.years))} under the vintage rule."
        )
        return None
    return rows


def _design_estimable(fit: Fit, X: pd.DataFrame, problem: str) -> bool:
    """False (fit skipped) for a design problem or too few complete cases."""
    spec = fit.spec
    need = max(spec.min_obs, X.shape[1] + 10)
    if problem:
        fit.status, fit.message = "skipped", problem
    elif fit.n < need:
        fit.status = "skipped"
        fit.message = (
            f"only {fit.n} complete cases for edition(s) "
            f"{', '.join(map(str, spec.years))}; at least {need} are needed "
            f"(min_obs = {spec.min_obs}, {X.shape[1]} coefficients)."
        )
    return fit.ok


def _regressors_usable(fit: Fit, collinear_columns) -> bool:
    """False (fit skipped) for a panel of one edition or perfectly collinear regressors.

    ``collinear_columns`` returns the design's collinear columns (`_collinear_columns`).
    """
    if fit.spec.estimator == "panel_fe" and fit.n_editions < 2:
        fit.status, fit.message = "skipped", "a panel needs at least two editions with data"
        return False
    collinear = collinear_columns()
    if collinear:
        fit.status = "skipped"
        fit.message = (
            "the regressors are perfectly collinear in this sample: "
            f"{', '.join(collinear)}. Fix: drop one of them."
        )
        return False
    return True


def _term_values(spec: Spec, rows: pd.DataFrame) -> dict[str, np.ndarray]:
    """The outcome and each term's values; a ``log_`` term is logged (missing where <= 0).

    Plain arrays (float, or the category names of a panel category): pandas column look-ups
    dominated the specification curve's time.
    """
    cols: dict[str, np.ndarray] = {spec.outcome: rows[spec.outcome].to_numpy(dtype=float)}
    for t in spec.terms:
        b = base_variable(t)
        if t in CATEGORICAL:
            cols[t] = rows[t].to_numpy(dtype=object)
            continue
        vals = rows[b].to_numpy(dtype=float)
        if t.startswith("log_"):
            with np.errstate(invalid="ignore"):
                bad = rows["iso3"].to_numpy()[vals <= 0].tolist()
            if bad:
                log.warning("spec %s: %s <= 0 for %s (log undefined)", spec.name, b, bad)
            with np.errstate(invalid="ignore"):
                vals = np.log(np.where(vals > 0, vals, np.nan))
        cols[t] = vals
    return cols


def _category_dummies(
    t: str, values: np.ndarray
) -> tuple[dict[str, np.ndarray], dict[str, float | str]]:
    """Dummies of a panel category against its largest group (ties: alphabetical first)."""
    cats = values.astype(str)
    names, counts = np.unique(cats, return_counts=True)  # sorted: argmax takes the first tie
    ref = str(names[int(np.argmax(counts))])
    levels = [str(c) for c in names if c != ref]
    cols = {f"{t}[{lv}]": (cats == lv).astype(float) for lv in levels}
    return cols, {f"{t}[{lv}]": lv for lv in levels}


def _code_dummies(
    t: str, values: np.ndarray, problems: list[str]
) -> tuple[dict[str, np.ndarray], dict[str, float | str]]:
    """Dummies of a coded item against its declared reference level; problems appended."""
    coding = codes()[t]
    vals = values.astype(float)
    present = [float(v) for v in np.unique(vals)]
    unknown = sorted(set(present) - set(coding.levels))
    if unknown:
        problems.append(f"{term_label(t)} holds undeclared code(s) {unknown}")
    if coding.reference not in present:
        problems.append(
            f"no country in the sample has the reference level of {term_label(t)} "
            f"({coding.word(coding.reference)}), so no contrast can be estimated"
        )
    levels = [lv for lv in present if lv != coding.reference]
    cols = {f"{t}[{coding.word(lv)}]": (vals == lv).astype(float) for lv in levels}
    return cols, {f"{t}[{coding.word(lv)}]": lv for lv in levels}


def design(
    spec: Spec, rows: pd.DataFrame
) -> tuple[pd.Series, pd.DataFrame, pd.DataFrame, str, dict[str, dict[str, float | str]]]:
    """Outcome, design matrix, the countries dropped for missing data, and the dummy coding.

    Coded covariates (`specs.codes`) enter as one dummy per level present in the sample against
    their declared reference level; panel categories (region, income group) against their
    largest group. A dummy column is named ``variable[level words]``.

    Returns
    -------
    y : Series
    X : DataFrame
        With ``const`` (cross-section) or without (panel: the effects absorb it).
    dropped : DataFrame
        ``iso3, country, year, missing`` for every row of the edition(s) not used.
    problem : str
        Non-empty if the design cannot be estimated (a constant regressor, a reference level
        absent from the sample).
    dummies : dict
        Term -> {design column: level code (or category name)}.
    """
    frame = _term_values(spec, rows)
    miss = np.column_stack([pd.isna(v) for v in frame.values()])
    names = [
        f"{c.upper()} not assessed" if c == spec.outcome else short_label(base_variable(c))
        for c in frame
    ]
    keep = ~miss.any(axis=1)
    iso3 = rows["iso3"].to_numpy()
    years = rows["year"].to_numpy()
    dropped = pd.DataFrame(
        {
            "iso3": iso3[~keep],
            "country": [display_name(i) for i in iso3[~keep]],
            "year": years[~keep],
            "missing": [
                "; ".join(n for n, m in zip(names, r, strict=True) if m) for r in miss[~keep]
            ],
        }
    )
    idx = pd.MultiIndex.from_arrays(
        [rows["iso3"].array[keep], rows["year"].array[keep]], names=["iso3", "year"]
    )
    sample = {c: v[keep] for c, v in frame.items()}
    y = pd.Series(sample[spec.outcome], index=idx, name=spec.outcome)
    columns: dict[str, np.ndarray] = {}
    if spec.estimator != "panel_fe":
        columns["const"] = np.ones(len(idx))
    dummies: dict[str, dict[str, float | str]] = {}
    problems: list[str] = []
    for t in spec.terms:
        if t in CATEGORICAL:
            cols_t, dummies[t] = _category_dummies(t, sample[t])
        elif t in codes():
            cols_t, dummies[t] = _code_dummies(t, sample[t], problems)
        else:
            cols_t = {t: sample[t]}
        columns.update(cols_t)
    # one (columns x rows) block, as pandas lays out a frame: X.to_numpy() is then the same
    # Fortran-ordered array as before, so the estimators see identical inputs
    block = np.array(list(columns.values()), dtype=float).reshape(len(columns), len(idx))
    X = pd.DataFrame(block.T, index=idx, columns=list(columns), copy=False)
    constant = [c for c, v in columns.items() if c != "const" and len(v) and np.unique(v).size < 2]
    if constant:
        problems.append(
            f"{', '.join(constant)} do(es) not vary in the {len(X)} complete cases, so no "
            "effect can be estimated"
        )
    return y, X, dropped, "; ".join(problems), dummies


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
    names: list[str],
    est: np.ndarray,
    cov: np.ndarray,
    df_resid: float | None = None,
) -> None:
    """Set ``fit.estimates`` (hence ``fit.coefs`` and ``fit.cov``) from estimates and covariance.

    ``names`` labels the rows of ``est`` and the rows and columns of ``cov`` (plain arrays:
    label look-ups dominated the specification curve's time). 95% intervals: t with
    ``df_resid`` degrees of freedom, else normal.
    """
    ix = [i for i, c in enumerate(names) if c != "const"]
    fit.estimates = Estimates(
        spec=fit.spec,
        dummies=fit.dummies,
        terms=tuple(names[i] for i in ix),
        estimate=np.asarray(est, dtype=float)[ix],
        cov=np.asarray(cov, dtype=float)[np.ix_(ix, ix)],
        df_resid=df_resid,
    )
    fit.stats["df_resid"] = df_resid


@dataclass(frozen=True, eq=False)
class Estimates:
    """A fit's estimates and their covariance as plain arrays (the constant left out).

    Attributes
    ----------
    spec : Spec
        The spec as fitted (names the rows of the tidy table and their roles).
    dummies : dict
        The fit's dummy coding (`Fit.dummies`).
    terms : tuple of str
        Design columns, in the order of ``estimate`` and of ``cov``'s rows and columns.
    estimate, cov : ndarray
    df_resid : float or None
        Degrees of freedom of the t intervals (None: normal intervals).
    """

    spec: Spec
    dummies: dict[str, dict[str, float | str]]
    terms: tuple[str, ...]
    estimate: np.ndarray
    cov: np.ndarray
    df_resid: float | None

    def tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``Fit.coefs`` (`COEF_COLUMNS`) and ``Fit.cov`` (labelled by term)."""
        q = critical_value(self.df_resid)
        spec, df_resid, e = self.spec, self.df_resid, self.estimate
        level_of = {
            col: (term, lv) for term, cols in self.dummies.items() for col, lv in cols.items()
        }
        terms = list(self.terms)
        se = np.sqrt(np.diag(self.cov))
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.abs(e / se)
        p = 2 * (stats.t.sf(z, df_resid) if df_resid else stats.norm.sf(z))
        var_level = [level_of.get(t, (t, None)) for t in terms]
        coefs = pd.DataFrame(
            {
                "spec": spec.name,
                "estimator": spec.estimator,
                "term": terms,
                "variable": [v for v, _ in var_level],
                "level": [lv for _, lv in var_level],
                "label": [contrast_label(v, lv) for v, lv in var_level],
                "role": ["main" if v in spec.regressors else "control" for v, _ in var_level],
                "estimate": e,
                "se": se,
                "ci_low": e - q * se,
                "ci_high": e + q * se,
                "p": p,
            },
            columns=COEF_COLUMNS,
        )
        return coefs, pd.DataFrame(self.cov, index=terms, columns=terms)


@functools.lru_cache(maxsize=256)
def critical_value(df: float | None) -> float:
    """Return the two-sided 95% critical value: t with ``df`` degrees of freedom, else normal."""
    return float(stats.t.ppf(0.975, df) if df else stats.norm.ppf(0.975))


@functools.lru_cache(maxsize=1024)
def contrast_label(variable: str, level) -> str:
    """Label of a design column, as shown in tables and figures.

    ``"Government cloud: operational vs none"``, ``"e-ID (vs none)"`` for a yes/no code,
    ``"Region: Asia"`` (against the largest region), ``"Log income (GNI per capita)"`` for a
    continuous term.
    """
    if not has_level(level):
        return term_label(variable)
    if variable in codes():
        c = codes()[variable]
        if len(c.levels) == 2:
            return f"{term_label(variable)} (vs {c.word(c.reference)})"
        return f"{term_label(variable)}: {c.word(level)} vs {c.word(c.reference)}"
    return f"{term_label(variable)}: {level}"


def has_level(level) -> bool:
    """True if a coefficient row belongs to a dummy (its ``level`` is set, not None or NaN)."""
    return level is not None and not (isinstance(level, float) and np.isnan(level))


def _fit_ols(fit: Fit, lean: bool = False) -> OLSArrays | None:
    """Fit OLS with HC3 errors; with ``lean`` by `ols_hc3` (returned), else by statsmodels."""
    ols = None
    y, X = fit.sample()
    if lean:
        ols = ols_hc3(y.to_numpy(), X.to_numpy())
        params, cov = ols.params, ols.cov
        df_resid, r2, adj_r2 = ols.df_resid, ols.rsquared, ols.rsquared_adj
    else:
        res = sm.OLS(y, X).fit(cov_type="HC3")
        fit.result = res
        params, cov = res.params.to_numpy(), res.cov_params().to_numpy()
        df_resid, r2, adj_r2 = res.df_resid, res.rsquared, res.rsquared_adj
    # HC3 errors with t critical values: the usual small-sample choice for HC3
    _tidy(fit, list(X.columns), params, cov, df_resid=float(df_resid))
    fit.stats.update(r2=float(r2), r2_kind="R²", adj_r2=float(adj_r2))
    return ols


@dataclass(frozen=True)
class OLSArrays:
    """An OLS fit as plain arrays (`ols_hc3`).

    Attributes
    ----------
    params, cov : ndarray
        Coefficients and their HC3 covariance.
    df_resid, rsquared, rsquared_adj : float
    resid : ndarray
        Residuals ``y - X params``.
    pinv : ndarray
        Moore-Penrose pseudo-inverse of ``X`` (``params = pinv @ y``).
    """

    params: np.ndarray
    cov: np.ndarray
    df_resid: float
    rsquared: float
    rsquared_adj: float
    resid: np.ndarray
    pinv: np.ndarray


def ols_hc3(y: np.ndarray, X: np.ndarray) -> OLSArrays:
    """OLS with HC3 errors, computed exactly as ``sm.OLS(y, X).fit(cov_type="HC3")``.

    Why hand-written: the specification curve fits hundreds of OLS models and building
    statsmodels' model, results and wrapper objects cost more than the algebra. The steps below
    are statsmodels' own (``OLS.fit(method="pinv")``, ``RegressionResults.cov_HC3``,
    ``rsquared``, ``rsquared_adj``), the same numpy operations in the same order, so the
    numbers are the same to the last bit; ``tests/test_models.py`` checks this against
    statsmodels on every OLS design of the 2024 specification curve. ``X`` must hold a
    constant column (the R² is centred).

    Parameters
    ----------
    y : ndarray
        Outcome, shape ``(n,)``.
    X : ndarray
        Design with a constant, shape ``(n, k)``.

    Returns
    -------
    OLSArrays
    """
    pinv, singular_values = pinv_extended(X)
    normalized_cov = np.dot(pinv, np.transpose(pinv))
    rank = np.linalg.matrix_rank(np.diag(singular_values))
    params = np.dot(pinv, y)
    nobs = float(X.shape[0])
    df_resid = nobs - rank
    resid = y - np.dot(X, params)
    h = np.einsum("ij,ik,kj->i", X, X, normalized_cov)
    cov = np.dot(pinv, ((resid / (1 - h)) ** 2)[:, None] * pinv.T)
    ssr = np.dot(resid, resid)
    weights = np.ones(len(y))  # statsmodels' OLS is a WLS with unit weights (its centred TSS)
    mean = np.average(y, weights=weights)
    rsquared = 1 - ssr / np.sum(weights * (y - mean) ** 2)
    rsquared_adj = 1 - (np.divide(nobs - 1, df_resid) * (1 - rsquared))
    return OLSArrays(
        params=params,
        cov=cov,
        df_resid=float(df_resid),
        rsquared=float(rsquared),
        rsquared_adj=float(rsquared_adj),
        resid=resid,
        pinv=pinv,
    )


def cooks_distance(ols: OLSArrays, X: np.ndarray) -> np.ndarray:
    """Cook's distance of each observation, exactly as statsmodels' ``OLSInfluence``.

    Hand-written for the same reason as `ols_hc3` (and checked against statsmodels in the same
    test): ``hii = diag(X pinv)``, internally studentised residuals with the OLS variance
    ``ssr / df_resid``, ``d = r**2 / k * hii / (1 - hii)``.
    """
    hii = (X * ols.pinv.T).sum(1)
    scale = np.dot(ols.resid, ols.resid) / ols.df_resid
    studentized = ols.resid / np.sqrt(scale) / np.sqrt(1 - hii)
    cooks = studentized**2 / X.shape[1]
    cooks *= hii / (1 - hii)
    return cooks


def _fit_fraclogit(fit: Fit, lean: bool = False) -> None:
    y, X = fit.sample()
    outside = (y.to_numpy() < 0) | (y.to_numpy() > 1)
    if outside.any():
        bad = y.index.get_level_values("iso3")[outside].tolist()
        fit.status = "skipped"
        fit.message = (
            f"fractional logit needs outcomes in [0, 1]; {fit.spec.outcome.upper()} is outside "
            f"for {', '.join(bad)}"
        )
        return
    with pywarnings.catch_warnings():
        # statsmodels warns that a Binomial endog is not 0/1: fractional outcomes are the point.
        pywarnings.simplefilter("ignore")
        # lean: arrays in, arrays out (statsmodels' pandas wrapping cost more than the fit)
        yy, XX = (y.to_numpy(), X.to_numpy()) if lean else (y, X)
        res = sm.GLM(yy, XX, family=sm.families.Binomial()).fit(cov_type="HC0")
    fit.result = None if lean else res
    groups = {t: list(cols) for t, cols in fit.dummies.items()}
    ame, cov = average_marginal_effects(
        np.asarray(res.params),
        np.asarray(res.cov_params()),
        X.to_numpy(),
        _dummy_index(X, groups),
    )
    _tidy(fit, list(X.columns), ame, cov)
    if lean:
        null_llf = _null_logit_llf(yy.tobytes())
    else:
        with pywarnings.catch_warnings():
            pywarnings.simplefilter("ignore")
            null_llf = sm.GLM(y, X[["const"]], family=sm.families.Binomial()).fit().llf
    fit.stats.update(r2=float(1 - res.llf / null_llf), r2_kind="pseudo R² (McFadden)")


@functools.lru_cache(maxsize=512)
def _null_logit_llf(y: bytes) -> float:
    """Log-likelihood of the intercept-only fractional logit of the outcome ``y`` (float bytes).

    Cached because it depends on the outcome alone: the specification curve fits several
    models (control sets, hypotheses together or alone) on one sample, which used to refit
    this model for each (about 300 fits for about 110 distinct samples in 2024).
    """
    yy = np.frombuffer(y, dtype=float).copy()
    with pywarnings.catch_warnings():
        pywarnings.simplefilter("ignore")  # a fractional, not 0/1, outcome (see above)
        null = sm.GLM(yy, np.ones((len(yy), 1)), family=sm.families.Binomial()).fit()
    return float(null.llf)


def _dummy_index(X: pd.DataFrame, groups: dict[str, list[str]]) -> list[list[int]]:
    cols = list(X.columns)
    return [[cols.index(c) for c in g] for g in groups.values() if g]


def average_marginal_effects(
    params: np.ndarray,
    cov: np.ndarray,
    X: np.ndarray,
    dummy_groups: list[list[int]] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Average marginal effects of a logit-link model and their delta-method covariance.

    Continuous columns: ``AME_j = b_j mean(p (1 - p))`` with ``p = 1 / (1 + exp(-X b))``.
    Dummy columns (``dummy_groups``: lists of column positions of one coded term): the average
    discrete change ``mean(p(x: d_j = 1, siblings 0) - p(x: all siblings 0))``, the difference
    between the level and the reference level for every country in the sample.

    Returns
    -------
    ame : ndarray
    cov : ndarray
        Delta-method covariance, ``J cov J'`` with ``J`` the Jacobian of the AMEs.
    """
    n, k = X.shape
    p = 1 / (1 + np.exp(-X @ params))
    w = p * (1 - p)
    ame = params * w.mean()
    jac = np.eye(k) * w.mean() + np.outer(params, (w * (1 - 2 * p)) @ X / n)
    for group in dummy_groups or []:
        base = X.copy()
        base[:, group] = 0.0
        p0 = 1 / (1 + np.exp(-base @ params))
        w0 = p0 * (1 - p0)
        for j in group:
            x1 = base.copy()
            x1[:, j] = 1.0
            p1 = 1 / (1 + np.exp(-x1 @ params))
            ame[j] = float(np.mean(p1 - p0))
            jac[j] = ((p1 * (1 - p1)) @ x1 - w0 @ base) / n
    return ame, jac @ cov @ jac.T


def _fit_median(fit: Fit, lean: bool = False) -> None:
    y, X = fit.sample()
    if lean:  # arrays in, arrays out, without statsmodels' objects (see `quantreg`)
        res = quantreg(y.to_numpy(), X.to_numpy(), q=0.5, max_iter=5000)
        params, cov, df_resid, prsquared = res.params, res.cov, res.df_resid, res.prsquared
    else:
        with pywarnings.catch_warnings():
            # statsmodels warns when the iteration limit is reached on near-degenerate samples
            pywarnings.simplefilter("ignore")
            res = sm.QuantReg(y, X).fit(q=0.5, max_iter=5000)
        fit.result = res
        params, cov, df_resid = res.params, res.cov_params(), res.df_resid
        prsquared = res.prsquared
    _tidy(fit, list(X.columns), params, cov, df_resid=float(df_resid))
    fit.stats.update(r2=float(prsquared), r2_kind="pseudo R² (Koenker-Machado)")


@dataclass(frozen=True)
class QuantRegArrays:
    """A quantile regression as plain arrays (`quantreg`).

    Attributes
    ----------
    params, cov : ndarray
        Coefficients and their robust (sandwich, Epanechnikov kernel, Hall-Sheather
        bandwidth) covariance.
    df_resid, prsquared : float
        Residual degrees of freedom and the Koenker-Machado pseudo R².
    iterations : int
        Iterations of the weighted least squares.
    """

    params: np.ndarray
    cov: np.ndarray
    df_resid: float
    prsquared: float
    iterations: int


def quantreg(
    y: np.ndarray, X: np.ndarray, *, q: float = 0.5, max_iter: int = 1000, p_tol: float = 1e-6
) -> QuantRegArrays:
    """Quantile regression, computed exactly as ``sm.QuantReg(y, X).fit(q, max_iter, p_tol)``.

    Why hand-written: the specification curve fits hundreds of median regressions of a hundred
    or more iterations each, and statsmodels' loop spends most of its time in the overhead of
    `numpy.linalg.pinv` on a small matrix rather than in the algebra. The steps below are
    statsmodels 0.15's (``QuantReg.fit`` with its defaults: iteratively reweighted least
    squares from OLS, robust covariance, Epanechnikov kernel, Hall-Sheather bandwidth;
    ``QuantRegResults.prsquared``), the same numpy operations on the same arrays in the same
    order, so every iteration and the result are the same to the last bit; only `_pinv`
    leaves out `numpy.linalg.pinv`'s argument handling and the weights take fewer steps to
    the same numbers (see the comment in the loop). ``tests/test_models.py`` checks this
    against statsmodels on every median-regression design of the 2024 specification curve.

    Parameters
    ----------
    y : ndarray
        Outcome, shape ``(n,)``.
    X : ndarray
        Design, shape ``(n, k)``.
    q : float
        Quantile, strictly between 0 and 1.
    max_iter : int
        Maximum iterations (statsmodels warns when it is reached; this does not).
    p_tol : float
        Convergence tolerance on the largest change of a coefficient.

    Returns
    -------
    QuantRegArrays
    """
    from scipy.stats import norm
    from statsmodels.regression.quantile_regression import hall_sheather, kernels

    nobs = float(X.shape[0])
    rank = np.linalg.matrix_rank(X)
    n_iter = 0
    xstar = X
    beta = np.ones(X.shape[1])
    diff = 10.0
    cycle = False
    history = []
    while n_iter < max_iter and diff > p_tol and not cycle:
        n_iter += 1
        beta0 = beta
        xtx = np.dot(xstar.T, X)
        xty = np.dot(xstar.T, y)
        beta = np.dot(_pinv(xtx), xty)
        resid = y - np.dot(X, beta)
        # statsmodels moves residuals within 1e-6 of zero to +-1e-6 (sign kept, 0 -> +1e-6),
        # then weights |q r| below zero and |(1 - q) r| above. Since |c r| = c |r| and the
        # moved residual's absolute value is 1e-6, that is exactly (to the bit; NaN stays NaN)
        # the check function's slope times max(|r|, 1e-6), in 3 array operations instead of 9
        slope = q if q == 1 - q else np.where(resid < 0, q, 1 - q)
        xstar = X / (slope * np.maximum(np.abs(resid), 0.000001))[:, np.newaxis]
        diff = np.abs(beta - beta0).max()
        history.append(beta)
        # statsmodels' guard against a cycle of iterates (it stops the loop, so it is kept)
        if (n_iter >= 300) and (n_iter % 100 == 0):
            cycle = any(np.all(beta == history[-ii]) for ii in range(2, 10))
    e = y - np.dot(X, beta)
    iqre = stats.scoreatpercentile(e, 75) - stats.scoreatpercentile(e, 25)
    h = hall_sheather(nobs, q)
    h = min(np.std(y), iqre / 1.34) * (norm.ppf(q + h) - norm.ppf(q - h))
    fhat0 = 1.0 / (nobs * h) * np.sum(kernels["epa"](e / h))
    d = np.where(e > 0, (q / fhat0) ** 2, ((1 - q) / fhat0) ** 2)
    xtxi = _pinv(np.dot(X.T, X))
    xtdx = np.dot(X.T * d[np.newaxis, :], X)
    cov = xtxi @ xtdx @ xtxi
    # QuantRegResults.prsquared (its residuals are recomputed from the final coefficients)
    resid = y - np.dot(X, beta)
    resid = np.abs(np.where(resid < 0, (1 - q) * resid, q * resid))
    ered = y - stats.scoreatpercentile(y, q * 100)
    ered = np.abs(np.where(ered < 0, (1 - q) * ered, q * ered))
    prsquared = 1 - np.sum(resid) / np.sum(ered)
    return QuantRegArrays(
        params=beta,
        cov=cov,
        df_resid=float(nobs - rank),
        prsquared=float(prsquared),
        iterations=n_iter,
    )


def _pinv(a: np.ndarray) -> np.ndarray:
    """`numpy.linalg.pinv` of a 2-d float matrix (default cut-off), the same operations.

    Skips only the argument handling (stacks, complex input, empty matrices), which cost more
    than the decomposition of the small matrices `quantreg` inverts at every iteration.
    """
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    # numpy divides in place where large and then zeroes the rest: one call here
    inv = np.divide(1, s, out=np.zeros_like(s), where=s > 1e-15 * s.max())
    return np.matmul(vt.T, inv[:, np.newaxis] * u.T)


def _fit_panel(fit: Fit, lean: bool = False) -> None:
    from linearmodels.panel import PanelOLS

    y, X = fit.sample()
    mod = PanelOLS(y, X, entity_effects=True, time_effects=True, drop_absorbed=True)
    with pywarnings.catch_warnings():
        # absorbed variables are reported in fit.notes below
        pywarnings.simplefilter("ignore")
        res = mod.fit(cov_type="clustered", cluster_entity=True)
    fit.result = res
    names = list(res.params.index)
    _tidy(fit, names, res.params.to_numpy(), res.cov.loc[names, names].to_numpy())
    counts = y.groupby(level="iso3").size()
    fit.stats.update(
        r2=float(res.rsquared),
        r2_kind="R² net of country and year effects",
        singletons=int((counts == 1).sum()),
        countries_multi=int((counts > 1).sum()),
        editions=sorted(y.index.get_level_values("year").unique().tolist()),
    )
    gone = [c for c in X.columns if c not in res.params.index]
    if gone:
        fit.notes.append(f"{', '.join(gone)} absorbed by the effects and dropped.")


_ESTIMATORS = {
    "ols": _fit_ols,
    "fraclogit": _fit_fraclogit,
    "median": _fit_median,
    "panel_fe": _fit_panel,
}


@dataclass
class ModelResults:
    """The fits of a list of specs."""

    fits: list[Fit]
    focus: list[str] = field(default_factory=list)
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
        """One row per spec: estimator, status, n, countries, fit statistic, message."""
        return pd.DataFrame(
            [
                {
                    "spec": f.name,
                    "estimator": ESTIMATOR_LABELS[f.spec.estimator],
                    "status": f.status,
                    "n": f.n if f.status != "refused" else np.nan,
                    "countries": f.n_countries,
                    "r2": f.stats.get("r2", np.nan),
                    "r2_kind": f.stats.get("r2_kind", ""),
                    "message": " ".join([f.message, *f.notes]).strip(),
                }
                for f in self.fits
            ]
        )


def standardised_residuals(fit: Fit) -> pd.DataFrame:
    """Standardised residuals of a fractional-logit fit, for every country in its sample.

    The Pearson residual ``(y - mu) / sqrt(phi mu (1 - mu))`` uses the fitted mean ``mu``,
    which stays inside (0, 1), and the dispersion ``phi`` (Pearson chi-squared over residual
    degrees of freedom), so it reads like a z-score: about 95% of countries fall within +-2.

    Returns
    -------
    DataFrame
        ``iso3, country, actual, predicted, z, percentile`` (the share of the other countries
        in the sample with a lower ``z``, 0-100), sorted by ``z``.
    """
    if not fit.ok or fit.spec.estimator != "fraclogit":
        raise SpecError(
            f"standardised residuals need a fitted fractional-logit spec; {fit.name!r} is "
            f"{fit.status} / {fit.spec.estimator}. Fix: pass the fractional-logit fit"
        )
    res = fit.result
    ys, _ = fit.sample()
    mu = np.asarray(res.fittedvalues, dtype=float)
    y = ys.to_numpy()
    phi = float(res.pearson_chi2 / res.df_resid)
    z = (y - mu) / np.sqrt(phi * mu * (1 - mu))
    iso3 = ys.index.get_level_values("iso3")
    out = pd.DataFrame(
        {
            "iso3": iso3,
            "country": [display_name(c) for c in iso3],
            "actual": y,
            "predicted": mu,
            "z": z,
        }
    )
    # share of the other countries with a lower residual (0 = lowest, 100 = highest)
    out["percentile"] = (out["z"].rank() - 1) / max(len(out) - 1, 1) * 100
    return out.sort_values("z").reset_index(drop=True)
