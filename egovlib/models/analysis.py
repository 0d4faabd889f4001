"""Notebook 04 in one call: hypotheses, compared models on a common sample, robustness, panels."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..countries import resolve_group
from ..errors import SpecError
from ..panel import (
    VINTAGE_LAG,
    VINTAGE_MAX_AGE,
    Panel,
    build_panel,
    editions,
    load_covariates,
)
from ..vocabulary import INDICES, method_breaks
from .estimation import Fit, ModelResults, fit_spec, model_data, standardised_residuals
from .inference import primary_table
from .robustness import (
    CommonSample,
    add_previous_outcome,
    common_sample,
    curve_summary,
    mice_check,
    specification_curve,
)
from .specs import (
    CATEGORICAL,
    ESTIMATOR_LABELS,
    PREVIOUS_OUTCOME,
    Hypothesis,
    Spec,
    base_variable,
    control_sets,
    default_controls,
    hypotheses,
    near_outcomes,
    refused_terms,
    short_label,
    spec_config,
    term_label,
)

log = logging.getLogger(__name__)

CONTROLS_ONLY = "Controls only"


@dataclass
class Determinants:
    """Everything notebook 04 reports for one edition (numbers only; views turn it into text).

    Attributes
    ----------
    year, outcome, lag, max_age, seed
        The parameters of the run.
    group : list of str
        ISO3 codes of the highlighted group; ``group_name`` names it in prose.
    testable : list of Hypothesis
        Hypotheses whose item has data for this edition; ``untestable`` pairs the others with
        the reason.
    controls : tuple of str
        The control terms of every model (``control_notes``: terms left out, and why).
    data : DataFrame
        The edition's analysis data (`egovlib.build_panel`, default vintage rule).
    panel : Panel
        The panel ``data`` comes from (vintage record in ``panel.ref_years``).
    common : CommonSample
        The sample of every compared column.
    compared : ModelResults
        Controls only, each hypothesis alone, all together (OLS, fractional logit, median).
    headline : Fit
        The model the report's answers come from (all testable hypotheses together, OLS; the
        controls-only model when none is testable).
    bounded : Fit
        The headline model as a fractional logit (bounded 0-1), for residuals.
    primary : DataFrame
        The primary family (`inference.primary_table`).
    residuals : DataFrame
        Standardised residuals of ``bounded`` (`estimation.standardised_residuals`).
    near, near_common, collinearity
        Near-outcome composites, one model each on their own common sample, and how each moves
        with income.
    exploratory : ModelResults
        Secondary models on their own samples.
    curve, curve_notes
        Specification curve rows and the choices left out.
    mice, mice_imputed
        Complete-case vs multiple-imputation estimates and the countries imputed.
    era, era_fit, era_note
        Editions of the outcome's methodology era up to ``year`` and the panel over them.
    two_wave, two_wave_changes
        The hypotheses' panel over two editions (appendix), and how many countries changed code.
    """

    year: int
    outcome: str
    lag: int
    max_age: int | None
    seed: int
    group: list[str]
    group_name: str
    testable: list[Hypothesis]
    untestable: list[tuple[Hypothesis, str]]
    controls: tuple[str, ...]
    control_notes: list[str]
    data: pd.DataFrame
    panel: Panel
    common: CommonSample
    compared: ModelResults
    headline: Fit
    bounded: Fit | None
    primary: pd.DataFrame
    residuals: pd.DataFrame
    near: ModelResults | None = None
    near_common: CommonSample | None = None
    collinearity: pd.DataFrame = field(default_factory=pd.DataFrame)
    near_notes: list[str] = field(default_factory=list)
    exploratory: ModelResults | None = None
    curve: pd.DataFrame | None = None
    curve_notes: list[str] = field(default_factory=list)
    mice: pd.DataFrame | None = None
    mice_imputed: list[str] = field(default_factory=list)
    era: tuple[int, ...] = ()
    era_fit: Fit | None = None
    era_note: str = ""
    two_wave: Fit | None = None
    two_wave_changes: pd.DataFrame = field(default_factory=pd.DataFrame)
    _summary: tuple = field(default=(None, None), repr=False, compare=False)

    @property
    def hypotheses(self) -> tuple[Hypothesis, ...]:
        """Every declared hypothesis."""
        return hypotheses()

    @property
    def curve_rows(self) -> pd.DataFrame:
        """The specification curve (raises if it was not fitted)."""
        if self.curve is None:
            raise SpecError("no specification curve. Fix: run determinants(..., robustness=True)")
        return self.curve

    @property
    def near_sample(self) -> CommonSample:
        """The near-outcome models' common sample (raises if there is none)."""
        if self.near_common is None:
            raise SpecError(f"no near-outcome composite has data for {self.year}")
        return self.near_common

    @property
    def mice_rows(self) -> pd.DataFrame:
        """The multiple-imputation check (raises if it was not run)."""
        if self.mice is None:
            raise SpecError("no multiple imputation. Fix: run determinants(..., robustness=True)")
        return self.mice

    @property
    def curve_summary(self) -> pd.DataFrame:
        """`robustness.curve_summary` of the specification curve (empty without one).

        Computed once per curve (the report reads it a dozen times); a copy is returned.
        """
        if self.curve is None:
            return pd.DataFrame()
        if self._summary[0] is not self.curve:
            self._summary = (self.curve, curve_summary(self.curve))
        return self._summary[1].copy()


def joint_name(hyps: list[Hypothesis], estimator: str = "ols") -> str:
    """Column name of the model with every testable hypothesis, e.g. ``"H1-H3 together, OLS"``."""
    ids = [h.id for h in hyps]
    who = f"{ids[0]}-{ids[-1]}" if len(ids) > 2 else " and ".join(ids)
    return f"{who} together, {ESTIMATOR_LABELS[estimator]}"


def controls_name(estimator: str) -> str:
    """Column name of the controls-only model under another estimator than OLS."""
    return f"{CONTROLS_ONLY}, {ESTIMATOR_LABELS[estimator]}"


def determinants(
    year: int,
    *,
    outcome: str = "osi",
    group: str | Iterable[str] = "GCC",
    group_name: str | None = None,
    lag: int = VINTAGE_LAG,
    max_age: int | None = VINTAGE_MAX_AGE,
    allow_circular: Iterable[str] = (),
    min_obs: int = 30,
    seed: int = 2024,
    robustness: bool = True,
) -> Determinants:
    """Fit everything notebook 04 reports for edition ``year``.

    Parameters
    ----------
    year : int
        Survey edition.
    outcome : str
        UN index to explain (default OSI: schooling and ICT access are inputs of HCI, TII and
        EGDI, so OSI is the index they can be compared with without circularity).
    group : str or list of str
        Country group highlighted in tables, figures and prose (`egovlib.resolve_group`).
    group_name : str, optional
        How the prose names the group; default the group's name or its countries' names.
    lag, max_age : int
        Vintage rule (`egovlib.build_panel`); default the shared rule, which the report states.
        The specification curve varies both.
    allow_circular : list of str
        Terms explicitly allowed although inputs of the outcome (the report says so).
    min_obs : int
        Minimum complete cases of a model.
    seed : int
        Seed of the multiple imputation.
    robustness : bool
        Fit the specification curve and the multiple imputation (the slow parts).

    Returns
    -------
    Determinants
    """
    if outcome not in INDICES:
        raise SpecError(f"outcome {outcome!r} is not a UN index. Fix: one of {', '.join(INDICES)}")
    allow = tuple(allow_circular)
    members = resolve_group(group)
    name = group_name or _group_name(group, members)
    controls, control_notes = _controls(outcome, allow)
    hyps = list(hypotheses())
    # sorted, not set order: the panel's column order (and the tables that follow it) must not
    # depend on the interpreter's hash seed (a naive papermill run gave another row order)
    needed = [
        *[h.variable for h in hyps],
        *sorted({base_variable(t) for ts in control_sets().values() for t in ts}),
        *near_outcomes(),
        *sorted({base_variable(t) for m in spec_config()["exploratory"] for t in m["terms"]}),
    ]
    probe = Spec(name="data", outcome=outcome, controls=controls, years=(year,))
    panel = model_data([probe], lag=lag, max_age=max_age, extra=needed)
    data = panel.data
    testable, untestable = _testable(hyps, data, year, lag, max_age, min_obs)

    regs = tuple(h.variable for h in testable)
    common = common_sample(data, outcome, [*regs, *controls], year)
    base = Spec(
        name=CONTROLS_ONLY,
        outcome=outcome,
        controls=controls,
        years=(year,),
        countries=tuple(common.countries),
        allow_circular=allow,
        min_obs=min_obs,
    )
    specs = [base]
    specs += [base.with_(name=f"{h.id} {h.name}", regressors=(h.variable,)) for h in testable]
    joint = base.with_(regressors=regs) if testable else base
    for est in ("ols", "fraclogit", "median"):
        label = joint_name(testable, est) if testable else controls_name(est)
        if testable or est != "ols":
            specs.append(joint.with_(name=label, estimator=est))
    compared = ModelResults(
        fits=[fit_spec(s, data) for s in specs], focus=list(members), panel=panel
    )
    headline = compared[joint_name(testable) if testable else CONTROLS_ONLY]
    bounded = compared[
        joint_name(testable, "fraclogit") if testable else controls_name("fraclogit")
    ]
    result = Determinants(
        year=int(year),
        outcome=outcome,
        lag=lag,
        max_age=max_age,
        seed=seed,
        group=list(members),
        group_name=name,
        testable=testable,
        untestable=untestable,
        controls=controls,
        control_notes=control_notes,
        data=data,
        panel=panel,
        common=common,
        compared=compared,
        headline=headline,
        bounded=bounded if bounded.ok else None,
        primary=primary_table(headline, testable) if testable else pd.DataFrame(),
        residuals=standardised_residuals(bounded) if bounded.ok else pd.DataFrame(),
    )
    _near_outcomes(result, allow, min_obs)
    result.exploratory = _exploratory(result, allow, min_obs)
    _era_panel(result, allow, min_obs)
    if robustness and testable:
        _robustness(result, allow, min_obs)
    return result


# ------------------------------------------------------------------------------------ pieces


def _group_name(group, members: list[str]) -> str:
    if isinstance(group, str):
        # an acronym reads "the GCC"; a region or income group ("Asia") reads as it is
        return f"the {group}" if group.isupper() else group
    from .diagnostics import display_name

    names = [display_name(c) for c in members]
    if len(names) <= 6:
        return "the group (" + ", ".join(names) + ")"
    return f"the {len(names)}-country group"


def _controls(outcome: str, allow: tuple[str, ...]) -> tuple[tuple[str, ...], list[str]]:
    """The default controls minus any the circularity guard refuses for ``outcome``."""
    ctrl = default_controls()
    refused = refused_terms(outcome, ctrl, allow)
    notes = [
        f"{term_label(t)} is left out of the controls: it feeds the {outcome.upper()}."
        for t in refused
    ]
    return tuple(t for t in ctrl if t not in refused), notes


def _testable(hyps, data, year, lag, max_age, min_obs):
    """Split hypotheses into those with data in the edition and those without (with why)."""
    rows = data[data["year"] == year]
    testable, untestable = [], []
    for h in hyps:
        vals = rows[h.variable].dropna()
        if len(vals) >= min_obs and vals.nunique() >= 2:
            testable.append(h)
            continue
        first = load_covariates([h.variable])["year"].min()
        latest = year - lag
        if np.isfinite(first) and first > latest:
            why = f"its data start in {int(first)}; this edition can use data up to {latest}"
        else:
            why = (
                f"only {len(vals)} countries have a value from {latest - (max_age or 0)} to "
                f"{latest}"
            )
        untestable.append((h, why))
    return testable, untestable


def _near_outcomes(res: Determinants, allow, min_obs) -> None:
    """One model per near-outcome composite (composite + controls) on their common sample."""
    rows = res.data[res.data["year"] == res.year]
    avail, notes = [], []
    for v in near_outcomes():
        if rows[v].notna().sum() < min_obs:
            continue
        if refused_terms(res.outcome, [v], allow):
            notes.append(f"{term_label(v)} is not modelled: it feeds the {res.outcome.upper()}.")
            continue
        avail.append(v)
    res.near_notes = notes
    if not avail:
        return
    common = common_sample(res.data, res.outcome, [*avail, *res.controls], res.year)
    base = Spec(
        name=CONTROLS_ONLY,
        outcome=res.outcome,
        controls=res.controls,
        years=(res.year,),
        countries=tuple(common.countries),
        allow_circular=allow,
        min_obs=min_obs,
    )
    fits = [fit_spec(base, res.data)]
    fits += [fit_spec(base.with_(name=short_label(v), regressors=(v,)), res.data) for v in avail]
    res.near = ModelResults(fits=fits, focus=res.group, panel=res.panel)
    res.near_common = common
    res.collinearity = _collinearity(res.near, avail)


def _collinearity(near: ModelResults, composites: list[str]) -> pd.DataFrame:
    """How each composite moves with income.

    Correlations, VIF, and the income coefficient without and with the composite (same sample).
    """
    base = near[CONTROLS_ONLY]
    income = next((t for t in base.spec.controls if base_variable(t) == "hdr_gnipc"), None)
    rows = []
    for v in composites:
        f = near[short_label(v)]
        if not f.ok:
            continue
        c = f.coefs.set_index("term")
        b = base.coefs.set_index("term")
        vif = f.diagnostics["vif"].set_index("term")["vif"] if f.diagnostics else pd.Series()
        y, X = f.sample()
        x = X[v]
        rows.append(
            {
                "variable": v,
                "r_income": float(np.corrcoef(x, X[income])[0, 1]) if income else np.nan,
                "r_outcome": float(np.corrcoef(x, y)[0, 1]),
                "vif": float(vif.get(v, np.nan)),
                "vif_income": float(vif.get(income, np.nan)) if income else np.nan,
                "income_without": float(b.loc[income, "estimate"]) if income else np.nan,
                "income_with": float(c.loc[income, "estimate"]) if income else np.nan,
                "income_with_low": float(c.loc[income, "ci_low"]) if income else np.nan,
                "income_with_high": float(c.loc[income, "ci_high"]) if income else np.nan,
                "r2_without": base.stats["r2"],
                "r2_with": f.stats["r2"],
                "estimate": float(c.loc[v, "estimate"]),
                "ci_low": float(c.loc[v, "ci_low"]),
                "ci_high": float(c.loc[v, "ci_high"]),
                "n": f.n,
            }
        )
    return pd.DataFrame(rows)


def _exploratory(res: Determinants, allow, min_obs) -> ModelResults | None:
    """Secondary models (`model_specs.yml` ``exploratory``), each on its own sample."""
    fits = []
    for m in spec_config()["exploratory"]:
        terms = [t for t in m["terms"] if t not in refused_terms(res.outcome, [t], allow)]
        terms = [t for t in terms if res.data.loc[res.data["year"] == res.year, t].notna().any()]
        if not terms:
            continue
        spec = Spec(
            name=m["name"],
            outcome=res.outcome,
            regressors=tuple(terms),
            controls=res.controls,
            years=(res.year,),
            allow_circular=allow,
            min_obs=min_obs,
        )
        fits.append(fit_spec(spec, res.data))
    return ModelResults(fits=fits, focus=res.group, panel=res.panel) if fits else None


def era_editions(year: int, outcome: str) -> tuple[int, ...]:
    """Editions up to ``year`` in the same methodology era of ``outcome``.

    No method break between them (`egovlib.vocabulary.method_breaks`).
    """
    start = max([b for b in method_breaks(outcome) if b <= year], default=min(editions()))
    return tuple(e for e in editions() if start <= e <= year)


def _era_panel(res: Determinants, allow, min_obs) -> None:
    """Panel over the outcome's methodology era with the outcome standardised per edition."""
    cfg = spec_config()["panel"]
    era = era_editions(res.year, res.outcome)
    res.era = era
    if len(era) < int(cfg["min_editions"]):
        res.era_note = (
            f"The {res.outcome.upper()} methodology era that contains {res.year} has "
            f"{len(era)} edition(s) up to {res.year} ({', '.join(map(str, era))}); a panel needs "
            f"at least {cfg['min_editions']}, so none is fitted."
        )
    else:
        terms = [t for t in cfg["terms"] if t not in refused_terms(res.outcome, [t], allow)]
        spec = Spec(
            name=cfg["name"],
            outcome=res.outcome,
            regressors=tuple(terms),
            years=era,
            estimator="panel_fe",
            standardise=True,
            allow_circular=allow,
            min_obs=min_obs,
        )
        pdata = build_panel(list(era), covariates=_covs(spec), lag=res.lag, max_age=res.max_age)
        res.era_fit = fit_spec(spec, pdata.data)
    _two_wave(res, allow, min_obs)


def _covs(spec: Spec) -> list[str]:
    return [base_variable(t) for t in spec.terms if t not in CATEGORICAL]


def _two_wave(res: Determinants, allow, min_obs) -> None:
    """The hypotheses' items over the editions of the era where all of them have data."""
    if not res.testable:
        return
    terms = [h.variable for h in res.testable]
    income = [t for t in res.controls if base_variable(t) == "hdr_gnipc"]
    pdata = build_panel(
        list(res.era), covariates=[*terms, "hdr_gnipc"], lag=res.lag, max_age=res.max_age
    ).data
    have = pdata.groupby("year")[terms].count().min(axis=1)
    waves = tuple(int(y) for y, n in have.items() if n >= min_obs)
    if len(waves) < 2:
        return
    spec = Spec(
        name="Change in the items",
        outcome=res.outcome,
        regressors=tuple(terms),
        controls=tuple(income),
        years=waves,
        estimator="panel_fe",
        standardise=True,
        allow_circular=allow,
        min_obs=min_obs,
    )
    res.two_wave = fit_spec(spec, pdata)
    first, last = pdata[pdata["year"] == waves[0]], pdata[pdata["year"] == waves[-1]]
    both = first[["iso3", *terms]].merge(
        last[["iso3", *terms]], on="iso3", suffixes=("_a", "_b"), how="inner"
    )
    rows = []
    for t in terms:
        a, b = both[f"{t}_a"], both[f"{t}_b"]
        ok = a.notna() & b.notna()
        rows.append(
            {
                "variable": t,
                "countries": int(ok.sum()),
                "up": int((b[ok] > a[ok]).sum()),
                "down": int((b[ok] < a[ok]).sum()),
            }
        )
    res.two_wave_changes = pd.DataFrame(rows)


def _robustness(res: Determinants, allow, min_obs) -> None:
    """Specification curve and multiple imputation of the headline model."""
    cfg = spec_config()["spec_curve"]
    covs = sorted(
        {h.variable for h in res.testable}
        | {base_variable(t) for ts in control_sets().values() for t in ts if t not in CATEGORICAL}
    )
    covs = [c for c in covs if c != PREVIOUS_OUTCOME]  # not a covariate: added below
    panels = {
        lag: build_panel([res.year], covariates=covs, lag=lag, max_age=None) for lag in cfg["lags"]
    }
    for p in panels.values():
        p.data, prev_note = add_previous_outcome(p.data, res.outcome, res.year)
    label = next((k for k, v in control_sets().items() if tuple(v) == res.controls), None)
    default = {
        "controls": label,
        "lag": res.lag,
        "max_age": res.max_age,
        "estimator": "ols",
        "sample": "all countries",
        "model": "together" if len(res.testable) > 1 else "one at a time",
    }
    res.curve, res.curve_notes = specification_curve(
        panels,
        res.testable,
        year=res.year,
        outcome=res.outcome,
        group=res.group,
        default=default,
        allow_circular=allow,
        min_obs=min_obs,
    )
    if prev_note:
        res.curve_notes.append(prev_note)
    res.mice, res.mice_imputed = mice_check(res.headline, res.data, res.testable, seed=res.seed)
