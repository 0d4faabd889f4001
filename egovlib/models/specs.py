"""Regression specs as data: the `Spec` dataclass, hypotheses, codings and the two guards."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from .. import config
from ..errors import SpecError
from ..vocabulary import INDICES, SHORT_LABELS
from ..yamltext import parse_yaml

SPECS_PATH = config.PACKAGE_DIR / "model_specs.yml"

#: Components of each UN index in the UN method (EGDI = mean of OSI, HCI and TII).
INDEX_COMPONENTS: dict[str, tuple[str, ...]] = {"egdi": ("osi", "hci", "tii")}
#: Categorical columns of the EGDI panel, entered as dummies (largest group = reference).
CATEGORICAL = ("region", "income_group")
ESTIMATORS = ("ols", "fraclogit", "median", "panel_fe")
#: A control term: the outcome index in the previous survey edition (a lagged outcome; the
#: specification curve adds the column, see `robustness.add_previous_outcome`).
PREVIOUS_OUTCOME = "previous_outcome"
#: Covariance type per estimator (the only ones implemented; see `estimation`).
DEFAULT_COV = {"ols": "HC3", "fraclogit": "HC0", "median": "robust", "panel_fe": "clustered"}
ESTIMATOR_LABELS = {
    "ols": "OLS",
    "fraclogit": "Fractional logit (AME)",
    "median": "Median regression",
    "panel_fe": "Panel (country and year effects)",
}


@dataclass(frozen=True)
class Spec:
    """One regression: outcome, regressors, controls, sample rule, estimator and covariance.

    Attributes
    ----------
    name : str
        Column title in tables, e.g. ``"Government cloud"``.
    outcome : str
        A UN index: ``egdi, osi, hci, tii`` or ``epi``.
    regressors : tuple of str
        Main terms (their effects are described in the report): covariate names,
        ``log_<covariate>``, UN index columns or categorical columns. Coded covariates
        (`codes`) enter as dummies.
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
        Country group the sample is restricted to (anything `egovlib.resolve_group` accepts);
        None = all 193 UN members.
    countries : tuple of str, optional
        Explicit sample (ISO3 codes), e.g. a common sample shared by compared columns; None =
        every country with complete data.
    min_obs : int
        Fewer complete cases than this (or than coefficients + 10) and the spec is skipped
        with a message instead of fitted.
    allow_circular : tuple of str
        Terms the user explicitly allows although they are inputs of the outcome index; the
        report states the override.
    standardise : bool
        Standardise the outcome within each edition (z-score over the assessed countries in
        the data) before fitting: for panels over editions, whose scores are re-normalised in
        every edition.
    """

    name: str
    outcome: str = "osi"
    regressors: tuple[str, ...] = ()
    controls: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    estimator: str = "ols"
    cov_type: str = ""
    sample: str | None = None
    countries: tuple[str, ...] | None = None
    min_obs: int = 30
    allow_circular: tuple[str, ...] = ()
    standardise: bool = False
    notes: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self):
        for attr in ("regressors", "controls", "years", "allow_circular", "notes"):
            val = getattr(self, attr)
            if isinstance(val, str | int):
                val = (val,)
            object.__setattr__(self, attr, tuple(val))
        if self.countries is not None:
            object.__setattr__(self, "countries", tuple(self.countries))
        object.__setattr__(self, "years", tuple(int(y) for y in self.years))
        if not self.cov_type:
            object.__setattr__(self, "cov_type", DEFAULT_COV.get(self.estimator, ""))
        if self.outcome not in INDICES:
            raise SpecError(
                f"spec {self.name!r}: outcome {self.outcome!r} is not a UN index. Fix: choose "
                f"one of {', '.join(INDICES)}"
            )
        if self.estimator not in ESTIMATORS:
            raise SpecError(
                f"spec {self.name!r}: estimator {self.estimator!r} unknown. Fix: choose one of "
                f"{', '.join(ESTIMATORS)}"
            )
        if self.cov_type != DEFAULT_COV[self.estimator]:
            raise SpecError(
                f"spec {self.name!r}: cov_type {self.cov_type!r} is not implemented for "
                f"{self.estimator}. Fix: use {DEFAULT_COV[self.estimator]!r}"
            )
        dup = sorted({t for t in self.terms if self.terms.count(t) > 1})
        if dup:
            raise SpecError(
                f"spec {self.name!r}: term(s) {dup} listed twice (regressors + controls). "
                "Fix: list each term once"
            )

    @property
    def terms(self) -> tuple[str, ...]:
        """Regressors then controls."""
        return self.regressors + self.controls

    def with_(self, **changes: Any) -> Spec:
        """A copy with some fields changed (specs are frozen).

        A new estimator gets its own default covariance unless ``cov_type`` is given too.
        """
        if "estimator" in changes and "cov_type" not in changes:
            changes["cov_type"] = ""
        return replace(self, **changes)

    def without(self, terms: list[str] | tuple[str, ...], note: str) -> Spec:
        """A copy without ``terms`` (from regressors and controls), ``note`` saying why."""
        return self.with_(
            regressors=tuple(t for t in self.regressors if t not in terms),
            controls=tuple(t for t in self.controls if t not in terms),
            notes=(*self.notes, note),
        )


# ----------------------------------------------------------------------------- configuration


@cache
def spec_config() -> dict:
    """The parsed `model_specs.yml` (hypotheses, codes, controls, curve, panels, guards)."""
    return parse_yaml(SPECS_PATH.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Coding:
    """How a coded covariate enters a model: one dummy per level against ``reference``.

    Attributes
    ----------
    levels : dict
        Code -> words, e.g. ``{0: "none", 1: "partial", 2: "operational"}``.
    reference : float
        The level every other level is compared with.
    phrases : dict
        Code -> words after "countries reporting", e.g. ``{2: "an operational government
        cloud"}``; default the level's word.
    """

    levels: dict
    reference: float
    phrases: dict = field(default_factory=dict)

    def phrase(self, code: float) -> str:
        """Words for a code after "countries reporting" (`phrases`, else `word`)."""
        return str(self.phrases.get(float(code), self.word(code)))

    def word(self, code: float) -> str:
        """The words for a code (the code itself if undocumented)."""
        for k, v in self.levels.items():
            if math.isclose(float(k), float(code)):
                return str(v)
        return f"{code:g}"


@cache
def codes() -> dict[str, Coding]:
    """Coded covariates (`model_specs.yml` ``codes``): name -> `Coding`."""
    out = {}
    for name, c in spec_config()["codes"].items():
        levels = {float(k): str(v) for k, v in c["levels"].items()}
        ref = float(c["reference"])
        if ref not in levels:
            raise SpecError(
                f"{SPECS_PATH.name}: codes.{name}.reference = {c['reference']} is not one of "
                f"its levels {list(levels)}. Fix: name one of the levels"
            )
        phrases = {float(k): str(v) for k, v in (c.get("phrases") or {}).items()}
        out[name] = Coding(levels=levels, reference=ref, phrases=phrases)
    return out


def is_dummy_coded(term: str) -> bool:
    """True for terms that enter as dummies (panel categories and coded covariates)."""
    return term in CATEGORICAL or term in codes()


@dataclass(frozen=True)
class Hypothesis:
    """One primary hypothesis: a coded item and the contrast that answers it.

    Attributes
    ----------
    id, name, question : str
        ``"H1"``, ``"Government cloud"``, the question in words.
    variable : str
        The coded covariate (`codes`).
    contrast : tuple of float
        ``(high, low)`` levels: the effect is the difference high minus low.
    measures, cannot_measure : str
        What the item measures, and what it cannot.
    proxy_note : str
        One sentence a headline about this item must carry when the item is a weak or
        ambiguous proxy for the question ("" when it is not).
    self_reported : bool
        True if governments answer the item themselves ("countries reporting ..."); False for
        desk research by the publisher ("countries coded as having ...").
    """

    id: str
    name: str
    question: str
    variable: str
    contrast: tuple[float, float]
    measures: str
    cannot_measure: str
    proxy_note: str = ""
    self_reported: bool = True

    @property
    def reporting(self) -> str:
        """Words before a code phrase: ``"reporting"`` or ``"coded as having"``."""
        return "reporting" if self.self_reported else "coded as having"

    def verb(self, n: int) -> str:
        """Verb for ``n`` countries and a code phrase: ``"reports"``, ``"are coded as having"``."""
        if self.self_reported:
            return "reports" if n == 1 else "report"
        return ("is" if n == 1 else "are") + " coded as having"

    @property
    def contrast_words(self) -> str:
        """E.g. ``"operational vs none"``."""
        c = codes()[self.variable]
        return f"{c.word(self.contrast[0])} vs {c.word(self.contrast[1])}"

    @property
    def top_level(self) -> float:
        """The highest code of the item (its ceiling)."""
        return max(codes()[self.variable].levels)


@cache
def hypotheses() -> tuple[Hypothesis, ...]:
    """The primary hypotheses (`model_specs.yml` ``hypotheses``), checked against `codes`."""
    out = []
    for h in spec_config()["hypotheses"]:
        var = h["variable"]
        if var not in codes():
            raise SpecError(
                f"{SPECS_PATH.name}: hypothesis {h['id']} uses {var!r}, which has no entry "
                "under `codes:`. Fix: declare its levels and reference level"
            )
        pair = [float(x) for x in h["contrast"]]
        bad = [x for x in pair if x not in codes()[var].levels]
        if len(pair) != 2 or bad:
            raise SpecError(
                f"{SPECS_PATH.name}: hypothesis {h['id']} contrast {h['contrast']} must be two "
                f"levels of {var} ({list(codes()[var].levels)}). Fix: e.g. [2, 0]"
            )
        out.append(
            Hypothesis(
                id=h["id"],
                name=h["name"],
                question=" ".join(h["question"].split()),
                variable=var,
                contrast=(pair[0], pair[1]),
                measures=" ".join(h["measures"].split()),
                cannot_measure=" ".join(h["cannot_measure"].split()),
                proxy_note=" ".join(h.get("proxy_note", "").split()),
                self_reported=bool(h.get("self_reported", True)),
            )
        )
    return tuple(out)


def primary_family() -> tuple[str, float]:
    """The multiplicity adjustment of the primary family and its level: (``holm|bh``, alpha)."""
    cfg = spec_config()["primary_family"]
    if cfg["adjust"] not in ("holm", "bh"):
        raise SpecError(
            f"{SPECS_PATH.name}: primary_family.adjust = {cfg['adjust']!r}. Fix: holm or bh"
        )
    return cfg["adjust"], float(cfg["alpha"])


def default_controls() -> tuple[str, ...]:
    """The control terms used in every edition."""
    return tuple(spec_config()["controls"])


def control_sets() -> dict[str, tuple[str, ...]]:
    """Alternative control sets of the specification curve: label -> terms."""
    return {k: tuple(v) for k, v in spec_config()["control_sets"].items()}


def near_outcomes() -> tuple[str, ...]:
    """Near-outcome composites, reported apart from the headline model."""
    return tuple(spec_config()["near_outcomes"])


# ----------------------------------------------------------------------------------- labels


def base_variable(term: str) -> str:
    """The covariate behind a term: ``log_gdp_pc_ppp`` -> ``gdp_pc_ppp``."""
    return term[4:] if term.startswith("log_") else term


@cache
def variable_meta() -> dict:
    """Covariate metadata: `egovlib.panel.covariate_catalogue` (reader and derived variables)."""
    from ..panel import covariate_catalogue

    return covariate_catalogue()


@cache
def short_label(term: str) -> str:
    """Short name of a term for prose: ``"government cloud"``, ``"log GNI per capita"``."""
    if term in INDICES:
        return SHORT_LABELS[term]
    if term in CATEGORICAL:
        return term.replace("_", " ")
    base = base_variable(term)
    short = spec_config().get("short_labels", {}).get(base)
    if short is None:
        meta = variable_meta()
        short = meta[base].label if base in meta else base
    return f"log {short}" if term.startswith("log_") else short


def term_label(term: str) -> str:
    """Label of a term for tables and axes (capitalised `short_label`, "e-ID" kept)."""
    text = short_label(term)
    return text if text[1:2] == "-" else text[:1].upper() + text[1:]


@cache
def term_unit(term: str) -> str:
    """Unit of a term (``log`` for logged terms)."""
    meta = variable_meta()
    base = base_variable(term)
    if term.startswith("log_"):
        return f"log of {meta[base].unit}" if base in meta else "log"
    return meta[base].unit if base in meta else ""


def effect_step(term: str) -> tuple[float, str]:
    """How a continuous term's effect is read: (multiplier of the coefficient, words).

    Logged terms per doubling (``log(2)``), others per `model_specs.yml` ``steps`` (default one
    unit): e.g. ``(10, "+10 on Government AI Readiness Index (GAIRI) (score 0-100)")``.
    """
    if term.startswith("log_"):
        return math.log(2), f"a doubling of {short_label(base_variable(term))}"
    step = float(spec_config().get("steps", {}).get(term, 1))
    unit, short = term_unit(term), short_label(term)
    return step, f"+{step:g} on {short}" + (f" ({unit})" if unit and unit not in short else "")


# ------------------------------------------------------------------------------------ guards


def check_terms(spec: Spec, available: set[str] | None = None) -> None:
    """Raise `SpecError` for a term that is not a known column.

    Known: a covariate, a log covariate, an index or a categorical column; the error names the
    known covariates.
    """
    meta = set(variable_meta()) if available is None else set(available)
    bad = [
        t
        for t in spec.terms
        if t not in INDICES
        and t not in CATEGORICAL
        and t != PREVIOUS_OUTCOME
        and base_variable(t) not in meta
    ]
    if bad:
        raise SpecError(
            f"spec {spec.name!r}: unknown term(s) {bad}. A term is a covariate from "
            f"egovlib.variables() (known now: {', '.join(sorted(meta)) or 'none'}), 'log_' + a "
            f"covariate, a UN index ({', '.join(INDICES)}) or one of {', '.join(CATEGORICAL)}."
        )


@cache
def built_from(variable: str) -> frozenset[str]:
    """Every covariate a composite is built from, directly or through its sub-indices.

    `Variable.components` in the covariate catalogue; empty for an item.
    """
    meta = variable_meta()
    out: set[str] = set()
    todo = list(meta[variable].components) if variable in meta else []
    while todo:
        v = todo.pop()
        if v not in out:
            out.add(v)
            todo.extend(meta[v].components if v in meta else ())
    return frozenset(out)


def aggregate_conflicts(spec: Spec) -> list[str]:
    """The aggregate/item guard: pairs of terms where one composite is built from the other.

    A composite beside one of its own items (the GTMI CGSI with government cloud, the GAIRI
    total with its Vision dimension) cannot be interpreted: "cloud holding cloud-inclusive CGSI
    fixed" is not a question. Items and aggregates go in separate models. No override.

    Returns
    -------
    list of str
        One refusal per conflicting pair; empty if the spec is clean.
    """
    bases = list(dict.fromkeys(base_variable(t) for t in spec.terms))
    out = []
    for agg in bases:
        inside = built_from(agg)
        for item in bases:
            if item != agg and item in inside:
                out.append(
                    f"{term_label(agg)} is built from {short_label(item)} (declared in the "
                    "covariate catalogue), so a model holding both asks for the effect of "
                    f"{short_label(item)} with an index that contains it held fixed. Fix: put "
                    "the composite and its items in separate models"
                )
    return out


def _input_of_outcome(term: str, y: str, meta: dict) -> str | None:
    """Why ``term`` is an input of the outcome ``y`` in the UN method (rule 2), else None."""
    base = base_variable(term)
    if term in INDICES:
        if term in INDEX_COMPONENTS.get(y, ()):
            return (
                f"{term.upper()} is a component of {y.upper()} "
                f"({y.upper()} = mean of OSI, HCI and TII)"
            )
        if y in INDEX_COMPONENTS.get(term, ()):
            return f"{term.upper()} contains {y.upper()} as one of its three components"
        return None
    if base in meta and y in meta[base].inputs_of:
        return (
            f"{term_label(base)} is an input of {y.upper()} in the UN method (it feeds "
            + " and ".join(i.upper() for i in meta[base].inputs_of)
            + ")"
        )
    return None


def circularity(spec: Spec) -> tuple[list[str], list[str]]:
    """Apply the circularity guard and the aggregate/item guard to a spec.

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
    5. A composite beside one of its own components is refused (`aggregate_conflicts`).

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
                f"{y.upper()} is the outcome itself; it cannot explain itself (no override)."
            )
            continue
        reason = _input_of_outcome(term, y, meta)
        if {term, y} == {"osi", "epi"}:
            warnings.append(
                "EPI and OSI are both scored from the UN Online Services "
                "Questionnaire; their association is partly shared measurement."
            )
        if reason:
            if term in spec.allow_circular or base in spec.allow_circular:
                warnings.append(
                    f"Circularity override: {reason}; kept because the user allowed it "
                    "explicitly. Its coefficient partly measures the index formula, not a "
                    "determinant."
                )
            else:
                refusals.append(
                    f"{reason}: regressing {y.upper()} on it would partly regress the index on "
                    f"itself. Fix: drop {term_label(term)}, or list `{term}` in the notebook "
                    "parameter allow_circular to override (the report will say so)."
                )
        if base in reverse and y in reverse[base]["indices"] and not reason:
            warnings.append(
                f"{term_label(base)} is built partly from {y.upper()} "
                f"({reverse[base]['evidence']}); part of its association with "
                f"{y.upper()} is mechanical."
            )
    refusals += aggregate_conflicts(spec)
    return refusals, warnings


def check_circularity(spec: Spec) -> list[str]:
    """Raise `SpecError` if a guard refuses ``spec``; otherwise return its warnings."""
    refusals, warnings = circularity(spec)
    if refusals:
        raise SpecError(
            f"spec {spec.name!r} ({spec.outcome.upper()} ~ "
            f"{' + '.join(spec.terms)}) refused:\n  - " + "\n  - ".join(refusals)
        )
    return warnings


def refused_terms(outcome: str, terms: tuple[str, ...] | list[str], allow=()) -> list[str]:
    """The terms the circularity guard refuses one by one for ``outcome``.

    Used to drop the refused terms of a default control set, with a stated reason.
    """
    return [
        t
        for t in terms
        if circularity(Spec(name="check", outcome=outcome, regressors=(t,), allow_circular=allow))[
            0
        ]
    ]
