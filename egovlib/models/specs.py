"""Regression specs as data: the `Spec` dataclass, named variable sets and the circularity guard."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

import yaml

from .. import config
from ..errors import SpecError
from ..vocabulary import INDICES, SHORT_LABELS

SPECS_PATH = config.PACKAGE_DIR / "model_specs.yml"

#: UN indices available as outcomes (columns of `load_egdi_panel`).
#: Components of each UN index in the UN method (EGDI = mean of OSI, HCI and TII).
INDEX_COMPONENTS: dict[str, tuple[str, ...]] = {"egdi": ("osi", "hci", "tii")}
#: Categorical columns of the EGDI panel, entered as dummies.
CATEGORICAL = ("region", "income_group")
ESTIMATORS = ("ols", "fraclogit", "median", "panel_fe")
#: Covariance type per estimator (the only ones implemented; see `estimation`).
DEFAULT_COV = {"ols": "HC3", "fraclogit": "HC0", "median": "robust", "panel_fe": "clustered"}
ESTIMATOR_LABELS = {
    "ols": "OLS",
    "fraclogit": "Fractional logit (AME)",
    "median": "Median regression",
    "panel_fe": "Panel FE (country + year)",
}


@dataclass(frozen=True)
class Spec:
    """One regression: outcome, regressors, controls, sample rule, estimator and covariance.

    Attributes
    ----------
    name : str
        Column title in tables, e.g. ``"Education"``.
    outcome : str
        A UN index: ``egdi, osi, hci, tii`` or ``epi``.
    regressors : tuple of str
        Main terms (their effects are described in the report): covariate names,
        ``log_<covariate>``, UN index columns or categorical columns.
    controls : tuple of str
        Control terms (shown in tables, not described in the prose).
    years : tuple of int
        Survey editions: exactly one for a cross-section, two or more for ``panel_fe``.
    estimator : str
        ``ols`` (HC3 errors), ``fraclogit`` (GLM binomial with logit link, robust errors,
        average marginal effects), ``median`` (quantile regression at 0.5) or ``panel_fe``
        (linearmodels PanelOLS, country and year effects, errors clustered by country).
    cov_type : str
        Covariance type; default per estimator (`DEFAULT_COV`).
    sample : str, optional
        Country group the sample is restricted to (anything `egovlib.resolve_group` accepts:
        a region, an income group, ``"GCC"``); None = all 193 UN members.
    min_obs : int
        Fewer complete cases than this (or than regressors + 10) and the spec is skipped with a
        message instead of fitted.
    allow_circular : tuple of str
        Terms the user explicitly allows although they are inputs of the outcome index; the
        report states the override.
    """

    name: str
    outcome: str = "osi"
    regressors: tuple[str, ...] = ()
    controls: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    estimator: str = "ols"
    cov_type: str = ""
    sample: str | None = None
    min_obs: int = 30
    allow_circular: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self):
        for attr in ("regressors", "controls", "years", "allow_circular", "notes"):
            val = getattr(self, attr)
            if isinstance(val, str | int):
                val = (val,)
            object.__setattr__(self, attr, tuple(val))
        object.__setattr__(self, "years", tuple(int(y) for y in self.years))
        if not self.cov_type:
            object.__setattr__(self, "cov_type", DEFAULT_COV.get(self.estimator, ""))
        if self.outcome not in INDICES:
            raise SpecError(
                f"spec {self.name!r}: outcome {self.outcome!r} is not a UN index; "
                f"choose one of {', '.join(INDICES)}"
            )
        if self.estimator not in ESTIMATORS:
            raise SpecError(
                f"spec {self.name!r}: estimator {self.estimator!r} unknown; "
                f"choose one of {', '.join(ESTIMATORS)}"
            )
        if self.cov_type != DEFAULT_COV[self.estimator]:
            raise SpecError(
                f"spec {self.name!r}: cov_type {self.cov_type!r} is not implemented "
                f"for {self.estimator}; use {DEFAULT_COV[self.estimator]!r}"
            )
        dup = sorted({t for t in self.terms if self.terms.count(t) > 1})
        if dup:
            raise SpecError(
                f"spec {self.name!r}: term(s) {dup} listed twice (regressors + controls)"
            )

    @property
    def terms(self) -> tuple[str, ...]:
        """Regressors then controls."""
        return self.regressors + self.controls

    def with_(self, **changes: Any) -> Spec:
        """A copy with some fields changed (specs are frozen)."""
        return replace(self, **changes)

    def without(self, terms: list[str] | tuple[str, ...], note: str) -> Spec:
        """A copy without ``terms`` (from regressors and controls), ``note`` saying why."""
        return self.with_(
            regressors=tuple(t for t in self.regressors if t not in terms),
            controls=tuple(t for t in self.controls if t not in terms),
            notes=(*self.notes, note),
        )


@cache
def spec_config() -> dict:
    """The parsed `model_specs.yml` (variable sets, reverse-circularity map, default specs)."""
    return yaml.safe_load(SPECS_PATH.read_text(encoding="utf-8"))


def variable_sets() -> dict[str, tuple[str, ...]]:
    """Named variable sets: name -> terms (from `model_specs.yml`)."""
    return {k: tuple(v["terms"]) for k, v in spec_config()["variable_sets"].items()}


def set_label(name: str) -> str:
    """Human label of a variable set."""
    return spec_config()["variable_sets"][name].get("label", name)


def expand_terms(items: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Replace variable-set names by their terms (order kept, duplicates removed)."""
    sets = variable_sets()
    out: list[str] = []
    for item in items:
        for term in sets.get(item, (item,)):
            if term not in out:
                out.append(term)
    return tuple(out)


def base_variable(term: str) -> str:
    """The covariate behind a term: ``log_gdp_pc_ppp`` -> ``gdp_pc_ppp``."""
    return term[4:] if term.startswith("log_") else term


def variable_meta() -> dict:
    """Covariate metadata: `egovlib.panel.covariate_catalogue` (reader and derived variables)."""
    from ..panel import covariate_catalogue

    return covariate_catalogue()


def term_label(term: str) -> str:
    """Human label of a term for tables and axes."""

    if term in INDICES:
        return SHORT_LABELS[term]
    if term in CATEGORICAL:
        return term.replace("_", " ").capitalize()
    meta = variable_meta()
    base = base_variable(term)
    label = meta[base].label if base in meta else base
    return f"log {label}" if term.startswith("log_") else label


def term_unit(term: str) -> str:
    """Unit of a term (``log`` for logged terms)."""
    meta = variable_meta()
    base = base_variable(term)
    if term.startswith("log_"):
        return f"log of {meta[base].unit}" if base in meta else "log"
    return meta[base].unit if base in meta else ""


def check_terms(spec: Spec, available: set[str] | None = None) -> None:
    """Raise `SpecError` for a term that is neither a covariate, a log covariate, an index nor a
    categorical column, naming the known covariates."""
    meta = set(variable_meta()) if available is None else set(available)
    bad = [
        t
        for t in spec.terms
        if t not in INDICES and t not in CATEGORICAL and base_variable(t) not in meta
    ]
    if bad:
        raise SpecError(
            f"spec {spec.name!r}: unknown term(s) {bad}. A term is a covariate from "
            f"egovlib.variables() (known now: {', '.join(sorted(meta)) or 'none'}), 'log_' + a "
            f"covariate, a UN index ({', '.join(INDICES)}) or one of {', '.join(CATEGORICAL)}."
        )


def circularity(spec: Spec) -> tuple[list[str], list[str]]:
    """Apply the circularity guard to a spec.

    Rules (the outcome is a UN index ``Y``):

    1. ``Y`` itself as a regressor is refused (no override).
    2. A term that is an input of ``Y`` is refused unless listed in ``spec.allow_circular``:
       a UN index that is a component of ``Y`` (OSI, HCI, TII for EGDI), a composite index that
       contains ``Y`` (EGDI when ``Y`` is OSI, HCI or TII), or a covariate whose
       ``Variable.inputs_of`` lists ``Y`` (schooling for HCI and EGDI, internet users for TII
       and EGDI). Allowed overrides are returned as warnings that the report shows.
    3. Reverse circularity: a composite indicator built partly from ``Y`` (Oxford GAIRI and
       GTMI group scores use UN OSI/TII; `model_specs.yml` lists them with the evidence) is not
       refused but flagged with a warning, because ``Y`` is one of many inputs.
    4. EPI and OSI both come from the UN Online Services Questionnaire: flagged as a warning.

    Returns
    -------
    refusals, warnings : list of str
        ``refusals`` non-empty means the spec must not be fitted; each entry explains why.
    """
    y = spec.outcome
    meta = variable_meta()
    reverse = spec_config().get("built_from_un_indices", {})
    refusals: list[str] = []
    warnings: list[str] = []
    for term in spec.terms:
        base = base_variable(term)
        if term == y:
            refusals.append(
                f"`{term}` is the outcome itself; it cannot explain itself (no override possible)."
            )
            continue
        reason = None
        if term in INDICES:
            if term in INDEX_COMPONENTS.get(y, ()):
                reason = (
                    f"{term.upper()} is a component of {y.upper()} "
                    f"({y.upper()} = mean of OSI, HCI and TII)"
                )
            elif y in INDEX_COMPONENTS.get(term, ()):
                reason = f"{term.upper()} contains {y.upper()} as one of its three components"
            elif {term, y} == {"osi", "epi"}:
                warnings.append(
                    "EPI and OSI are both scored from the UN Online Services "
                    "Questionnaire; their association is partly shared measurement."
                )
        elif base in meta and y in meta[base].inputs_of:
            reason = (
                f"{meta[base].label} (`{base}`) is an input of {y.upper()} in the UN method "
                f"(inputs_of = {', '.join(meta[base].inputs_of)})"
            )
        if reason:
            if term in spec.allow_circular or base in spec.allow_circular:
                warnings.append(
                    f"CIRCULARITY OVERRIDE: {reason}; kept because the user allowed "
                    f"`{term}` explicitly. Its coefficient partly measures the "
                    "index formula, not a determinant."
                )
            else:
                refusals.append(
                    f"{reason}: regressing {y.upper()} on it would partly regress the "
                    f"index on itself. Drop `{term}` or pass it in allow_circular "
                    "to override (the report will say so)."
                )
        if base in reverse and y in reverse[base]["indices"] and not reason:
            warnings.append(
                f"Reverse circularity: `{base}` is built partly from {y.upper()} "
                f"({reverse[base]['evidence']}); part of its association with "
                f"{y.upper()} is mechanical."
            )
    return refusals, warnings


def check_circularity(spec: Spec) -> list[str]:
    """Raise `SpecError` if the guard refuses ``spec``; otherwise return its warnings."""
    refusals, warnings = circularity(spec)
    if refusals:
        raise SpecError(
            f"spec {spec.name!r} ({spec.outcome.upper()} ~ "
            f"{' + '.join(spec.terms)}) refused:\n  - " + "\n  - ".join(refusals)
        )
    return warnings


def default_specs(
    year: int,
    *,
    outcome: str = "osi",
    sets: tuple[str, ...] | list[str] = ("education", "cloud_id", "ai"),
    controls: str | tuple[str, ...] | list[str] = "controls",
    estimators: tuple[str, ...] | list[str] = ("ols", "fraclogit", "median"),
    allow_circular: tuple[str, ...] | list[str] = (),
    min_obs: int = 30,
) -> list[Spec]:
    """The default cross-section specs for one edition.

    A controls-only baseline, one OLS spec per chosen variable set, then all chosen sets
    together under each estimator in ``estimators`` (OLS, fractional logit, median).

    Parameters
    ----------
    year : int
        Survey edition.
    outcome : str
        UN index to explain (default OSI: schooling and ICT access are inputs of HCI, TII
        and EGDI, so OSI is the outcome they can explain without circularity).
    sets : list of str
        Names of variable sets (`variable_sets()`), e.g. ``education``, ``cloud_id``, ``ai``.
    controls : str or list of str
        A variable-set name or a list of control terms.
    estimators : list of str
        Estimators for the combined spec.
    allow_circular : list of str
        Terms explicitly allowed although they are inputs of the outcome.
    min_obs : int
        Minimum complete cases per spec.
    """
    known = variable_sets()
    unknown = [s for s in sets if s not in known]
    if unknown:
        raise SpecError(
            f"unknown variable set(s) {unknown}; known: {', '.join(known)} "
            f"(edit {SPECS_PATH.name} to add one)"
        )
    ctrl = expand_terms([controls] if isinstance(controls, str) else list(controls))
    cfg = spec_config()["cross_section"]
    common = dict(
        outcome=outcome, years=(int(year),), allow_circular=tuple(allow_circular), min_obs=min_obs
    )
    specs = [
        Spec(
            name=cfg["baseline"]["name"],
            estimator=cfg["baseline"]["estimator"],
            controls=ctrl,
            **common,
        )
    ]
    for s in sets:
        specs.append(
            Spec(
                name=set_label(s),
                regressors=expand_terms([s]),
                estimator=cfg["per_set"]["estimator"],
                controls=ctrl,
                **common,
            )
        )
    if len(sets) > 1:
        every = expand_terms(list(sets))
        for est in estimators:
            specs.append(
                Spec(
                    name=f"{cfg['combined']['name']} ({ESTIMATOR_LABELS[est]})",
                    regressors=every,
                    estimator=est,
                    controls=ctrl,
                    **common,
                )
            )
    elif len(sets) == 1:
        for est in estimators:
            if est != "ols":
                specs.append(
                    Spec(
                        name=f"{set_label(sets[0])} ({ESTIMATOR_LABELS[est]})",
                        regressors=expand_terms(list(sets)),
                        estimator=est,
                        controls=ctrl,
                        **common,
                    )
                )
    return [without_refused_terms(s) for s in specs]


def without_refused_terms(spec: Spec) -> Spec:
    """The spec minus the terms the circularity guard refuses, each removal stated in
    ``spec.notes`` (used for the default specs built from variable sets; a hand-written spec
    is refused as a whole instead)."""
    keep_r, keep_c, notes = [], [], list(spec.notes)
    for term in spec.terms:
        refusals, _ = circularity(
            Spec(
                name=spec.name,
                outcome=spec.outcome,
                regressors=(term,),
                allow_circular=spec.allow_circular,
            )
        )
        if refusals:
            notes.append(f"`{term}` left out by the circularity guard: {refusals[0]}")
        else:
            (keep_r if term in spec.regressors else keep_c).append(term)
    if len(notes) == len(spec.notes):
        return spec
    return spec.with_(regressors=tuple(keep_r), controls=tuple(keep_c), notes=tuple(notes))


def default_panel_specs(
    years: tuple[int, ...] | list[int],
    *,
    outcome: str = "osi",
    allow_circular: tuple[str, ...] | list[str] = (),
    min_obs: int = 30,
) -> list[Spec]:
    """The default panel specs (country and year effects) over the given editions."""
    out = []
    for item in spec_config()["panel"]:
        terms = expand_terms(item["terms"])
        main = tuple(item.get("main", terms))
        out.append(
            without_refused_terms(
                Spec(
                    name=item["name"],
                    outcome=outcome,
                    years=tuple(years),
                    regressors=main,
                    controls=tuple(t for t in terms if t not in main),
                    estimator="panel_fe",
                    allow_circular=tuple(allow_circular),
                    min_obs=min_obs,
                )
            )
        )
    return out
