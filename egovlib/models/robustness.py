"""Robustness of the primary contrasts: common samples, specification curve, multiple imputation."""

from __future__ import annotations

import inspect
import itertools
import re
import warnings as pywarnings
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm

from ..errors import SpecError
from ..panel import Panel
from ..report import join_names
from .diagnostics import display_name
from .estimation import DesignMemo, Fit, design, fit_spec
from .inference import Contrast, contrast
from .specs import (
    CATEGORICAL,
    PREVIOUS_OUTCOME,
    Hypothesis,
    Spec,
    base_variable,
    codes,
    control_sets,
    refused_terms,
    short_label,
    spec_config,
)


@dataclass
class CommonSample:
    """The countries every compared column uses, and the assessed countries it loses.

    Attributes
    ----------
    countries : list of str
        ISO3 codes with complete data on the outcome and every compared term.
    lost : DataFrame
        ``iso3, country, missing`` for the countries assessed in the edition but left out,
        with the variables they lack in words.
    assessed : int
        Countries with an outcome score in the edition.
    """

    countries: list[str]
    lost: pd.DataFrame = field(default_factory=pd.DataFrame)
    assessed: int = 0

    @property
    def n(self) -> int:
        """Countries in the common sample."""
        return len(self.countries)


def common_sample(
    data: pd.DataFrame, outcome: str, terms: Iterable[str], year: int
) -> CommonSample:
    """Countries of edition ``year`` with complete data on ``outcome`` and all ``terms``.

    Returns
    -------
    CommonSample
    """
    terms = list(dict.fromkeys(terms))
    rows = data[(data["year"] == year) & data[outcome].notna()]
    spec = Spec(name="common sample", outcome=outcome, regressors=tuple(terms), years=(year,))
    y, _, dropped, _, _ = design(spec, rows)
    kept = list(y.index.get_level_values("iso3"))
    return CommonSample(
        countries=kept,
        lost=dropped[["iso3", "country", "missing"]].reset_index(drop=True),
        assessed=len(rows),
    )


def add_previous_outcome(data: pd.DataFrame, outcome: str, year: int) -> tuple[pd.DataFrame, str]:
    """Add the `PREVIOUS_OUTCOME` column.

    Each country's ``outcome`` in the edition before ``year`` (published, so nothing later than
    ``year`` is used).

    Left empty (with a note) when there is no earlier edition or a method change of the outcome
    lies between the two: scores across a break are not comparable.

    Returns
    -------
    data : DataFrame
        A copy with the column.
    note : str
        Why the column is empty ("" when it is filled).
    """
    from ..panel import load_egdi_panel
    from ..vocabulary import crosses_break

    out = data.copy()
    out[PREVIOUS_OUTCOME] = np.nan
    egdi = load_egdi_panel()
    earlier = sorted(y for y in egdi.loc[egdi[outcome].notna(), "year"].unique() if y < year)
    if not earlier:
        return out, f"No edition before {year}: no specification with the previous score."
    prev = int(earlier[-1])
    if crosses_break(prev, year, [outcome]):
        return out, (
            f"The {outcome.upper()} method changed between {prev} and {year}: no specification "
            "with the previous score."
        )
    before = egdi[egdi["year"] == prev].set_index("iso3")[outcome]
    rows = out["year"] == year
    out.loc[rows, PREVIOUS_OUTCOME] = out.loc[rows, "iso3"].map(before).to_numpy()
    return out, ""


def with_max_age(panel: Panel, lag: int, max_age: int | None) -> pd.DataFrame:
    """The panel's data with the vintage rule's maximum age applied afterwards.

    ``panel`` must be built with ``max_age=None``: it then holds, per covariate, the latest
    reference year at or before ``edition - lag``; blanking values older than ``max_age`` gives
    exactly what `egovlib.build_panel` returns with that ``max_age`` (one panel per lag serves
    every maximum age of the specification curve).
    """
    data = panel.data.copy()
    if max_age is None:
        return data
    refs = panel.ref_years
    for col in refs.columns.drop(["iso3", "year"]):
        age = data["year"] - lag - refs[col].astype("Float64")
        data.loc[(age > max_age).fillna(False).to_numpy(), col] = np.nan
    return data


def _influential(fit: Fit) -> list[str]:
    """Countries with Cook's distance above 4/n in an OLS fit."""
    if not fit.ok or not fit.diagnostics:
        return []
    return fit.diagnostics["influential"]["iso3"].tolist()


def specification_curve(
    panels: dict[int, Panel],
    hyps: list[Hypothesis],
    *,
    year: int,
    outcome: str,
    group: list[str],
    default: dict,
    allow_circular: tuple[str, ...] = (),
    min_obs: int = 30,
) -> tuple[pd.DataFrame, list[str]]:
    """Each primary contrast across every combination of the reasonable analysis choices.

    Choices (`model_specs.yml` ``spec_curve`` and ``control_sets``): control set, vintage lag
    and maximum age, estimator (OLS, fractional logit, median regression), sample (all
    countries with data, without the countries with Cook's distance above 4/n in the OLS fit,
    without the group's countries) and model (the hypotheses together or one at a time).

    Parameters
    ----------
    panels : dict
        Lag -> `Panel` of edition ``year`` built with ``max_age=None`` (see `with_max_age`).
    hyps : list of Hypothesis
        The hypotheses testable in this edition.
    default : dict
        The report's own choices: ``controls`` (label), ``lag``, ``max_age``, ``estimator``,
        ``sample``, ``model``; the matching rows get ``is_default`` True.

    Returns
    -------
    curve : DataFrame
        One row per hypothesis and specification: ``id, controls, lag, max_age, estimator,
        sample, model, estimate, ci_low, ci_high, p, n, is_default``.
    notes : list of str
        Choices left out, and why (e.g. a control set refused by the circularity guard).
    """
    cfg = spec_config()["spec_curve"]
    notes: list[str] = []
    sets = _usable_control_sets(outcome, allow_circular, notes, panels, year)
    models = _curve_models(hyps, cfg["models"], notes)
    rows = []
    fits = _CurveFits(panels, year)
    for (label, ctrl), lag, max_age, (mname, groups) in itertools.product(
        sets.items(), cfg["lags"], cfg["max_ages"], models.items()
    ):
        vintage = fits.vintage(lag, max_age)
        for hs in groups:
            base = Spec(
                name="curve",
                outcome=outcome,
                regressors=tuple(h.variable for h in hs),
                controls=tuple(t for t in ctrl if t not in {h.variable for h in hs}),
                years=(year,),
                allow_circular=allow_circular,
                min_obs=min_obs,
            )
            ols_all = fits.fit(base, vintage, diagnostics=True)
            kept = ols_all.countries
            excluded = {
                "all countries": [],
                "without influential countries": _influential(ols_all),
                "without the group": list(group),
            }
            for est, (sname, drop) in itertools.product(cfg["estimators"], excluded.items()):
                if sname not in cfg["samples"]:
                    continue
                if est == "ols" and not drop:
                    fit = ols_all
                else:
                    keep = None
                    if drop:
                        gone = set(drop)
                        keep = tuple(c for c in kept if c not in gone)
                    spec = base.with_(estimator=est, countries=keep)
                    fit = fits.fit(spec, vintage)
                choice = {
                    "controls": label,
                    "lag": lag,
                    "max_age": max_age,
                    "estimator": est,
                    "sample": sname,
                    "model": mname,
                }
                rows += [_curve_row(h, fits.contrast(fit, h), fit, choice, default) for h in hs]
    return pd.DataFrame(rows), notes


def _usable_control_sets(
    outcome: str,
    allow_circular: tuple[str, ...],
    notes: list[str],
    panels: dict[int, Panel],
    year: int,
) -> dict[str, tuple[str, ...]]:
    """The control sets the circularity guard accepts and the data can fill; notes say why not."""
    sets = {}
    first = next(iter(panels.values())).data
    for label, terms in control_sets().items():
        refused = refused_terms(outcome, terms, allow_circular)
        if refused:
            notes.append(
                f"The control set '{label}' is not used: "
                f"{join_names([short_label(t) for t in refused])} "
                f"{'feeds' if len(refused) == 1 else 'feed'} the {outcome.upper()}."
            )
            continue
        empty = [
            t
            for t in terms
            if t == PREVIOUS_OUTCOME
            and (t not in first.columns or first.loc[first["year"] == year, t].isna().all())
        ]
        if empty:
            notes.append(f"The control set '{label}' is not used: no previous-edition score.")
            continue
        sets[label] = tuple(terms)
    return sets


def _curve_models(
    hyps: list[Hypothesis], allowed: list[str], notes: list[str]
) -> dict[str, list[list[Hypothesis]]]:
    """Model choice -> groups of hypotheses fitted together ("together", "one at a time")."""
    models = {"together": [hyps]} if len(hyps) > 1 else {}
    models["one at a time"] = [[h] for h in hyps]
    if len(hyps) == 1:
        notes.append("Only one hypothesis can be tested in this edition: no joint model.")
    return {k: v for k, v in models.items() if k in allowed}


def _curve_row(h: Hypothesis, c: Contrast | None, fit: Fit, choice: dict, default: dict) -> dict:
    """One row of the specification curve: hypothesis ``h``'s contrast ``c`` under ``choice``."""
    return {
        "id": h.id,
        **choice,
        "estimate": c.estimate if c else np.nan,
        "ci_low": c.ci_low if c else np.nan,
        "ci_high": c.ci_high if c else np.nan,
        "p": c.p if c else np.nan,
        "n": fit.n if fit.ok else 0,
        "is_default": all(choice[k] == v for k, v in default.items()),
    }


class _CurveFits:
    """The specification curve's fits, each fitted once.

    Vintage choices often select the same values (one fit serves them all, found by a
    fingerprint of the values), and the estimators of one sample share its design matrix.
    """

    def __init__(self, panels: dict[int, Panel], year: int) -> None:
        self.panels, self.year = panels, year
        self.data: dict[tuple, pd.DataFrame] = {}  # (lag, max_age) -> data
        self.prints: dict[tuple, int] = {}  # (lag, max_age, columns) -> data id
        self.ids: dict[tuple, int] = {}  # fingerprint -> data id (equal values, equal id)
        self.memos: dict[int, DesignMemo] = {}  # data id -> designs built on those values
        self.columns: dict[tuple, bytes | tuple] = {}  # (vintage, column) -> its values
        self.fits: dict[tuple, Fit] = {}  # (spec, data id) -> fit
        self.contrasts: dict[tuple, Contrast | None] = {}  # (fit id, hypothesis) -> contrast

    def vintage(self, lag: int, max_age: int | None) -> tuple:
        """Build the data of one vintage rule (`with_max_age`) once; return its key."""
        key = (lag, max_age)
        if key not in self.data:
            self.data[key] = with_max_age(self.panels[lag], lag, max_age)
        return key

    def fit(self, spec: Spec, vintage: tuple, diagnostics: bool = False) -> Fit:
        """Fit ``spec`` on the data of ``vintage``, or return the fit of equal data."""
        cols = tuple(dict.fromkeys([spec.outcome, *(base_variable(t) for t in spec.terms)]))
        data = self.data[vintage]
        if (*vintage, cols) not in self.prints:
            fingerprint = (
                self._column_print(vintage, "iso3"),
                tuple(self._column_print(vintage, c) for c in cols),
            )
            self.prints[(*vintage, cols)] = self.ids.setdefault(fingerprint, len(self.ids))
        fp = self.prints[(*vintage, cols)]
        if (spec, fp) not in self.fits:
            memo = self.memos.setdefault(fp, DesignMemo(data_key=fp))
            self.fits[(spec, fp)] = fit_spec(
                spec, data, diagnostics=diagnostics, memo=memo, lean=True
            )
        return self.fits[(spec, fp)]

    def _column_print(self, vintage: tuple, column: str) -> bytes | tuple:
        """One column's values in the edition's rows (`_column_values`), read once per vintage.

        A data set's fingerprint is its countries' codes and the values of the columns a fit
        reads: exact (no hash collisions), so equal fingerprints mean equal data and one fit.
        """
        key = (vintage, column)
        if key not in self.columns:
            data = self.data[vintage]
            rows = (data["year"] == self.year).to_numpy()
            self.columns[key] = _column_values(data[column], rows)
        return self.columns[key]

    def contrast(self, fit: Fit, h: Hypothesis) -> Contrast | None:
        """`inference.contrast` of hypothesis ``h`` in ``fit`` (one of these fits), once."""
        key = (id(fit), h.variable, h.contrast)  # the fits live as long as this object
        if key not in self.contrasts:
            self.contrasts[key] = contrast(fit, h.variable, *h.contrast)
        return self.contrasts[key]


def _column_values(column: pd.Series, rows: np.ndarray) -> bytes | tuple:
    """A column's values in ``rows``: raw bytes for floats, else the values as a tuple."""
    if column.dtype.kind == "f":
        return column.to_numpy()[rows].tobytes()
    return tuple(column.to_numpy(dtype=object)[rows].tolist())


def curve_summary(curve: pd.DataFrame) -> pd.DataFrame:
    """Per hypothesis: specifications estimated, share with the default's sign.

    Share with a 95% interval excluding zero on that side, and the range of the estimates.

    Returns
    -------
    DataFrame
        ``id, specs, distinct (estimates that differ), same_sign, significant_same_sign, min,
        median, max, default``.
    """
    rows = []
    for hid, part in curve.groupby("id", sort=False):
        ok = part.dropna(subset=["estimate"])
        dflt = ok.loc[ok["is_default"], "estimate"]
        ref = float(dflt.iloc[0]) if len(dflt) else float(ok["estimate"].median())
        sign = np.sign(ref) or 1.0
        rows.append(
            {
                "id": hid,
                "specs": len(ok),
                # Choices that leave the data unchanged (e.g. a longer maximum age when no
                # value is that old) repeat a fit: the estimates that actually differ.
                "distinct": len(ok[["estimate", "ci_low", "ci_high"]].drop_duplicates()),
                "same_sign": float((np.sign(ok["estimate"]) == sign).mean()) if len(ok) else np.nan,
                "significant_same_sign": float(
                    ((ok["ci_low"] > 0) if sign > 0 else (ok["ci_high"] < 0)).mean()
                )
                if len(ok)
                else np.nan,
                "min": float(ok["estimate"].min()) if len(ok) else np.nan,
                "median": float(ok["estimate"].median()) if len(ok) else np.nan,
                "max": float(ok["estimate"].max()) if len(ok) else np.nan,
                "default": ref,
            }
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------- imputation


def _safe(name: str) -> str:
    return re.sub(r"\W", "_", name)


def _mice_data_class():
    """A statsmodels ``MICEData`` with formula-free design matrices (class built on first use).

    Why: with statsmodels' default conditional models (each variable on a constant and every
    other column), ``MICEData`` parses the same formula with patsy twice per variable and
    cycle, which took about 90% of `mice_check`'s time. This subclass builds the matrices patsy
    would build (a float array of a constant column then the other columns in data order,
    wrapped in a DataFrame on the data's index) and otherwise runs statsmodels' code unchanged
    (``get_split_data`` and ``get_fitting_data`` below are statsmodels 0.15's bodies with the
    formula call replaced), so the draws and the imputations are the same to the bit
    (``tests/test_models.py`` compares it with ``MICEData`` on the 2024 data).
    """
    from statsmodels.imputation import mice

    class MainEffectsMICEData(mice.MICEData):
        def _matrices(self, vname: str) -> tuple[pd.DataFrame, pd.DataFrame]:
            if self.conditional_formula[vname] != vname + " ~ " + " + ".join(
                c for c in self.data.columns if c != vname
            ):
                raise SpecError(f"{vname}: only main-effects imputation models are built here")
            others = [c for c in self.data.columns if c != vname]
            n = len(self.data)
            endog = np.empty((n, 1))
            endog[:, 0] = self.data[vname].to_numpy(dtype=float)
            exog = np.empty((n, len(others) + 1))
            exog[:, 0] = 1.0
            for j, c in enumerate(others, start=1):
                exog[:, j] = self.data[c].to_numpy(dtype=float)
            index = self.data.index
            return (
                pd.DataFrame(endog, columns=[vname], index=index),
                pd.DataFrame(exog, columns=["Intercept", *others], index=index),
            )

        def get_split_data(self, vname):
            endog, exog = self._matrices(vname)
            ixo = self.ix_obs[vname]
            endog_obs = np.require(endog.iloc[ixo], requirements="W")
            exog_obs = np.require(exog.iloc[ixo, :], requirements="W")
            ixm = self.ix_miss[vname]
            exog_miss = np.require(exog.iloc[ixm, :], requirements="W")
            kwds = self.predict_kwds.get(vname)
            obs_kwds = self._process_kwds(kwds, ixo) if kwds is not None else {}
            miss_kwds = self._process_kwds(kwds, ixm) if kwds is not None else {}
            return endog_obs, exog_obs, exog_miss, obs_kwds, miss_kwds

        def get_fitting_data(self, vname):
            ix = self.ix_obs[vname]
            endog, exog = self._matrices(vname)
            endog = np.require(endog.iloc[ix, 0], requirements="W")
            exog = np.require(exog.iloc[ix, :], requirements="W")
            init_kwds = self._process_kwds(self.init_kwds[vname], ix)
            fit_kwds = self._process_kwds(self.fit_kwds[vname], ix)
            return endog, exog, init_kwds, fit_kwds

    return MainEffectsMICEData


def mice_check(
    fit: Fit,
    data: pd.DataFrame,
    hyps: list[Hypothesis],
    *,
    seed: int,
    imputations: int | None = None,
    burn_in: int | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Refit the headline model on every assessed country.

    Imputing missing covariates by multiple imputation by chained equations (statsmodels MICE,
    predictive mean matching, so an imputed code is always a code some country reported), combined
    by Rubin's rules.

    Parameters
    ----------
    fit : Fit
        The headline OLS fit (complete cases).
    data : DataFrame
        The edition's panel data (all countries).
    hyps : list of Hypothesis
        Hypotheses in the headline model.
    seed : int
        Random seed (the imputations are random draws).

    Returns
    -------
    table : DataFrame
        Per hypothesis: ``id, complete_estimate, complete_low, complete_high, complete_n,
        mice_estimate, mice_low, mice_high, mice_n``.
    imputed : list of str
        ISO3 codes of the countries added back by imputation.
    """
    from statsmodels.imputation import mice

    cfg = spec_config()["mice"]
    imputations = imputations or int(cfg["imputations"])
    burn_in = burn_in or int(cfg["burn_in"])
    spec = fit.spec
    year = spec.years[0]
    rows = data[(data["year"] == year) & data[spec.outcome].notna()]
    frame = pd.DataFrame({"y": rows[spec.outcome].astype(float)})
    formula_terms = []
    for t in spec.terms:
        b = base_variable(t)
        col = _safe(t)
        if t in CATEGORICAL:
            cats = rows[t].astype(str)
            ref = cats.value_counts().sort_index().idxmax()
            for lv in sorted(set(cats) - {ref}):
                dcol = _safe(f"{t}_{lv}")
                frame[dcol] = (cats == lv).astype(float)
                formula_terms.append(dcol)
            continue
        vals = rows[b].astype(float)
        frame[col] = np.log(vals.where(vals > 0)) if t.startswith("log_") else vals
        if t in codes():
            formula_terms.append(f"C({col}, Treatment({codes()[t].reference!r}))")
        else:
            formula_terms.append(col)
    frame.index = rows["iso3"].to_numpy()
    imputed = frame.index[frame.isna().any(axis=1)].tolist()
    # statsmodels >= 0.15 takes a generator; older versions draw from numpy's global one
    own_rng = "rng" in inspect.signature(mice.MICEData).parameters
    state = None if own_rng else np.random.get_state()  # noqa: NPY002
    if not own_rng:
        np.random.seed(seed)  # noqa: NPY002
    try:
        with pywarnings.catch_warnings():
            pywarnings.simplefilter("ignore")
            kw = {"rng": np.random.default_rng(seed)} if own_rng else {}
            imp = _mice_data_class()(frame.reset_index(drop=True), **kw)
            model = mice.MICE(
                "y ~ " + " + ".join(formula_terms),
                sm.OLS,
                imp,
                n_skip=1,
                fit_kwds={"cov_type": "HC3"},
            )
            res = model.fit(n_burnin=burn_in, n_imputations=imputations)
    finally:
        if state is not None:
            np.random.set_state(state)  # noqa: NPY002
    names = list(model.exog_names) if hasattr(model, "exog_names") else None
    params = pd.Series(res.params, index=names or res.model.exog_names)
    bse = pd.Series(res.bse, index=params.index)
    out = []
    for h in hyps:
        c = contrast(fit, h.variable, *h.contrast)
        ref = codes()[h.variable].reference
        key = f"C({_safe(h.variable)}, Treatment({ref!r}))[T.{h.contrast[0]!r}]"
        est = float(params.get(key, np.nan))
        se = float(bse.get(key, np.nan))
        if h.contrast[1] != ref:
            est, se = np.nan, np.nan  # only contrasts with the reference level are compared
        out.append(
            {
                "id": h.id,
                "complete_estimate": c.estimate if c else np.nan,
                "complete_low": c.ci_low if c else np.nan,
                "complete_high": c.ci_high if c else np.nan,
                "complete_n": fit.n,
                "mice_estimate": est,
                "mice_low": est - 1.96 * se,
                "mice_high": est + 1.96 * se,
                "mice_n": len(frame),
            }
        )
    return pd.DataFrame(out), imputed


def names_of(iso3: Iterable[str]) -> list[str]:
    """Country names for ISO3 codes, in the given order."""
    return [display_name(c) for c in iso3]
