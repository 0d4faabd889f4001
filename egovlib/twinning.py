"""Digital twinning: component gaps, feasible targets, stepping stones, history and pairing."""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .countries import country_name, country_table, resolve_group
from .errors import EgovError, SpecError
from .judgements import load_judgements
from .panel import (
    build_panel,
    covariate_catalogue,
    editions,
    income_classification_year,
    load_egdi_panel,
    not_yet_members,
)
from .plots import FOCUS_COLOUR, FRONTIER_COLOUR, PEER_COLOUR, finish, mark_breaks, styled
from .readers import variables
from .report import join_names
from .standing import EGDI_SOURCE, REVISION_THRESHOLD, egdi_change_decomposition, ordinal
from .vocabulary import (
    EGDI_COMPONENTS,
    EGDI_WEIGHTS,
    INDEX_LABELS,
    SHORT_LABELS,
    method_breaks,
)

log = logging.getLogger(__name__)

#: Components compared in a pair. EPI is reported next to OSI (it is measured from the same
#: review of national portals) but it is a supplementary index, not an input of the EGDI.
COMPONENTS: tuple[str, ...] = ("osi", "hci", "tii", "epi")


#: Survey editions whose scores are not comparable with the edition before (2014: the UN
#: revised the OSI questionnaire and the TII/OSI normalisation, and the HCI added years of
#: schooling). Steps into these editions are left out of the historical evidence by default.
METHOD_BREAKS: tuple[int, ...] = method_breaks(("osi", "tii"))
#: Editions where only the HCI definition changed (kept, but flagged in the prose).
HCI_BREAKS: tuple[int, ...] = tuple(b for b in method_breaks("hci") if b not in METHOD_BREAKS)

#: Context data behind each similarity feature, named in the figures' source lines.
FEATURE_SOURCES: Mapping[str, str] = {
    "region": "UN M49 regions",
    "income": "World Bank income groups (current)",
    "population": "UNDP HDR population (UN World Population Prospects)",
    "gtmi": "World Bank GovTech Maturity Index groups",
    "language": "official languages (Unicode CLDR, via Babel)",
    "bodies": "membership of regional bodies (egovlib judgement table)",
}


def _source_line(features: str) -> str:
    used = [FEATURE_SOURCES[f.strip()] for f in features.split(",") if f.strip() in FEATURE_SOURCES]
    return EGDI_SOURCE + ("; similarity: " + ", ".join(used) if used else "") + "."


@dataclass(frozen=True)
class TransferArea:
    """How far a twinning (peer exchange of know-how between administrations) can move a component.

    Attributes
    ----------
    component : str
        ``osi``, ``hci``, ``tii`` or ``epi``.
    weight : float
        Transferability in [0, 1]: 1 = mostly institutional know-how that a partner
        administration can share; near 0 = needs capital or a generation of schooling.
    horizon : str
        Time a change in the underlying indicators typically needs.
    why : str
        The reasoning, shown in reports.
    citation : str
        Where the judgement comes from.
    """

    component: str
    weight: float
    horizon: str
    why: str
    citation: str = ""


#: Transferability of each component: a judgement kept as data (``judgements/transfer_areas.yml``)
#: so that it can be changed and the ranking regenerated.
TRANSFER_AREAS: tuple[TransferArea, ...] = load_judgements("transfer_areas", TransferArea)


@dataclass(frozen=True)
class Membership:
    """Membership of one state in a regional body (``judgements/regional_bodies.yml``)."""

    body: str
    iso3: str
    since: int
    status: str
    citation: str


#: Memberships of the Arab League, GCC, OIC, African Union and Francophonie.
REGIONAL_BODIES: tuple[Membership, ...] = load_judgements("regional_bodies", Membership)
#: Bodies in the table, in the order shown.
BODY_NAMES: tuple[str, ...] = tuple(dict.fromkeys(m.body for m in REGIONAL_BODIES))


def bodies_of(iso3: str, year: int) -> frozenset[str]:
    """Regional bodies ``iso3`` belonged to in edition ``year`` (membership from `since` on)."""
    return frozenset(m.body for m in REGIONAL_BODIES if m.iso3 == iso3 and m.since <= int(year))


@functools.cache
def official_languages(iso3: str) -> tuple[str, ...]:
    """Official languages of a country (ISO 639 codes), from the Unicode CLDR via Babel.

    De facto official languages count (CLDR marks e.g. French in Morocco as such); regional
    official languages do not. Empty when CLDR has no entry.
    """
    import pycountry
    from babel.languages import get_official_languages

    c = pycountry.countries.get(alpha_3=iso3)
    if c is None:
        return ()
    return tuple(get_official_languages(c.alpha_2, de_facto=True))


def transfer_table(areas: Iterable[TransferArea] = TRANSFER_AREAS) -> pd.DataFrame:
    """The transferability weights as a report table.

    Columns ``component`` (the index named in words), ``transferability`` (the weight),
    ``horizon``, ``egdi_weight`` (weight in the EGDI) and ``why``.
    """
    rows = [
        {
            "component": INDEX_LABELS.get(a.component, a.component.upper()),
            "transferability": a.weight,
            "horizon": a.horizon,
            "egdi_weight": EGDI_WEIGHTS[a.component],
            "why": a.why,
        }
        for a in areas
    ]
    return pd.DataFrame(rows)


#: Columns of `priority_table` (the per-pair table fits a 1000-pixel page: transferability and
#: horizon are per component, in `transfer_table`; closable EGDI points are in `describe_pair`).
PRIORITY_COLUMNS = (
    "rank",
    "component",
    "mentor",
    "mentee",
    "gap",
    "egdi_points",
    "feasible_target",
    "closable",
    "priority",
)


def priority_table(r: PairResult) -> pd.DataFrame:
    """The per-pair gap table for reports.

    `PRIORITY_COLUMNS` of ``r.priorities``, components in capitals, in priority order (empty if the
    pair could not be analysed).
    """
    if not r.ok or not len(r.priorities):
        return pd.DataFrame(columns=list(PRIORITY_COLUMNS))
    t = r.priorities.reset_index()
    t["component"] = t["component"].map(lambda c: SHORT_LABELS.get(c, str(c).upper()))
    return t[list(PRIORITY_COLUMNS)]


def _transfer_weights(areas: Iterable[TransferArea]) -> dict[str, float]:
    w = {a.component: float(a.weight) for a in areas}
    missing = [c for c in COMPONENTS if c not in w]
    if missing:
        raise EgovError(f"transfer areas lack component(s) {missing}; give each of {COMPONENTS}")
    return w


@dataclass(frozen=True)
class SimilarityWeights:
    """Weights of the context features in the similarity of two countries (need not sum to 1).

    Each feature gives a similarity in [0, 1]; the overall similarity is their weighted mean over
    the features known for both countries (a missing feature is left out and the weights of the
    others renormalised, never filled in).

    Attributes
    ----------
    region : float
        UN M49 geography: 1 if the same intermediate region (or, where M49 has none, the same
        sub-region), 0.75 if the same sub-region only, 0.5 if the same region only, else 0.
    income : float
        World Bank income group as an ordinal 1 (low) ... 4 (high): 1 - |difference| / 3.
    population : float
        1 - |difference of log10 population| / ``population_decades``, floored at 0.
    gtmi : float
        World Bank GovTech maturity group A=4 ... D=1: 1 - |difference| / 3.
    language : float
        1 if the two countries share an official language (`official_languages`), else 0.
    bodies : float
        Share of the regional bodies of either country that both belong to (`REGIONAL_BODIES`;
        Jaccard index); missing when neither belongs to any.
    population_decades : float
        Population ratio (in powers of ten) at which the population similarity reaches 0.
    """

    region: float = 1.0
    income: float = 1.0
    population: float = 1.0
    gtmi: float = 1.0
    language: float = 1.0
    bodies: float = 1.0
    population_decades: float = 2.0

    @classmethod
    def from_mapping(cls, m: SimilarityWeights | Mapping[str, float] | None) -> SimilarityWeights:
        """Build from a dict (notebook parameter); unknown keys are an error."""
        return _from_mapping(cls, m)


#: Smallest mentor lead on the target component (index points) that counts as a lead: below it
#: the difference is within what the median country moves between two editions.
MIN_LEAD = 0.05


@dataclass(frozen=True)
class PairingWeights:
    """Weights of the automatic pairing score, a weighted geometric mean of lead and similarity.

    score = lead_share ** (lead / (lead + similarity)) * similarity ** (similarity / (lead +
    similarity)), where lead_share is the mentor's transferable lead on the target component
    relative to the largest among the eligible candidates (0-1) and similarity is
    `context_similarity`. A geometric mean does not let one part make up for the other: a
    candidate without a lead scores 0 however similar it is (and is not eligible anyway: a lead of
    at least ``min_lead`` on the target is a hard constraint).
    """

    lead: float = 0.5
    similarity: float = 0.5
    min_lead: float = MIN_LEAD

    @classmethod
    def from_mapping(cls, m: PairingWeights | Mapping[str, float] | None) -> PairingWeights:
        """Build from a dict (notebook parameter); unknown keys are an error."""
        return _from_mapping(cls, m)


def _from_mapping(cls, m):
    if m is None:
        return cls()
    if isinstance(m, cls):
        return m
    known = set(cls.__dataclass_fields__)
    bad = sorted(set(m) - known)
    if bad:
        raise SpecError(
            f"unknown {cls.__name__} key(s) {bad}. Fix: use only {sorted(known)} in the "
            "notebook parameter (pairing_weights or similarity_weights)."
        )
    return cls(**{k: float(v) for k, v in m.items()})


# ---------------------------------------------------------------------------------------------
# Context of each country
# ---------------------------------------------------------------------------------------------

#: World Bank income groups as an ordinal scale.
INCOME_LEVELS: Mapping[str, int] = {
    "Low income": 1,
    "Lower middle income": 2,
    "Upper middle income": 3,
    "High income": 4,
}
#: GTMI group letters (the covariate `gtmi_group` is coded A=4 ... D=1).
GTMI_LETTERS: Mapping[int, str] = {4: "A", 3: "B", 2: "C", 1: "D"}
#: Covariates the context uses (names of `egovlib.variables()`), and the feature each feeds.
#: Population is the UNDP HDR series (UN World Population Prospects, 1990-2022, in millions): the
#: one population series in the data that covers every survey edition (the WDI series starts in
#: 2018, so a 2008 pairing would lose population); 04 uses the same series.
CONTEXT_COVARIATES: Mapping[str, str] = {"hdr_pop": "population", "gtmi_group": "gtmi"}
#: Context column filled from each covariate, and the factor to its unit (people).
_CONTEXT_COLUMNS: Mapping[str, tuple[str, float]] = {
    "hdr_pop": ("population", 1e6),
    "gtmi_group": ("gtmi_group", 1.0),
}


@dataclass
class Context:
    """Context features of every country for one survey edition.

    Attributes
    ----------
    data : DataFrame
        Index iso3; columns ``region, subregion, income_group, income_level, population,
        log10_population, gtmi_group`` (missing where the covariate is missing or absent),
        ``population_year, gtmi_year`` (reference year used).
    notes : list of str
        What was available and what was left out, in words.
    features : list of str
        Features with at least some data (``region``, ``income``, ``population``, ``gtmi``).
    """

    data: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    features: list[str] = field(default_factory=list)


def load_context(year: int) -> Context:
    """Context features for edition ``year``.

    Region, income group, population, GTMI group, official languages and regional bodies.

    Covariates follow the shared vintage rule (`egovlib.panel.build_panel` defaults). A covariate
    that no reader provides (yet), or that has no value for this edition, is reported in
    ``notes`` and left out of the similarity; nothing is filled in. Income groups are the World
    Bank's current classification (the metadata carries no history); regional bodies count from
    the year a state joined.
    """
    known = set(covariate_catalogue())
    present = [c for c in CONTEXT_COVARIATES if c in known]
    income_year = income_classification_year()
    income = (
        f"the World Bank's current classification, applied retroactively to {year}"
        if income_year is not None and year <= income_year
        else "current World Bank classification"
    )
    notes = [
        f"Income group: {income}; region: UN M49 region, sub-region and intermediate region; "
        "official languages: Unicode CLDR; regional bodies: "
        + join_names(list(BODY_NAMES))
        + f" (membership in {year})."
    ]
    for c in CONTEXT_COVARIATES:
        if c not in known:
            notes.append(
                f"{c.replace('_', ' ').capitalize()} is not available (no reader provides it), "
                f"so {FEATURE_LABELS[CONTEXT_COVARIATES[c]]} is left out of the similarity."
            )
    panel = build_panel([year], present, coverage_groups=())
    d = panel.data.set_index("iso3")
    ctx = pd.DataFrame(index=d.index)
    ctx["country"] = d["country"]
    for col in ("region", "subregion", "income_group"):
        ctx[col] = d[col]
    inter = country_table()["intermediate_region"].reindex(ctx.index)
    ctx["area"] = inter.where(inter.notna() & (inter != ""), ctx["subregion"])
    ctx["income_level"] = d["income_group"].map(INCOME_LEVELS).astype("Float64").astype(float)
    ref = panel.ref_years.set_index("iso3")
    for cov, (out, factor) in _CONTEXT_COLUMNS.items():
        ctx[out] = d[cov].astype(float) * factor if cov in d else np.nan
        ctx[f"{out}_year"] = ref[cov].astype(float) if cov in ref else np.nan
    ctx["log10_population"] = np.log10(ctx["population"].where(ctx["population"] > 0))
    ctx["languages"] = [official_languages(i) for i in ctx.index]
    ctx["bodies"] = [bodies_of(i, year) for i in ctx.index]
    features = ["region", "income"]
    # Coverage counts the UN member states of the edition (the panel also holds later ones).
    members = ~ctx.index.isin(list(not_yet_members(year)))
    for cov, feat in CONTEXT_COVARIATES.items():
        col = _CONTEXT_COLUMNS[cov][0]
        n = int(ctx.loc[members, col].notna().sum())
        label = variables()[cov].label if cov in variables() else cov.replace("_", " ")
        if cov in present and n == 0:
            notes.append(
                f"{label}: no value for the {year} edition under the vintage rule "
                f"({panel.rule}), so {FEATURE_LABELS[feat]} is left out of the similarity."
            )
        elif n:
            yrs = sorted({int(y) for y in ctx[f"{col}_year"].dropna()})
            notes.append(
                f"{label}: {n} of {int(members.sum())} countries, reference "
                f"year(s) {_year_span(yrs)} ({panel.rule})."
            )
            features.append(feat)
    features += ["language", "bodies"]
    return Context(data=ctx, notes=notes, features=features)


def _year_span(yrs: list[int]) -> str:
    if not yrs:
        return "none"
    return str(yrs[0]) if len(yrs) == 1 else f"{yrs[0]}-{yrs[-1]}"


#: Similarity features, in the order of `SimilarityWeights`.
SIMILARITY_FEATURES: tuple[str, ...] = (
    "region",
    "income",
    "population",
    "gtmi",
    "language",
    "bodies",
)
#: Each similarity feature in words, for the report.
FEATURE_LABELS: Mapping[str, str] = {
    "region": "region",
    "income": "income group",
    "population": "population size",
    "gtmi": "GovTech maturity (GTMI group)",
    "language": "official (or de facto official) language",
    "bodies": "regional bodies",
}


def context_text(context: Context, year: int) -> str:
    """Generated paragraph: the context data behind the similarity and the features used."""
    used = join_names([FEATURE_LABELS[f] for f in context.features])
    return (
        "**Context data used for similarity.** "
        + " ".join(context.notes)
        + f" Features with data in {year}: {used}."
    )


def context_similarity(
    context: pd.DataFrame, iso3: str, weights: SimilarityWeights | Mapping[str, float] | None = None
) -> pd.DataFrame:
    """Similarity of every country to ``iso3`` on the context features.

    Parameters
    ----------
    context : DataFrame
        Index iso3 with columns ``region, subregion``, optional ``area`` (intermediate region,
        else sub-region), ``income_level, log10_population, gtmi_group`` and optional
        ``languages`` (tuples of language codes) and ``bodies`` (sets of body names); values may
        be missing (see `load_context`).
    iso3 : str
        The reference country.
    weights : SimilarityWeights or dict, optional

    Returns
    -------
    DataFrame
        Index iso3; ``sim_<feature>`` for each of `SIMILARITY_FEATURES` (missing where either
        country lacks the feature), ``similarity`` (weighted mean of the known ones, in [0, 1])
        and ``features`` (the features used, comma-separated).
    """
    w = SimilarityWeights.from_mapping(weights)
    return _weigh_similarities(_feature_similarities(context, iso3, w.population_decades), w)


def _feature_similarities(
    context: pd.DataFrame, iso3: str, population_decades: float
) -> pd.DataFrame:
    """`context_similarity`'s ``sim_<feature>`` columns (the part that needs no weights)."""
    if iso3 not in context.index:
        raise EgovError(f"{iso3!r} is not in the context table; use an ISO3 code of a UN member")
    ref = context.loc[iso3]
    out = pd.DataFrame(index=context.index)
    area = context["area"] if "area" in context else context["subregion"]
    same_area = area == area.loc[iso3]
    same_sub = context["subregion"] == ref["subregion"]
    same_reg = context["region"] == ref["region"]
    out["sim_region"] = np.select([same_area, same_sub, same_reg], [1.0, 0.75, 0.5], 0.0)
    if pd.isna(ref["region"]):
        out["sim_region"] = np.nan
    out.loc[context["region"].isna(), "sim_region"] = np.nan
    out["sim_income"] = 1 - (context["income_level"] - ref["income_level"]).abs() / 3
    dpop = (context["log10_population"] - ref["log10_population"]).abs()
    out["sim_population"] = np.maximum(1 - dpop / population_decades, 0)
    out["sim_gtmi"] = 1 - (context["gtmi_group"] - ref["gtmi_group"]).abs() / 3
    out["sim_language"] = np.nan
    if "languages" in context:
        mine = set(ref["languages"] or ())
        out["sim_language"] = [
            (1.0 if mine & set(x) else 0.0) if mine and x else np.nan for x in context["languages"]
        ]
    out["sim_bodies"] = np.nan
    if "bodies" in context:
        mine = set(ref["bodies"] or ())
        out["sim_bodies"] = [
            len(mine & set(x)) / len(mine | set(x)) if (mine or x) else np.nan
            for x in context["bodies"]
        ]
    return out


def _weigh_similarities(per_feature: pd.DataFrame, w: SimilarityWeights) -> pd.DataFrame:
    """`context_similarity` from its ``sim_<feature>`` columns and the weights ``w``."""
    out = per_feature.copy()
    wts = _feature_weights(w)
    sims = _feature_matrix(out)
    similarity, known = _weighted_similarity(sims, wts)
    out["similarity"] = similarity
    out["features"] = [
        ", ".join(f for f, k, wt in zip(SIMILARITY_FEATURES, row, wts, strict=True) if k and wt > 0)
        for row in known.T
    ]
    return out


def _feature_weights(w: SimilarityWeights) -> np.ndarray:
    """The weights of `SIMILARITY_FEATURES`, in that order."""
    return np.array([float(getattr(w, f)) for f in SIMILARITY_FEATURES])


def _feature_matrix(per_feature: pd.DataFrame) -> np.ndarray:
    """The ``sim_<feature>`` columns as a (feature, country) float array, NaN where missing."""
    return np.array(
        [per_feature[f"sim_{f}"].to_numpy(dtype=float) for f in SIMILARITY_FEATURES], dtype=float
    )


def _weighted_similarity(sims: np.ndarray, wts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean similarity over the known features, and which features are known.

    ``sims`` is (feature, country) as from `_feature_matrix`. The sums run over axis 0 of that
    layout, feature by feature in order: the same additions, in the same order, as pandas' row
    sums of the (country x feature) table did, so the similarity is the same to the last bit
    (``tests/test_twinning.py`` compares the two on every edition).
    """
    known = ~np.isnan(sims)
    wsum = (known * wts[:, None]).sum(axis=0)
    total = (np.where(known, sims, 0.0) * wts[:, None]).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        similarity = total / np.where(wsum > 0, wsum, np.nan)
    return similarity, known


# ---------------------------------------------------------------------------------------------
# Pair arithmetic
# ---------------------------------------------------------------------------------------------


def component_gaps(
    mentor: Mapping[str, float] | pd.Series, mentee: Mapping[str, float] | pd.Series
) -> pd.DataFrame:
    """The mentor's lead on each component and the EGDI points it is worth.

    A gap ``g`` on OSI, HCI or TII costs the mentee ``g / 3`` EGDI points (EGDI is the mean of the
    three); EPI is not part of the EGDI, so its gap costs none.

    Returns
    -------
    DataFrame
        Index component; ``mentor, mentee, gap`` (mentor - mentee; negative = the mentee is
        ahead), ``egdi_weight``, ``egdi_points`` (gap x weight).
    """
    rows = []
    for c in COMPONENTS:
        a, b = float(mentor[c]), float(mentee[c])
        rows.append(
            {
                "component": c,
                "mentor": a,
                "mentee": b,
                "gap": a - b,
                "egdi_weight": EGDI_WEIGHTS[c],
                "egdi_points": (a - b) * EGDI_WEIGHTS[c],
            }
        )
    return pd.DataFrame(rows).set_index("component")


def nearest_better_peers(
    scores: pd.DataFrame,
    similarity: pd.Series,
    mentee: str,
    component: str,
    *,
    n: int = 5,
    exclude: Iterable[str] = (),
) -> pd.DataFrame:
    """The mentee's closest context peers that score higher on ``component``.

    Closest = highest `context_similarity` to the mentee; ties are broken by the smaller score
    difference to the mentee (the nearer step), then by ISO3 code, so the choice is deterministic.

    Returns
    -------
    DataFrame
        Up to ``n`` rows: ``iso3, score, similarity``, closest first.
    """
    own = scores.loc[mentee, component]
    s = scores[component].dropna()
    better = s[(s > own) & ~s.index.isin([mentee, *exclude])]
    t = pd.DataFrame(
        {
            "iso3": better.index,
            "score": better.to_numpy(),
            "similarity": similarity.reindex(better.index).to_numpy(),
        }
    )
    t["step"] = t["score"] - own
    t = t.sort_values(
        ["similarity", "step", "iso3"], ascending=[False, True, True], na_position="last"
    )
    return t.head(n).drop(columns="step").reset_index(drop=True)


def transfer_priorities(
    gaps: pd.DataFrame,
    feasible_target: Mapping[str, float],
    areas: Iterable[TransferArea] = TRANSFER_AREAS,
) -> pd.DataFrame:
    """Rank the components a twinning should work on first.

    For each component: ``feasible_gain`` = feasible target - mentee (what similar countries that
    did better achieved), ``closable`` = the part of the mentor's lead that is also feasible =
    max(0, min(gap, feasible_gain)), ``closable_share`` = closable / gap, and ``priority`` =
    transferability x closable EGDI points. The target is chosen by what it is worth in the
    EGDI: the EPI, outside the EGDI, has priority 0 and is never the target by default (a
    programme may still choose it explicitly, see `analyse_pair`). The first row (highest
    priority) is the target component.

    Parameters
    ----------
    gaps : DataFrame
        From `component_gaps`.
    feasible_target : mapping component -> score
        E.g. the median of the mentee's nearest better peers (see `analyse_pair`); missing or
        NaN means "no better peer" (feasible gain 0).
    """
    w = _transfer_weights(areas)
    horizon = {a.component: a.horizon for a in areas}
    t = gaps.copy()
    t["feasible_target"] = [feasible_target.get(c, np.nan) for c in t.index]
    t["feasible_gain"] = (t["feasible_target"] - t["mentee"]).clip(lower=0).fillna(0.0)
    t["closable"] = np.minimum(t["gap"], t["feasible_gain"]).clip(lower=0)
    t["closable_share"] = (t["closable"] / t["gap"]).where(t["gap"] > 0)
    t["closable_egdi_points"] = t["closable"] * t["egdi_weight"]
    t["transferability"] = [w[c] for c in t.index]
    t["horizon"] = [horizon[c] for c in t.index]
    t["priority"] = t["transferability"] * t["closable_egdi_points"]
    order = sorted(t.index, key=lambda c: (-t.loc[c, "priority"], -t.loc[c, "gap"], c))
    t = t.loc[order]
    t["rank"] = range(1, len(t) + 1)
    return t


def stepping_stones(
    scores: pd.DataFrame,
    similarity: pd.Series,
    component: str,
    threshold: float,
    *,
    n: int = 5,
    exclude: Iterable[str] = (),
    ceiling: float | None = None,
) -> pd.DataFrame:
    """Countries most similar to the mentee that reach ``threshold`` on ``component``.

    With ``ceiling`` (the mentor's score), countries above it are left out: a stepping stone lies
    between the mentee and the mentor, not beyond the mentor. Ties in similarity are broken by
    the higher score, then the ISO3 code.

    Returns
    -------
    DataFrame
        ``iso3, similarity, <component>`` and the other component scores, most similar first.
    """
    s = scores[component]
    within = s <= ceiling if ceiling is not None else pd.Series(True, index=s.index)
    ok = s.index[(s >= threshold) & within & ~s.index.isin(list(exclude))]
    t = scores.loc[ok, list(COMPONENTS) + ["egdi"]].copy()
    t["similarity"] = similarity.reindex(ok)
    t = t.reset_index(names="iso3")
    t = t.sort_values(
        ["similarity", component, "iso3"], ascending=[False, False, True], na_position="last"
    )
    return t.head(n).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# One mentor-mentee pair
# ---------------------------------------------------------------------------------------------


@dataclass
class PairResult:
    """Everything the report says about one mentor-mentee pair in one edition.

    ``ok`` is False when either country was not assessed in the edition; ``message`` then says so
    and the tables are empty.
    """

    mentor: str
    mentee: str
    year: int
    ok: bool
    message: str = ""
    gaps: pd.DataFrame = field(default_factory=pd.DataFrame)
    priorities: pd.DataFrame = field(default_factory=pd.DataFrame)
    target: str | None = None
    peers: dict[str, pd.DataFrame] = field(default_factory=dict)
    stones: pd.DataFrame = field(default_factory=pd.DataFrame)
    similarity: float = float("nan")
    similarity_detail: pd.Series = field(default_factory=pd.Series)
    context_notes: list[str] = field(default_factory=list)
    egdi: tuple[float, float] = (float("nan"), float("nan"))
    ranks: tuple[float, float] = (float("nan"), float("nan"))


def edition_scores(panel: pd.DataFrame, year: int) -> pd.DataFrame:
    """Scores of the countries assessed in ``year``, index iso3 (``egdi, rank`` and components)."""
    e = panel[(panel["year"] == year) & panel["assessed"]]
    return e.set_index("iso3")[["country", "rank", "egdi", *COMPONENTS]]


def not_assessed_message(iso3: str, role: str, year: int, panel: pd.DataFrame) -> str:
    """Markdown message for a country not assessed in ``year``.

    Naming the earlier editions it is in (never later ones: a report for ``year`` speaks of its own
    time).
    """
    years = panel.loc[
        (panel["iso3"] == iso3) & panel["assessed"] & (panel["year"] <= year), "year"
    ].tolist()
    admitted = not_yet_members(year).get(iso3)
    if admitted is not None:
        return (
            f"**{country_name(iso3)} ({iso3}), the {role}, was not yet a UN member state when "
            f"the {year} edition was prepared** ({admitted.event}), so this pair cannot be "
            f"analysed for {year}."
        )
    when = (
        f"It was assessed in {join_names([str(y) for y in years])}."
        if years
        else f"It was not assessed in any edition up to {year}."
    )
    return (
        f"**{country_name(iso3)} ({iso3}), the {role}, was not assessed in the {year} "
        f"edition** of the UN E-Government Survey (no published scores), so this pair "
        f"cannot be analysed for {year}. {when}"
    )


def analyse_pair(
    mentor: str,
    mentee: str,
    year: int,
    *,
    panel: pd.DataFrame | None = None,
    context: Context | None = None,
    n_peers: int = 5,
    n_stepping_stones: int = 5,
    similarity_weights: SimilarityWeights | Mapping[str, float] | None = None,
    areas: Iterable[TransferArea] = TRANSFER_AREAS,
    target: str | None = None,
) -> PairResult:
    """Gaps, feasible targets, transfer priorities and stepping stones for one pair.

    Feasible target on a component = median score of the mentee's ``n_peers`` closest context
    peers that score higher than the mentee on it (`nearest_better_peers`; mentor excluded).
    The target component is the one with the highest priority (`transfer_priorities`: what the
    closable lead is worth in EGDI points, times transferability), or ``target`` when a programme
    has chosen one (a policy choice, e.g. ``"epi"``); a component on which the mentor has no lead
    is never a target. Stepping stones = the ``n_stepping_stones`` countries most similar to the
    mentee that reach the feasible target on the target component (mentor and mentee excluded).

    A mentor or mentee not assessed in ``year`` gives ``ok=False`` and a message, not an error.
    """
    mentor, mentee = iso3_code(mentor), iso3_code(mentee)
    panel = load_egdi_panel() if panel is None else panel
    if mentor == mentee:
        raise EgovError(f"mentor and mentee are the same country ({mentor}); pick two countries")
    scores = edition_scores(panel, year)
    for iso3, role in ((mentor, "mentor"), (mentee, "mentee")):
        if iso3 not in scores.index:
            return PairResult(
                mentor,
                mentee,
                year,
                ok=False,
                message=not_assessed_message(iso3, role, year, panel),
            )
    context = load_context(year) if context is None else context
    sim = context_similarity(context.data, mentee, similarity_weights)
    gaps = component_gaps(scores.loc[mentor], scores.loc[mentee])
    peers, target_scores = {}, {}
    for c in COMPONENTS:
        p = nearest_better_peers(scores, sim["similarity"], mentee, c, n=n_peers, exclude=[mentor])
        peers[c] = p
        target_scores[c] = float(p["score"].median()) if len(p) else np.nan
    pri = transfer_priorities(gaps, target_scores, areas)
    if target is not None:
        target = str(target).lower()
        if target not in COMPONENTS:
            raise SpecError(
                f"target must be one of {', '.join(COMPONENTS)} or None; got {target!r}. Fix: "
                "set the notebook parameter target to one of them."
            )
        if gaps.loc[target, "gap"] <= 0:
            target = None  # a chosen target without a mentor lead: nothing to transfer
    else:
        target = pri.index[0] if pri["priority"].iloc[0] > 0 else None
    stones = pd.DataFrame()
    if target is not None:
        stones = stepping_stones(
            scores,
            sim["similarity"],
            target,
            pri.loc[target, "feasible_target"],
            n=n_stepping_stones,
            exclude=[mentor, mentee],
            ceiling=float(scores.loc[mentor, target]),
        )
        stones.insert(1, "country", [country_name(i) for i in stones["iso3"]])
    return PairResult(
        mentor,
        mentee,
        year,
        ok=True,
        gaps=gaps,
        priorities=pri,
        target=target,
        peers=peers,
        stones=stones,
        similarity=float(sim.loc[mentor, "similarity"]),
        similarity_detail=sim.loc[mentor],
        context_notes=list(context.notes),
        egdi=(float(scores.loc[mentor, "egdi"]), float(scores.loc[mentee, "egdi"])),
        ranks=(float(scores.loc[mentor, "rank"]), float(scores.loc[mentee, "rank"])),
    )


def iso3_code(iso3: str) -> str:
    """Upper-case ISO3 code, checked against the country table (clear error if unknown)."""
    codes = resolve_group([iso3])
    return codes[0]


#: Said wherever stepping stones are listed: they are chosen on the data alone.
STONES_CAVEAT = (
    "Stepping stones are chosen on the data alone (scores and context similarity): they are "
    "peers on the scale, not proposed partners, and a ministry should check whether working "
    "with each is feasible."
)


def describe_pair(r: PairResult) -> str:
    """Generated prose (Markdown) for one pair: gaps, their EGDI cost, the target and why."""
    if not r.ok:
        return r.message
    a, b = country_name(r.mentor), country_name(r.mentee)
    g = r.gaps
    egdi_gap = r.egdi[0] - r.egdi[1]
    lines = [
        f"In {r.year} {a} scores {r.egdi[0]:.4f} on the EGDI (rank {r.ranks[0]:.0f}) and "
        f"{b} {r.egdi[1]:.4f} (rank {r.ranks[1]:.0f}): a gap of {egdi_gap:+.4f}."
    ]
    parts = [
        f"{SHORT_LABELS[c]} {g.loc[c, 'gap']:+.3f} (= {g.loc[c, 'egdi_points']:+.4f} EGDI points)"
        for c in ("osi", "hci", "tii")
    ]
    lines.append(
        f"The mentor's lead per component: {'; '.join(parts)}; "
        f"EPI {g.loc['epi', 'gap']:+.3f}, which costs no EGDI points because the EPI is a "
        "supplementary index, not part of the EGDI."
    )
    ahead = [SHORT_LABELS[c] for c in COMPONENTS if g.loc[c, "gap"] < 0]
    if ahead:
        lines.append(f"{b} is ahead of {a} on {', '.join(ahead)}: nothing to transfer there.")
    p = r.priorities
    if r.target is None:
        lines.append(
            f"No component has a lead of {a} that {b}'s closest peers show to be "
            "feasible, so no transfer area is proposed."
        )
        return "\n\n".join(lines)
    t = r.target
    lines.append(
        f"**Target component: {SHORT_LABELS[t]}.** Closest peers of {b} that score higher on it "
        f"reach a median of {p.loc[t, 'feasible_target']:.3f} (feasible target), so "
        f"{p.loc[t, 'closable']:.3f} of the mentor's {p.loc[t, 'gap']:.3f} lead "
        f"({p.loc[t, 'closable_share']:.0%}) is within reach"
        + (
            f", worth {p.loc[t, 'closable_egdi_points']:.4f} EGDI points."
            if p.loc[t, "egdi_weight"]
            else " (no EGDI points: EPI is outside the EGDI, but it is measured on the same "
            "portals as the OSI)."
        )
    )
    order = [f"{SHORT_LABELS[c]} (priority {p.loc[c, 'priority']:.4f})" for c in p.index]
    lines.append(
        "Transfer areas in order (priority = transferability x EGDI points of the feasible "
        "part of the lead; the EPI earns none): " + ", ".join(order) + "."
    )
    slow = [c for c in ("tii", "hci") if p.loc[c, "closable"] > 0]
    if slow:
        pts = ", ".join(f"{p.loc[c, 'closable_egdi_points']:.4f}" for c in slow)
        lines.append(
            "Gaps on "
            + " and ".join(SHORT_LABELS[c] for c in slow)
            + f" are real ({pts} EGDI points within reach)"
            " but infrastructure and schooling move with investment and "
            "time, not with an exchange of know-how; a twinning can at most advise on them."
        )
    if len(r.stones):
        names = ", ".join(
            f"{c} ({v:.3f})" for c, v in zip(r.stones["country"], r.stones[t], strict=True)
        )
        lines.append(
            f"Stepping stones (similar to {b}, at or above the feasible target on "
            f"{SHORT_LABELS[t]} and not above {country_name(r.mentor)}): {names}. " + STONES_CAVEAT
        )
    return "\n\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Evidence from history
# ---------------------------------------------------------------------------------------------


def edition_changes(
    panel: pd.DataFrame,
    *,
    up_to: int | None = None,
    breaks: Iterable[int] = METHOD_BREAKS,
    include_breaks: bool = False,
) -> pd.DataFrame:
    """Changes between consecutive editions per country, with the EGDI gain decomposed.

    Each of OSI, HCI and TII contributes a third of its change to the EGDI change; ``residual`` =
    published EGDI change - sum of contributions (non-zero where the published EGDI departs from
    the mean, 2008 and 2010). Scores are rescaled within each edition, so a raw change mixes a
    country's progress with what moved every country: ``net_<i>`` is the change minus the median
    change of the countries assessed in both editions of the step, ``own_<c>`` = ``net_<c>`` / 3
    is a component's own contribution to the EGDI change, and ``shared`` = EGDI change - sum of
    the own contributions (the part every country's medians moved, plus the departure term), so
    that ``d_egdi = own_osi + own_hci + own_tii + shared`` exactly.

    Parameters
    ----------
    up_to : int, optional
        Keep steps that end in or before this edition (a report on an edition uses only the past).
    breaks : editions whose scores are not comparable with the previous edition.
    include_breaks : bool
        Keep steps into a break edition (flagged in ``crosses_break``); default drop them.
    """
    eds = editions()
    brk_years = set(breaks)
    steps = [
        (y0, y1, y1 in brk_years)
        for y0, y1 in zip(eds[:-1], eds[1:], strict=True)
        if (up_to is None or y1 <= up_to) and (include_breaks or y1 not in brk_years)
    ]
    if not steps:
        return pd.DataFrame()
    cols = ["egdi", *COMPONENTS]
    # Every step at once (one merge, one groupby for the medians), not one frame per step: the
    # same rows and values, a fraction of pandas' per-call overhead (this runs per jump table).
    wide = panel.loc[panel["assessed"], ["iso3", "year", *cols]]
    keys = pd.DataFrame(steps, columns=["from_year", "to_year", "crosses_break"])
    a = keys.merge(wide.rename(columns={"year": "from_year"}), on="from_year")
    b = wide.rename(columns={"year": "to_year"})
    m = a.merge(b, on=["to_year", "iso3"], suffixes=("_start", "_end"))
    d = m[["iso3", "from_year", "to_year", "crosses_break"]].copy()
    for c in cols:
        d[f"{c}_start"] = m[f"{c}_start"].to_numpy()
        d[f"{c}_end"] = m[f"{c}_end"].to_numpy()
        d[f"d_{c}"] = d[f"{c}_end"] - d[f"{c}_start"]
    dec = egdi_change_decomposition(
        m[[f"{c}_start" for c in cols]].set_axis(cols, axis=1),
        m[[f"{c}_end" for c in cols]].set_axis(cols, axis=1),
    )
    for col in [f"contrib_{c}" for c in EGDI_COMPONENTS] + ["residual"]:
        d[col] = dec[col].to_numpy()
    step = d.groupby(["from_year", "to_year"], sort=False)
    for c in cols:
        d[f"net_{c}"] = d[f"d_{c}"] - step[f"d_{c}"].transform("median")
    for c in EGDI_COMPONENTS:
        d[f"own_{c}"] = d[f"net_{c}"] * EGDI_WEIGHTS[c]
    d["shared"] = d["d_egdi"] - d[[f"own_{c}" for c in EGDI_COMPONENTS]].sum(axis=1)
    # an exact 0 in an assessed country is either the edition's minimum or, e.g. for the
    # HCI of small states in 2003-2005, the publisher's placeholder for missing data
    ends = [f"{c}_{e}" for c in EGDI_COMPONENTS for e in ("start", "end")]
    d["zero_component"] = (d[ends] == 0).any(axis=1)
    # a move of more than half the scale in one edition: likely a data revision
    d["likely_revision"] = (d[[f"d_{c}" for c in COMPONENTS]].abs() > REVISION_THRESHOLD).any(
        axis=1
    )
    return d


def historical_jumps(
    panel: pd.DataFrame,
    level: float,
    *,
    metric: str = "osi",
    band: float = 0.10,
    n: int = 8,
    up_to: int | None = None,
    include_breaks: bool = False,
    drop_zero_components: bool = True,
    include_revisions: bool = False,
    changes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The largest gains in ``metric`` between consecutive editions from a similar starting level.

    Similar = the ``metric`` at the start edition within ``level +/- band``. Gains are ranked net
    of the median country's change in the same step (a step in which every country rose, such as
    the TII in 2024, does not crowd the list), and each row splits the EGDI gain into each
    component's own contribution (net of the median, a third each) and the part shared by every
    country; the main driver is the largest own contribution. Steps
    where OSI, HCI or TII is exactly 0 at either end are left out by default
    (``drop_zero_components``): such zeros mostly mark missing component data (the HCI of
    Andorra, Liechtenstein, Monaco and other small states in 2003-2005), so the "gain" would be an
    artefact. The number left out is in ``attrs['dropped_zero']``. Steps where a component moves
    by more than `egovlib.standing.REVISION_THRESHOLD` (likely data revisions, e.g. Libya's TII
    2022 -> 2024) are left out too unless ``include_revisions``; they are listed in
    ``attrs['revisions']``. ``changes``: `edition_changes` of ``panel`` with these ``up_to`` and
    ``include_breaks``, when already computed (a report lists jumps for several mentees and
    metrics from the same changes).

    Returns
    -------
    DataFrame
        ``iso3, country, from_year, to_year, <metric>_start, <metric>_end, d_<metric>,
        net_<metric>, d_egdi, own_osi, own_hci, own_tii, shared, driver, crosses_break``, largest
        net gain first (ties by ISO3). Empty when no consecutive-edition step ends by ``up_to``.
    """
    if metric not in ("egdi", *COMPONENTS):
        raise EgovError(f"metric must be one of egdi, {', '.join(COMPONENTS)}; got {metric!r}")
    ch = (
        edition_changes(panel, up_to=up_to, include_breaks=include_breaks)
        if changes is None
        else changes
    )
    if ch.empty:
        return ch
    ch = ch[(ch[f"{metric}_start"] - level).abs() <= band].dropna(subset=[f"d_{metric}"])
    dropped_zero = int(ch["zero_component"].sum()) if drop_zero_components else 0
    if drop_zero_components:
        ch = ch[~ch["zero_component"]]
    revisions = ch[ch["likely_revision"]]
    if not include_revisions:
        ch = ch[~ch["likely_revision"]]
    ch = ch.sort_values([f"net_{metric}", "iso3", "to_year"], ascending=[False, True, True])
    ch = ch.head(n)
    own = ch[[f"own_{c}" for c in EGDI_COMPONENTS]]
    ch["driver"] = own.idxmax(axis=1).str.removeprefix("own_").str.upper()
    ch.insert(1, "country", [country_name(i) for i in ch["iso3"]])
    keep = [
        "iso3",
        "country",
        "from_year",
        "to_year",
        f"{metric}_start",
        f"{metric}_end",
        f"d_{metric}",
        f"net_{metric}",
        *([] if metric == "egdi" else ["d_egdi"]),
        "own_osi",
        "own_hci",
        "own_tii",
        "shared",
        "driver",
        "crosses_break",
    ]
    out = ch[keep].reset_index(drop=True)
    out.attrs["dropped_zero"] = dropped_zero
    out.attrs["revisions"] = [
        f"{country_name(r['iso3'])} {r['from_year']}→{r['to_year']}"
        for _, r in revisions.iterrows()
    ]
    out.attrs["revisions_included"] = include_revisions
    return out


def describe_jumps(
    jumps: pd.DataFrame, metric: str, level: float, band: float, mentee: str, up_to: int
) -> str:
    """Generated prose summarising `historical_jumps`: how many, which component drove them."""
    name = country_name(mentee)
    m = SHORT_LABELS[metric]
    who = f"the current {m} of {name}"
    if jumps.empty:
        return (
            f"No consecutive-edition step up to {up_to} starts with a {m} within "
            f"±{band:.2f} of {who} ({level:.3f}) (or no earlier edition exists), so "
            "history offers no comparable jump."
        )
    tot = jumps[["own_osi", "own_hci", "own_tii"]].sum()
    share = tot / tot.abs().sum() if tot.abs().sum() > 0 else tot * np.nan
    drivers = jumps["driver"].value_counts()
    top = jumps.iloc[0]
    hci_break = jumps["to_year"].isin(HCI_BREAKS)
    extra = ""
    if hci_break.any():
        k = int(hci_break.sum())
        known = sorted({int(y) for y in jumps.loc[hci_break, "to_year"]})
        extra += (
            f" {k} of these steps {'ends' if k == 1 else 'end'} in "
            f"{join_names([str(y) for y in known])}, when the HCI definition changed, so their "
            "HCI contribution is partly a change of yardstick."
        )
    if jumps.attrs.get("revisions") and not jumps.attrs.get("revisions_included"):
        extra += (
            f" Left out as likely data revisions (a component moving more than "
            f"{REVISION_THRESHOLD:g} in one edition): {join_names(jumps.attrs['revisions'])}."
        )
    if jumps.attrs.get("dropped_zero"):
        extra += (
            f" {jumps.attrs['dropped_zero']} step(s) from a similar level were left out "
            "because a component is published as exactly 0 at one end (mostly missing "
            "data, not a score)."
        )
    return (
        f"The {len(jumps)} largest {m} gains net of the median country, from a starting {m} "
        f"within ±{band:.2f} of {who} ({level:.3f}), range from "
        f"{jumps[f'net_{metric}'].min():+.3f} to {top[f'net_{metric}']:+.3f} "
        f"(largest: {top['country']}, {top['from_year']}→{top['to_year']}). Net of what moved "
        f"every country, their EGDI gain came {share['own_osi']:.0%} from OSI, "
        f"{share['own_hci']:.0%} from HCI and {share['own_tii']:.0%} from TII; the OSI was the "
        f"main driver in {int(drivers.get('OSI', 0))} of {len(jumps)} cases. These are gains "
        "on the other countries, not absolute progress." + extra
    )


def jumps_display(jumps: pd.DataFrame, year: int) -> pd.DataFrame:
    """`historical_jumps` for display in a report for edition ``year``.

    The ISO3 code is dropped; the column saying whether a step crosses the 2014 method change is
    kept only if such steps are shown (a report for an earlier edition never mentions that
    change); the EGDI split is headed in words.
    """
    out = jumps.drop(columns=["iso3"])
    if not out["crosses_break"].any():
        out = out.drop(columns=["crosses_break"])
    else:
        out = out.rename(
            columns={
                "crosses_break": f"Crosses the {join_names([str(b) for b in METHOD_BREAKS])} break?"
            }
        )
    metric = next(c.removeprefix("net_") for c in out.columns if c.startswith("net_"))
    return out.rename(
        columns={
            f"net_{metric}": f"Δ {SHORT_LABELS[metric]} net of the median",
            **{f"own_{c}": f"Own {SHORT_LABELS[c]} (EGDI points)" for c in EGDI_COMPONENTS},
            "shared": "Shared by all countries (EGDI points)",
        }
    )


def history_intro(year: int) -> str:
    """Generated introduction of the history appendix.

    Naming only the method changes up to ``year`` (a report speaks of its own time).
    """
    known = [b for b in METHOD_BREAKS if b <= year]
    left_out = [
        *(
            [f"steps across the {join_names([str(b) for b in known])} method change"]
            if known
            else []
        ),
        "steps with a published 0 (missing data)",
        f"steps where a component moved by more than {REVISION_THRESHOLD:g} in one edition "
        "(likely data revisions)",
    ]
    return (
        "For each mentee: the largest gains relative to the median country between consecutive "
        "editions (up to this report's edition) by countries whose starting score was within the "
        "band below of the mentee's current score, for the OSI and for the EGDI. The EGDI gain is "
        "split "
        "net of what moved every country: each component's own contribution (its change minus "
        "the median country's, a third of it in EGDI points) and the part shared by all "
        "countries. "
        + join_names(left_out)[:1].upper()
        + join_names(left_out)[1:]
        + " are left out unless the parameters ask for them. History shows what happened to "
        "other countries from a similar level, not what a twinning causes."
    )


# ---------------------------------------------------------------------------------------------
# Automatic pairing
# ---------------------------------------------------------------------------------------------


def pairing_table(
    scores: pd.DataFrame,
    context: pd.DataFrame,
    focus: str,
    *,
    role: str = "mentor",
    candidates: Iterable[str] | str | None = None,
    weights: PairingWeights | Mapping[str, float] | None = None,
    similarity_weights: SimilarityWeights | Mapping[str, float] | None = None,
    areas: Iterable[TransferArea] = TRANSFER_AREAS,
    target: str | None = None,
    reasons: bool = True,
    feature_similarities: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Rank candidate partners of ``focus``: only pairs with a real mentor lead, then by score.

    ``role="mentor"``: ``focus`` is the mentor and candidates are mentees; ``role="mentee"``:
    ``focus`` is the mentee and candidates are mentors. For each pair:

    * the **target component** is ``target`` when given (a policy choice), else the EGDI
      component on which the mentor's lead is worth most: transferability x lead x EGDI weight
      (so never the EPI by default, which earns no EGDI points);
    * the pair is **eligible** only if the mentor leads the mentee on the target by at least
      ``weights.min_lead`` index points: a hard constraint, not a term that similarity can
      outweigh;
    * ``lead_share`` = transferability x lead on the target, relative to the largest among the
      eligible candidates (0-1]; ``similarity`` = `context_similarity` of the two countries;
    * ``score`` = weighted geometric mean of lead_share and similarity (`PairingWeights`).

    Candidates not assessed in the edition are dropped (``attrs['dropped']``). Ties are broken by
    ISO3 code, so the table is deterministic. ``reasons=False`` leaves out the ``reasons`` text
    (for rankings only read for their order, such as `pairing_sensitivity`'s: the text is a
    third of the table's cost). ``feature_similarities``: every country's ``sim_<feature>``
    columns against ``focus`` (`context_similarity` before weighting), when already computed for
    these population decades (`pairing_sensitivity` weighs one set eleven ways).

    Returns
    -------
    DataFrame
        Eligible candidates first, ranked (``rank`` 1, 2, ...), then the ineligible ones
        (``rank`` missing): ``iso3, country, target, lead`` (on the target), ``egdi_points``
        (lead x EGDI weight), ``lead_share, similarity, score, eligible``, per-component leads
        ``lead_<c>`` (mentor - mentee), per-feature similarities ``sim_<feature>``, ``features``
        and ``reasons`` (generated text).
    """
    focus = _checked_focus(scores, focus, role, target)
    pw = PairingWeights.from_mapping(weights)
    w = _transfer_weights(areas)
    pool, dropped = _candidate_pool(scores, focus, candidates)
    sw = SimilarityWeights.from_mapping(similarity_weights)
    if feature_similarities is None:
        feature_similarities = _feature_similarities(context, focus, sw.population_decades)
    sim = _weigh_similarities(feature_similarities, sw).reindex(pool)
    lead, targets, on_target, transferable = _pair_leads(scores, focus, pool, role, target, w)
    similarity = sim["similarity"].to_numpy(dtype=float)
    eligible, lead_share, score = _pair_scores(on_target, transferable, similarity, pw)
    # Columns as arrays, put together once (a column at a time cost most of the table's time).
    # Rows are the candidates, in pool order, then in ranking order.
    t = pd.DataFrame(
        {
            "country": [country_name(i) for i in pool],
            "target": targets,
            "lead": on_target,
            "egdi_points": on_target * targets.map(EGDI_WEIGHTS).astype(float).to_numpy(),
            "eligible": eligible,
            "lead_share": lead_share,
            "similarity": similarity,
            "score": score,
            **{f"lead_{c}": lead[c] for c in COMPONENTS},
            **{f"sim_{f}": sim[f"sim_{f}"] for f in SIMILARITY_FEATURES},
            "features": sim["features"],
        },
        index=pool,
    )
    t = t.reset_index(names="iso3")
    t = t.iloc[_ranking_order(eligible, score, pool)].reset_index(drop=True)
    n_ok = int(t["eligible"].sum())
    t.insert(0, "rank", pd.array([*range(1, n_ok + 1), *[pd.NA] * (len(t) - n_ok)], "Int64"))
    # context rows as plain dicts, looked up once: a `.loc` row per candidate (as Series) cost
    # more than the rest of the table, and `pairing_sensitivity` builds the table 11 times
    if reasons:
        ctx_rows = context.to_dict("index")
        t["reasons"] = [
            _reasons(row, focus, role, ctx_rows, pw) for row in t.itertuples(index=False)
        ]
    t.attrs.update(dropped=dropped, focus=focus, role=role, min_lead=pw.min_lead, target=target)
    return t


def _checked_focus(scores: pd.DataFrame, focus: str, role: str, target: str | None) -> str:
    """The ISO3 code of ``focus``, after checking the arguments every pairing needs."""
    if role not in ("mentor", "mentee"):
        raise EgovError(f"role must be 'mentor' or 'mentee', got {role!r}")
    focus = iso3_code(focus)
    if focus not in scores.index:
        raise EgovError(
            f"{country_name(focus)} ({focus}) was not assessed in this edition; "
            "automatic pairing needs its scores"
        )
    if target is not None and str(target).lower() not in COMPONENTS:
        raise EgovError(f"target must be one of {', '.join(COMPONENTS)}; got {target!r}")
    return focus


def _candidate_pool(
    scores: pd.DataFrame, focus: str, candidates: Iterable[str] | str | None
) -> tuple[pd.Index, list[str]]:
    """`pairing_table`'s candidates: those assessed (``scores``), and those dropped as not."""
    if candidates is None:
        pool = scores.index
    elif isinstance(candidates, str):
        pool = pd.Index(resolve_group(candidates))
    else:
        pool = pd.Index([iso3_code(c) for c in candidates])
    pool = pool.drop(focus, errors="ignore")
    dropped = sorted(set(pool) - set(scores.index))
    return pool[pool.isin(scores.index)], dropped


def _pair_leads(
    scores: pd.DataFrame,
    focus: str,
    pool: pd.Index,
    role: str,
    target: str | None,
    w: Mapping[str, float],
) -> tuple[pd.DataFrame, pd.Series, np.ndarray, np.ndarray]:
    """`pairing_table`'s leads: per component, the target, the lead on it and its transferable part.

    None of it depends on the pairing or similarity weights, so `pairing_sensitivity` computes
    it once for all its variants.
    """
    me = scores.loc[focus, list(COMPONENTS)].astype(float)
    other = scores.loc[pool, list(COMPONENTS)].astype(float)
    lead = (me - other) if role == "mentor" else (other - me)
    if target is not None:
        targets = pd.Series(str(target).lower(), index=pool)
    else:
        # np.maximum, not .clip(lower=0): the same values (NaN kept), a tenth of the time
        worth = np.maximum(lead[list(EGDI_COMPONENTS)], 0)
        worth = worth.mul(pd.Series({c: w[c] * EGDI_WEIGHTS[c] for c in EGDI_COMPONENTS}))
        # the component worth most; ties broken by the order of EGDI_COMPONENTS
        targets = worth.idxmax(axis=1).where(worth.max(axis=1) > 0)
    column = {c: j for j, c in enumerate(lead.columns)}
    leads = lead.to_numpy()
    on_target = np.array(
        [leads[k, column[c]] if isinstance(c, str) else np.nan for k, c in enumerate(targets)],
        dtype=float,
    )
    transferable = on_target * targets.map(w).astype(float).to_numpy()
    return lead, targets, on_target, transferable


def _pair_scores(
    on_target: np.ndarray, transferable: np.ndarray, similarity: np.ndarray, pw: PairingWeights
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`pairing_table`'s ``eligible``, ``lead_share`` and ``score`` (missing if not eligible)."""
    eligible = on_target >= pw.min_lead
    top = transferable[eligible].max() if eligible.any() else np.nan
    lead_share = np.where(eligible, transferable / top, np.nan)
    wl, ws = pw.lead, pw.similarity
    tot = wl + ws if wl + ws > 0 else 1.0
    with np.errstate(invalid="ignore"):
        score = np.maximum(lead_share, 0) ** (wl / tot) * np.maximum(similarity, 0) ** (ws / tot)
    return eligible, lead_share, np.where(eligible, score, np.nan)


def _ranking_order(eligible: np.ndarray, score: np.ndarray, iso3: pd.Index) -> np.ndarray:
    """Positions of the candidates in ranking order.

    Eligible first, then by score (highest first; a missing score counts as -1), ties by ISO3
    code: the order of `pairing_table`.
    """
    code = pd.factorize(iso3, sort=True)[0]
    return np.lexsort((code, -np.nan_to_num(score, nan=-1.0), ~eligible))


@dataclass(frozen=True)
class PairingReport:
    """An automatic-pairing table ready to show: the full ranking, its head, caption and prose."""

    table: pd.DataFrame
    shown: pd.DataFrame
    caption: str
    text: str


#: Number formats of the pairing table's shown columns (`report.show_table`).
PAIRING_FORMATS: Mapping[str, str] = {
    "rank": "{:d}",
    "similarity": "{:.2f}",
    "score": "{:.3f}",
    "lead": "{:+.3f}",
    "egdi_points": "{:+.4f}",
}
#: Columns of the pairing table shown in reports.
PAIRING_COLUMNS = (
    "rank",
    "country",
    "target",
    "lead",
    "egdi_points",
    "similarity",
    "score",
    "reasons",
)


def pairing_report(
    scores: pd.DataFrame,
    context: pd.DataFrame,
    focus: str,
    *,
    role: str,
    label: str,
    year: int,
    n_shown: int = 15,
    candidates: Iterable[str] | str | None = None,
    chosen: Iterable[str] | None = None,
    weights: PairingWeights | Mapping[str, float] | None = None,
    similarity_weights: SimilarityWeights | Mapping[str, float] | None = None,
    target: str | None = None,
) -> PairingReport:
    """Rank the partners of ``focus`` (`pairing_table`) and describe the ranking for the report.

    Parameters
    ----------
    scores : DataFrame
        `edition_scores` of the edition.
    context : DataFrame
        ``Context.data`` of the edition (`load_context`).
    focus : str
        ISO3 code of the country to pair; it must be assessed in the edition.
    role : {"mentor", "mentee"}
        Role of ``focus``; the candidates take the other role.
    label : str
        Start of the table caption, e.g. "Mentees proposed for Bahrain".
    year : int
        Survey edition (named in the caption and the prose).
    n_shown : int
        Eligible candidates shown in the table.
    candidates : group name, list of ISO3 codes or None
        Candidate partners (None: every assessed country).
    chosen : list of ISO3 codes, optional
        Partners already chosen: the text explains where each ranks and why (`explain_partner`).
    weights, similarity_weights, target
        See `pairing_table`.

    Returns
    -------
    PairingReport
        ``table`` (full ranking), ``shown`` (display columns of the first ``n_shown`` eligible
        rows, target in capitals), ``caption`` and ``text`` (Markdown).
    """
    t = pairing_table(
        scores,
        context,
        focus,
        role=role,
        candidates=candidates,
        weights=weights,
        similarity_weights=similarity_weights,
        target=target,
    )
    ok = t[t["eligible"]]
    shown = ok.head(n_shown)[list(PAIRING_COLUMNS)].copy()
    shown["target"] = shown["target"].map(lambda c: SHORT_LABELS.get(c, c))
    partner = "mentee" if role == "mentor" else "mentor"
    caption = (
        f"{label} ({year}): the {len(shown)} best of {len(ok)} eligible {partner}s "
        f"({len(t) - len(ok)} without a lead of at least {t.attrs['min_lead']:g} on the target)"
    )
    parts = []
    if t.attrs["dropped"]:
        names = join_names([country_name(c) for c in t.attrs["dropped"]])
        parts.append(f"Not assessed in {year}, so not ranked: {names}.")
    if len(ok):
        top = ok.iloc[0]
        # Its reasons are in the table's first row: not repeated here.
        parts.append(
            f"Best-scoring {partner} for {country_name(focus)}: **{top['country']}** (the first "
            "row of the table)."
        )
    else:
        parts.append(
            f"No candidate qualifies: none has a lead of at least {t.attrs['min_lead']:g} "
            "on the target component."
        )
    for c in chosen or ():
        parts.append(explain_partner(t, iso3_code(c)))
    return PairingReport(table=t, shown=shown, caption=caption, text="\n\n".join(parts))


@dataclass(frozen=True)
class Proposal:
    """Partners proposed for a country: the ranking, its sensitivity and the chosen partner(s)."""

    report: PairingReport
    sensitivity: pd.DataFrame
    chosen: list[str]  # the run's mentor, placed among proposed mentors (else empty)


def propose(
    scores: pd.DataFrame,
    context: Context,
    focus: str,
    *,
    year: int,
    mentor: str | None = None,
    mentees_too: bool = True,
    n_shown: int = 15,
    **weighting,
) -> list[Proposal]:
    """The partners proposed for ``focus``, each ranking with its `pairing_sensitivity`.

    Mentors for ``focus`` and, with ``mentees_too``, mentees; ``mentor`` (the run's mentor, if
    it is not ``focus``) is placed among the proposed mentors. ``weighting``: ``weights``,
    ``similarity_weights`` and ``target`` of `pairing_table`. Empty if ``focus`` is not assessed.
    """
    out = []
    roles = [("mentee", "Mentors"), ("mentor", "Mentees")][: 2 if mentees_too else 1]
    for role, label in roles if focus in scores.index else ():
        chosen = [mentor] if role == "mentee" and mentor not in (None, focus) else []
        rep = pairing_report(
            scores,
            context.data,
            focus,
            role=role,
            chosen=chosen or None,
            label=f"{label} proposed for {country_name(focus)}",
            year=year,
            n_shown=n_shown,
            **weighting,
        )
        sens = pairing_sensitivity(
            scores, context.data, focus, role=role, chosen=chosen, features=context.features,
            **weighting,
        )  # fmt: skip
        out.append(Proposal(rep, sens, chosen))
    return out


def explain_partner(table: pd.DataFrame, iso3: str) -> str:
    """Why a chosen partner ranks where it does in a `pairing_table` (one paragraph)."""
    focus, role = table.attrs["focus"], table.attrs["role"]
    partner = "mentee" if role == "mentor" else "mentor"
    name = country_name(iso3)
    rows = table.set_index("iso3")
    if iso3 not in rows.index:
        return f"{name} is not among the candidates (not assessed in this edition or excluded)."
    r = rows.loc[iso3]
    n_ok = int(table["eligible"].sum())
    leads = ", ".join(f"{SHORT_LABELS[c]} {r[f'lead_{c}']:+.3f}" for c in COMPONENTS)
    if not bool(r["eligible"]):
        why = (
            f"the mentor has no lead on any EGDI component ({leads})"
            if pd.isna(r["target"])
            else f"the mentor's lead on {SHORT_LABELS[r['target']]} is {r['lead']:+.3f}, below "
            f"the {table.attrs['min_lead']:g} that counts as a lead (all leads: {leads})"
        )
        return f"**{name}** is not eligible as a {partner} of {country_name(focus)}: {why}."
    ok = table[table["eligible"]]
    lead_rank = int((ok["lead_share"] > r["lead_share"]).sum()) + 1
    sim_rank = int((ok["similarity"] > r["similarity"]).sum()) + 1
    text = (
        f"**{name}** ranks {int(r['rank'])} of {n_ok} eligible {partner}s (score "
        f"{r['score']:.3f}). Target {SHORT_LABELS[r['target']]}: lead {r['lead']:+.3f} "
        f"({r['egdi_points']:+.4f} EGDI points), {ordinal(lead_rank)} largest of the "
        f"{n_ok}; similarity {r['similarity']:.2f}, {ordinal(sim_rank)} highest "
        f"({_similarity_words(r)})."
    )
    if lead_rank <= max(3, n_ok // 10) and sim_rank > n_ok // 2:
        text += (
            " Its large lead is held back by low similarity: a mentor this far ahead operates "
            "in a different context, which is what the score discounts."
        )
    elif sim_rank <= max(3, n_ok // 10) and lead_rank > n_ok // 2:
        text += " It is a close peer, but the lead to transfer is small."
    return text


def _similarity_words(r) -> str:
    parts = []
    for f in SIMILARITY_FEATURES:
        v = r[f"sim_{f}"]
        if pd.notna(v):
            parts.append(f"{FEATURE_LABELS[f]} {v:.2f}")
    return ", ".join(parts)


#: Variants of the pairing weights compared in `pairing_sensitivity`: (label, pairing weights,
#: similarity weights).
#: The first variant ("as chosen") keeps the report's own weights and is labelled with them.
SENSITIVITY_VARIANTS: tuple[tuple[str, Mapping[str, float], Mapping[str, float]], ...] = (
    ("as chosen", {}, {}),
    ("lead 0.75, similarity 0.25", {"lead": 0.75, "similarity": 0.25}, {}),
    ("lead 0.25, similarity 0.75", {"lead": 0.25, "similarity": 0.75}, {}),
    ("minimum lead 0.02", {"min_lead": 0.02}, {}),
    ("minimum lead 0.10", {"min_lead": 0.10}, {}),
    *((f"similarity without {FEATURE_LABELS[f]}", {}, {f: 0.0}) for f in SIMILARITY_FEATURES),
)


def pairing_sensitivity(
    scores: pd.DataFrame,
    context: pd.DataFrame,
    focus: str,
    *,
    role: str,
    chosen: Iterable[str] = (),
    candidates: Iterable[str] | str | None = None,
    weights: PairingWeights | Mapping[str, float] | None = None,
    similarity_weights: SimilarityWeights | Mapping[str, float] | None = None,
    target: str | None = None,
    variants=SENSITIVITY_VARIANTS,
    n_top: int = 3,
    features: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The pairing under other weights: the top candidates and the rank of each chosen partner.

    Each variant changes the given pairing and similarity weights by its overrides (a feature
    weight of 0 drops that feature). With ``features`` (`Context.features`, those with data in
    the edition), a variant that drops a feature without data, or one already weighted 0, is
    left out: it would repeat the first row.

    Returns
    -------
    DataFrame
        One row per variant: ``variant``, ``eligible`` (count), ``top`` (the ``n_top`` best, by
        name) and one column per chosen partner with its rank (missing = not eligible).
    """
    base_p = PairingWeights.from_mapping(weights).__dict__
    base_s = SimilarityWeights.from_mapping(similarity_weights).__dict__
    chosen = [iso3_code(c) for c in chosen]
    have = set(SIMILARITY_FEATURES if features is None else features)
    # The variants change weights only: the candidates, their leads and their similarity on
    # each feature are the same for all of them, so they are computed once and each variant is
    # a few array operations (the same functions as `pairing_table`, so the same ranks; a
    # pairing table per variant cost about 40 ms, eleven per ranking).
    ranking = _SensitivityRanking(scores, context, focus, role, candidates, target)
    rows = []
    for label, pw, sw in variants:
        dropped = [f for f, v in sw.items() if v == 0]
        if any(f not in have or base_s.get(f, 0) == 0 for f in dropped):
            continue
        if pw and all(base_p.get(k) == v for k, v in pw.items()):
            continue  # the report's own weights already: the first row
        if not pw and not sw:
            label = (
                f"as chosen (lead {base_p['lead']:g}, similarity {base_p['similarity']:g}, "
                f"minimum lead {base_p['min_lead']:g})"
            )
        eligible, order = ranking.rank(
            PairingWeights.from_mapping({**base_p, **pw}),
            SimilarityWeights.from_mapping({**base_s, **sw}),
        )
        ok = order[: int(eligible.sum())]
        row = {
            "variant": label,
            "eligible": len(ok),
            "top": ", ".join(country_name(ranking.pool[k]) for k in ok[:n_top]),
        }
        rank_of = {ranking.pool[k]: r for r, k in enumerate(ok, 1)}
        for c in chosen:
            row[country_name(c)] = rank_of.get(c, pd.NA)
        rows.append(row)
    out = pd.DataFrame(rows)
    for c in chosen:
        out[country_name(c)] = out[country_name(c)].astype("Int64")
    return out


class _SensitivityRanking:
    """The parts of `pairing_table` that no weight changes, to rank candidates under many weights.

    Parameters are those of `pairing_table`.
    """

    def __init__(self, scores, context, focus, role, candidates, target):
        focus = _checked_focus(scores, focus, role, target)
        self.context, self.focus = context, focus
        self.pool, _ = _candidate_pool(scores, focus, candidates)
        _, _, self.on_target, self.transferable = _pair_leads(
            scores, focus, self.pool, role, target, _transfer_weights(TRANSFER_AREAS)
        )
        self._features: dict[float, np.ndarray] = {}  # per population scale

    def rank(self, pw: PairingWeights, sw: SimilarityWeights) -> tuple[np.ndarray, np.ndarray]:
        """Which candidates are eligible (pool order) and all candidates in ranking order."""
        decades = sw.population_decades
        if decades not in self._features:
            per_feature = _feature_similarities(self.context, self.focus, decades)
            self._features[decades] = _feature_matrix(per_feature.reindex(self.pool))
        similarity, _ = _weighted_similarity(self._features[decades], _feature_weights(sw))
        eligible, _, score = _pair_scores(self.on_target, self.transferable, similarity, pw)
        return eligible, _ranking_order(eligible, score, self.pool)


def _short_income(group: str) -> str:
    return str(group).removesuffix(" income") if isinstance(group, str) else "unknown"


def _fmt_pop(p: float) -> str:
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "n/a"
    return f"{p / 1e6:.1f} M" if p >= 1e5 else f"{p / 1e3:.0f} k"


def _region_reason(sim: float, a: Mapping) -> str:
    """The region part of a pairing's reasons, from the region similarity ``sim``."""
    if pd.isna(sim):
        return "region unknown"
    if sim == 1:
        return f"same sub-region ({a.get('area', a['subregion'])})"
    if sim == 0.75:
        return f"same sub-region ({a['subregion']})"
    if sim == 0.5:
        return f"same region ({a['region']})"
    return "different region"


def _reasons(row, focus: str, role: str, context: Mapping[str, dict], pw: PairingWeights) -> str:
    """Why a candidate ranks where it does; ``context`` maps ISO3 to a row of the context."""
    mentor = focus if role == "mentor" else row.iso3
    mname = country_name(mentor)
    if not isinstance(row.target, str):
        head = f"{mname} has no lead on any EGDI component"
    else:
        head = f"{mname} leads on {SHORT_LABELS[row.target]} by {row.lead:.3f}" + (
            "" if row.eligible else f" (below the {pw.min_lead:g} that counts as a lead)"
        )
    a, b = context[focus], context[row.iso3]
    ctx = [_region_reason(row.sim_region, a)]
    if not pd.isna(row.sim_income):
        inc_b, inc_a = _short_income(b["income_group"]), _short_income(a["income_group"])
        ctx.append("same income group" if row.sim_income == 1 else f"income {inc_b} vs {inc_a}")
    if not pd.isna(row.sim_language):
        ctx.append(
            "shared official (or de facto official) language"
            if row.sim_language == 1
            else "no shared language"
        )
    if not pd.isna(row.sim_bodies):
        shared = sorted(set(a.get("bodies") or ()) & set(b.get("bodies") or ()))
        ctx.append("shared bodies: " + (", ".join(shared) if shared else "none"))
    if not pd.isna(row.sim_population):
        ctx.append(f"population {_fmt_pop(b['population'])} vs {_fmt_pop(a['population'])}")
    if not pd.isna(row.sim_gtmi):
        ctx.append(
            f"GTMI group {GTMI_LETTERS.get(int(b['gtmi_group']), '?')} vs "
            f"{GTMI_LETTERS.get(int(a['gtmi_group']), '?')}"
        )
    return f"{head}; similarity {row.similarity:.2f}: " + ", ".join(ctx) + "."


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------


@styled
def plot_pair_gaps(r: PairResult) -> plt.Figure:
    """Dot chart per component: mentor, mentee, feasible target and stepping stones."""
    if not r.ok:
        raise EgovError(f"no chart for {r.mentor}-{r.mentee} in {r.year}: {r.message}")
    comps = list(COMPONENTS)
    y = np.arange(len(comps))[::-1]
    fig, ax = plt.subplots(figsize=(9, 5.2))
    if len(r.stones):
        for i, c in enumerate(comps):
            vals = r.stones[c].to_numpy(dtype=float)
            ax.scatter(
                vals,
                np.full(len(vals), y[i]),
                s=40,
                color=PEER_COLOUR,
                alpha=0.55,
                zorder=2,
                label="Stepping stones" if i == 0 else None,
            )
    for i, c in enumerate(comps):
        m, e = r.gaps.loc[c, "mentor"], r.gaps.loc[c, "mentee"]
        ax.plot([e, m], [y[i], y[i]], color="#bbbbbb", lw=3, zorder=1)
        ft = r.priorities.loc[c, "feasible_target"]
        if not np.isnan(ft):
            ax.plot(
                [ft, ft],
                [y[i] - 0.22, y[i] + 0.22],
                color="#333333",
                lw=2,
                zorder=3,
                label="Feasible target (median of closest better peers)" if i == 0 else None,
            )
    ax.scatter(
        r.gaps["mentor"],
        y,
        s=110,
        color=FRONTIER_COLOUR,
        zorder=4,
        label=f"Mentor: {country_name(r.mentor)}",
    )
    ax.scatter(
        r.gaps["mentee"],
        y,
        s=110,
        color=FOCUS_COLOUR,
        zorder=4,
        label=f"Mentee: {country_name(r.mentee)}",
    )
    labels = [
        SHORT_LABELS[c]
        + (" ◀ target" if c == r.target else "")
        + ("\n(not in EGDI)" if c == "epi" else "")
        for c in comps
    ]
    ax.set_yticks(y, labels)
    ax.set_xlim(0, 1)  # a 0-1 index: markers at 1 are drawn unclipped
    for coll in ax.collections:
        coll.set_clip_on(False)
    ax.set_xlabel(f"Index score in {r.year} (0-1, relative to all countries in that edition)")
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.01), ncol=2, fontsize=9)
    stones = ", ".join(r.stones["iso3"]) if len(r.stones) else "none"
    sub = (
        f"{r.year} edition. Grey line = mentor's lead; stepping stones on "
        f"{SHORT_LABELS[r.target] if r.target else '-'}: {stones}."
    )
    return finish(
        fig,
        f"{country_name(r.mentor)} → {country_name(r.mentee)}: gap per component",
        _source_line(str(r.similarity_detail.get("features", ""))),
        subtitle=sub,
    )


def trajectories(
    panel: pd.DataFrame, countries: Iterable[str], up_to: int | None = None
) -> pd.DataFrame:
    """EGDI and component scores and rank of ``countries`` over the editions up to ``up_to``.

    NaN where not assessed; editions before a state joined the UN are left out.
    """
    codes = [iso3_code(c) for c in countries]
    t = panel[panel["iso3"].isin(codes)][
        ["iso3", "country", "year", "assessed", "rank", "egdi"] + list(COMPONENTS)
    ]
    if up_to is not None:
        t = t[t["year"] <= up_to]
    late = [(iso3, y) for y in t["year"].unique() for iso3 in not_yet_members(y)]
    if late:
        t = t[~pd.MultiIndex.from_frame(t[["iso3", "year"]]).isin(late)]
    return t.sort_values(["iso3", "year"]).reset_index(drop=True)


PEAK_COLUMNS = [
    "index",
    "era_start",
    "peak",
    "peak_year",
    "peak_rank",
    "latest",
    "latest_year",
    "latest_rank",
    "change_since_peak",
    "median_change",
    "net_change",
    "n_editions",
]


def peak_and_decline(
    panel: pd.DataFrame,
    iso3: str,
    year: int,
    indices: Iterable[str] = ("egdi", "osi", "hci", "tii", "epi"),
) -> pd.DataFrame:
    """A country's own best score on each index and how far it has fallen since, up to ``year``.

    The peak is sought within the current method era of the index (editions from its last
    documented method change up to ``year``), where levels are comparable; the change since the
    peak is set beside the median country's change over the same editions, so that a fall that
    every country shared is not read as the country's own decline. Rank is among the countries
    assessed in each edition.

    Returns
    -------
    DataFrame
        One row per index: ``index, era_start, peak, peak_year, peak_rank, latest, latest_year,
        latest_rank, change_since_peak, median_change`` (countries assessed in both editions),
        ``net_change`` (change minus the median) and ``n_editions`` (assessed in the era).
    """
    iso3 = iso3_code(iso3)
    rows = []
    ok = panel[panel["assessed"] & (panel["year"] <= year)]
    # the country's rows and each edition's scores selected once, not per index: the peak and
    # latest editions lie in the era, so an edition's rows need no era filter
    mine = ok[ok["iso3"] == iso3].set_index("year")
    by_year = {int(y): g.set_index("iso3") for y, g in ok.groupby("year")}
    for c in indices:
        starts = [b for b in method_breaks(c) if b <= year]
        era = max(starts) if starts else int(ok["year"].min())
        own = mine.loc[mine.index >= era, c].dropna()
        if own.empty:
            continue
        py, ly = int(own.idxmax()), int(own.index.max())
        a, b = by_year[py][c], by_year[ly][c]
        # rank among the assessed, ties sharing the best (rank(method="min")), for the two
        # editions needed only: 1 + the countries scoring strictly higher
        peak_rank, latest_rank = int((a > own[py]).sum()) + 1, int((b > own[ly]).sum()) + 1
        both = a.index.intersection(b.index)
        med = float((b[both] - a[both]).median()) if py != ly else 0.0
        change = float(own[ly] - own[py])
        rows.append(
            {
                "index": c,
                "era_start": era,
                "peak": float(own[py]),
                "peak_year": py,
                "peak_rank": peak_rank,
                "latest": float(own[ly]),
                "latest_year": ly,
                "latest_rank": latest_rank,
                "change_since_peak": change,
                "median_change": med,
                "net_change": change - med,
                "n_editions": len(own),
            }
        )
    # A country never assessed up to `year` gets an empty table with the usual columns.
    return pd.DataFrame(rows, columns=PEAK_COLUMNS)


def describe_peak(peaks: pd.DataFrame, iso3: str, tolerance: float = 0.02) -> str:
    """Generated sentence(s) on a country's own peaks and declines (`peak_and_decline`)."""
    name = country_name(iso3)
    if peaks.empty:
        return f"{name} has no assessed edition to compare."
    falls = peaks[(peaks["latest_year"] > peaks["peak_year"]) & (peaks["net_change"] < -tolerance)]
    if falls.empty:
        return (
            f"{name} is at or near its own best on every index in the current method era "
            f"(no fall of more than {tolerance:g} beyond the median country's change)."
        )
    parts = [
        f"{SHORT_LABELS[r['index']]} peaked at {r['peak']:.3f} in {r['peak_year']} (rank "
        f"{r['peak_rank']}) and stands at {r['latest']:.3f} in {r['latest_year']} (rank "
        f"{r['latest_rank']}): {r['change_since_peak']:+.3f}, of which "
        f"{r['net_change']:+.3f} beyond the median country's {r['median_change']:+.3f}"
        for _, r in falls.iterrows()
    ]
    return (
        f"{name} has been higher before: " + "; ".join(parts) + ". A twinning would start by "
        "finding out what was lost, not only what is missing."
    )


@styled
def plot_trajectories(
    panel: pd.DataFrame,
    mentor: str,
    mentees: Iterable[str],
    *,
    year: int,
    metrics: tuple[str, str] = ("egdi", "osi"),
) -> plt.Figure:
    """Scores of the mentor and the mentees over the editions up to ``year``, method changes marked.

    Each country's peak circled.
    """
    mentees = [iso3_code(m) for m in mentees]
    order = [iso3_code(mentor), *mentees]
    tr = trajectories(panel, order, up_to=year)
    position = tr["iso3"].map({c: i for i, c in enumerate(order)})
    tr = tr.assign(_o=position).sort_values(["_o", "year"])
    fig, axes = plt.subplots(1, len(metrics), figsize=(11, 4.8), sharey=True)
    palette = plt.get_cmap("tab10")
    mentor = order[0]
    colours: dict[str, str | tuple[float, float, float, float]] = {mentor: FRONTIER_COLOUR}
    for i, m in enumerate(mentees):
        colours[m] = FOCUS_COLOUR if i == 0 else palette((i + 1) % 10)
    years = sorted(tr["year"].unique())
    for ax, metric in zip(np.atleast_1d(axes), metrics, strict=True):
        for iso3, g in tr.groupby("iso3", sort=False):
            ax.plot(
                g["year"],
                g[metric],
                marker="o",
                ms=4,
                color=colours[iso3],
                lw=2.5 if iso3 == mentor else 2,
                label=country_name(iso3) + (" (mentor)" if iso3 == mentor else ""),
            )
            if iso3 != mentor and g[metric].notna().any():
                pk = g.loc[g[metric].idxmax()]
                ax.scatter(
                    [pk["year"]],
                    [pk[metric]],
                    s=110,
                    facecolor="none",
                    edgecolor=colours[iso3],
                    lw=1.5,
                    zorder=4,
                )
        mark_breaks(ax, metric, years)
        ax.set_title(SHORT_LABELS[metric], loc="left", fontsize=11, pad=14)
        ax.set_xlabel("Survey edition")
        ax.set_ylim(0, 1)
    np.atleast_1d(axes)[0].set_ylabel("Score (0-1, relative within each edition)")
    np.atleast_1d(axes)[0].legend(loc="lower right", fontsize=9)
    sub = (
        "Scores, not ranks. Dashed lines: documented method changes; circles: each mentee's own "
        "peak. Gaps in a line = not assessed."
    )
    return finish(
        fig,
        f"{' and '.join(SHORT_LABELS[m] for m in metrics)} of the mentor and mentees, "
        f"{years[0]}-{years[-1]}",
        f"{EGDI_SOURCE}, editions {years[0]}-{years[-1]}.",
        subtitle=sub,
    )


def describe_trajectories(panel: pd.DataFrame, countries: Iterable[str], year: int) -> str:
    """Generated prose: per country, editions not assessed and EGDI/OSI change up to ``year``.

    With the comparisons that cross a method change said as such.
    """
    lines = []
    tr = trajectories(panel, countries, up_to=year)
    for iso3, g in tr.groupby("iso3", sort=False):
        seen = g[g["assessed"]]
        missing = g.loc[~g["assessed"], "year"].tolist()
        name = country_name(iso3)
        if seen.empty:
            lines.append(f"- {name}: not assessed in any edition up to {year}.")
            continue
        first, last = seen.iloc[0], seen.iloc[-1]
        if len(seen) == 1:
            lines.append(
                f"- {name}: one edition up to {year} ({last['year']}): EGDI "
                f"{last['egdi']:.3f}, OSI {last['osi']:.3f}."
            )
            continue
        text = (
            f"- {name}: EGDI {first['egdi']:.3f} ({first['year']}) → {last['egdi']:.3f} "
            f"({last['year']}), OSI {first['osi']:.3f} → {last['osi']:.3f}"
        )
        crossed = [
            f"{SHORT_LABELS[k]} across the {join_names([str(b) for b in brk])} method "
            f"change{'s' if len(brk) > 1 else ''}"
            for k in ("egdi", "osi")
            if (brk := [b for b in method_breaks(k) if first["year"] < b <= last["year"]])
        ]
        if crossed:
            text += f" ({'; '.join(crossed)}: levels are not strictly comparable)"
        if missing:
            text += f"; not assessed in {join_names([str(y) for y in missing])}"
        lines.append(text + ".")
    return "\n".join(lines)


#: How the pairing is judged, for the report (no internal names).
METHOD_TEXT = (
    "- **Gap** = mentor's score − mentee's score on each component (0–1 scale). The EGDI is the "
    "mean of OSI, HCI and TII, so a gap *g* on one of them is worth *g*/3 EGDI points. The EPI "
    "is measured on the same portals as the OSI but is not part of the EGDI: its gap is worth "
    "no EGDI points.\n"
    "- **Feasible target** on a component = the median score of the mentee's closest context "
    "peers among the countries that score higher than it there; the **closable lead** is the "
    "part of the mentor's lead up to that target.\n"
    "- **Target component** = the one whose closable lead is worth most EGDI points, weighted by "
    "how transferable it is (table below); never the EPI unless a programme chooses it.\n"
    "- **Automatic pairing**: a candidate is eligible only if the mentor leads it on the target "
    "by at least the stated minimum (a hard constraint); eligible candidates are ranked by a "
    "weighted geometric mean of the lead and the context similarity (region, income, "
    "population, GovTech maturity, official language, regional bodies), so that similarity "
    "cannot make up for a missing lead."
)


def pair_alt(r: PairResult) -> str:
    """Alt text of `plot_pair_gaps`."""
    g = r.gaps
    return (
        f"Dot chart of {country_name(r.mentor)} and {country_name(r.mentee)} on OSI, HCI, TII "
        f"and EPI in {r.year}: the mentor leads by "
        + ", ".join(f"{SHORT_LABELS[c]} {g.loc[c, 'gap']:+.2f}" for c in COMPONENTS)
        + (f"; the target is {SHORT_LABELS[r.target]}." if r.target else "; no target.")
    )


def trajectories_alt(panel: pd.DataFrame, mentor: str, mentees: Iterable[str], year: int) -> str:
    """Alt text of `plot_trajectories`."""
    parts = []
    for m in mentees:
        pk = peak_and_decline(panel, m, year)
        if pk.empty:
            continue
        o = pk.set_index("index").loc["osi"]
        parts.append(
            f"{country_name(m)}'s OSI peaked at {o['peak']:.2f} in {int(o['peak_year'])} and is "
            f"{o['latest']:.2f} in {int(o['latest_year'])}"
        )
    return (
        f"Line charts of EGDI and OSI of {country_name(mentor)} and its mentees up to {year}, "
        "method changes marked. " + "; ".join(parts) + "."
    )


def sensitivity_prose(sens: pd.DataFrame, chosen: Iterable[str]) -> str:
    """Generated sentence on `pairing_sensitivity`: how stable each chosen partner's rank is."""
    parts = []
    for c in chosen:
        col = country_name(c)
        if col not in sens:
            continue
        r = sens[col].dropna()
        if r.empty:
            parts.append(f"{col} is not eligible under any variant")
            continue
        parts.append(
            f"{col} ranks between {int(r.min())} and {int(r.max())} across the "
            f"{len(sens)} variants"
            + ("" if len(r) == len(sens) else f" (not eligible in {len(sens) - len(r)})")
        )
    stable = stays_first(sens) / len(sens)
    ranks = "; ".join(parts) + ". " if parts else ""
    return (
        ranks
        + "The best-scoring candidate is the same in "
        + ("every variant" if stable == 1 else f"{stable:.0%} of the variants")
        + ". A rank that "
        "moves a lot with the weights is a judgement, not a finding."
    )


def sensitivity_caption(focus: str, role: str, year: int, chosen: Iterable[str] = ()) -> str:
    """Caption of a `pairing_sensitivity` table (``role``: the focus country's)."""
    partners = "mentees" if role == "mentor" else "mentors"
    return (
        f"Sensitivity of the {partners} ranked for {country_name(focus)} to the weights ({year}): "
        f"the three best {partners}"
        + (" and the rank of each chosen one" if list(chosen) else "")
        + " under each variant"
    )


def proposal_finding(
    rep: PairingReport, chosen: str | None = None, sensitivity: pd.DataFrame | None = None
) -> str:
    """One key finding on an automatic pairing for the run's focus country ("" if none).

    Names the best-scoring partner and, when a partner was chosen (the run's mentor), where it
    ranks; with ``sensitivity`` (`pairing_sensitivity` of ``rep``), how often the best stays first
    and the chosen partner's range of ranks across the weightings; says that the ranking rests
    on weights (a judgement).
    """
    t = rep.table
    ok = t[t["eligible"]]
    if not len(ok):
        return ""
    focus, role = t.attrs["focus"], t.attrs["role"]
    partner = "mentee" if role == "mentor" else "mentor"
    text = (
        f"For {country_name(focus)}, the best-scoring {partner} among {len(ok)} eligible is "
        f"{ok.iloc[0]['country']}" + _top_share(sensitivity)
    )
    if chosen is not None and chosen != ok.iloc[0]["iso3"]:
        rows = ok.set_index("iso3")
        spread = _rank_range(sensitivity, chosen)
        text += (
            f"; {country_name(chosen)}, this run's {partner}, ranks "
            f"{ordinal(int(rows.loc[chosen, 'rank']))}"
            + (f" ({spread} across them)" if spread else "")
            if chosen in rows.index
            else f"; {country_name(chosen)}, this run's {partner}, is not eligible"
        )
    return text + ". The ranking rests on chosen weights (a judgement), not on evidence."


def stays_first(sens: pd.DataFrame) -> int:
    """Variants of a `pairing_sensitivity` table under which the first row's best stays first."""
    top = sens["top"].str.split(", ").str[0]
    return int(top.eq(top.iloc[0]).sum())


def _top_share(sens: pd.DataFrame | None) -> str:
    """How often the best candidate stays first (empty without a sensitivity table).

    E.g. ", first under 83% of the 6 variants of the weights tried".
    """
    if sens is None or not len(sens):
        return ""
    share = stays_first(sens) / len(sens)
    if share == 1:
        return f", first under all {len(sens)} variants of the weights tried"
    return f", first under {share:.0%} of the {len(sens)} variants of the weights tried"


def _rank_range(sens: pd.DataFrame | None, country: str) -> str:
    """A chosen partner's ranks across the weightings, e.g. "17th to 92nd" ("" if never ranked)."""
    name = country_name(country)
    if sens is None or name not in sens or sens[name].isna().all():
        return ""
    lo, hi = int(sens[name].min()), int(sens[name].max())
    return ordinal(lo) + ("" if lo == hi else f" to {ordinal(hi)}")


def _ranking_spread(sens: pd.DataFrame | None, chosen: Iterable[str]) -> str:
    """How stable the pairing ranking is, for its key finding (empty without a sensitivity table).

    E.g. ", first under 83% of the 6 variants of the weights tried; Tunisia ranks 32nd (17th
    to 92nd across them)".
    """
    if sens is None:
        return ""
    ranges = []
    for c in chosen:
        name, spread = country_name(c), _rank_range(sens, c)
        if not spread:
            continue
        as_chosen = sens[name].iloc[0]  # the first row: the report's own weights
        if " to " not in spread:
            ranges.append(f"{name} ranks {spread} under all of them")
        elif pd.isna(as_chosen):
            ranges.append(f"{name} is not eligible as chosen ({spread} under the others)")
        else:
            ranges.append(f"{name} ranks {ordinal(int(as_chosen))} ({spread} across them)")
    return _top_share(sens) + ("; " + ", ".join(ranges) if ranges else "")


def key_findings(
    results: Mapping[str, PairResult],
    auto: PairingReport | None,
    panel: pd.DataFrame,
    year: int,
    proposals: Sequence[Proposal] = (),
    mentor: str | None = None,
    sensitivity: pd.DataFrame | None = None,
) -> list[str]:
    """Three to five headline sentences for notebook 06, each saying how sure we are.

    Parameters
    ----------
    results : mapping
        `analyse_pair` per mentee.
    auto : PairingReport or None
        Mentees proposed for the mentor; summarised only when it is shown (the mentor is the
        run's focus).
    panel : DataFrame
        The EGDI panel.
    year : int
        Survey edition.
    proposals : sequence of Proposal
        Partners proposed for the run's focus country (`propose`, ``propose_for``): when given,
        the key findings lead with them, because they are what the run asked for, with how often
        the best stays first and the run's mentor's range of ranks.
    mentor : str, optional
        The run's mentor, whose rank among the proposed mentors is named.
    sensitivity : DataFrame, optional
        `pairing_sensitivity` of ``auto``: the ranking's finding then gives how often its best
        candidate stays first and the range of each chosen mentee's rank across the weights.
    """
    # The run's mentor is placed only among the mentors proposed for the focus country.
    found = (
        proposal_finding(p.report, mentor if p.chosen else None, p.sensitivity) for p in proposals
    )
    out = [f for f in found if f]
    for m, r in results.items():
        if not r.ok:
            out.append(r.message.replace("**", ""))
            continue
        if r.target is None:
            out.append(
                f"{country_name(r.mentor)} has no lead over {country_name(m)} that similar "
                f"countries show to be feasible in {year}: no transfer area is proposed."
            )
            continue
        p = r.priorities.loc[r.target]
        out.append(
            f"{country_name(r.mentor)} → {country_name(m)}: the target is "
            f"{SHORT_LABELS[r.target]}, where {p['closable']:.3f} of a {p['gap']:.3f} lead is "
            f"within reach of countries like {country_name(m)} ({p['closable_egdi_points']:.4f} "
            "EGDI points). Arithmetic on published scores; the feasible part rests on peers."
        )
    for m in results:
        pk = peak_and_decline(panel, m, year)
        falls = pk[(pk["latest_year"] > pk["peak_year"]) & (pk["net_change"] < -0.02)]
        falls = falls[falls["index"].isin(EGDI_COMPONENTS)]
        if len(falls):
            f = falls.sort_values("net_change").iloc[0]
            out.append(
                f"{country_name(m)} has been higher: its {SHORT_LABELS[f['index']]} was "
                f"{f['peak']:.3f} in {f['peak_year']} and is {f['latest']:.3f} in {year} "
                f"({f['net_change']:+.3f} beyond the median country). Published scores."
            )
    if auto is not None and len(auto.table):
        t = auto.table
        ok = t[t["eligible"]]
        if len(ok):
            out.append(
                f"Among {len(ok)} eligible mentees of {country_name(t.attrs['focus'])}, the "
                f"best-scoring is {ok.iloc[0]['country']}"
                + _ranking_spread(sensitivity, results)
                + "; the ranking is a judgement (weights), and its sensitivity is shown below."
            )
    return out[:5] if len(out) >= 1 else ["No pair could be analysed for this edition."]


__all__ = [
    "BODY_NAMES",
    "COMPONENTS",
    "HCI_BREAKS",
    "METHOD_BREAKS",
    "MIN_LEAD",
    "PAIRING_COLUMNS",
    "PAIRING_FORMATS",
    "PRIORITY_COLUMNS",
    "REGIONAL_BODIES",
    "SENSITIVITY_VARIANTS",
    "FEATURE_LABELS",
    "context_text",
    "SIMILARITY_FEATURES",
    "TRANSFER_AREAS",
    "Context",
    "Membership",
    "PairResult",
    "PairingReport",
    "PairingWeights",
    "SimilarityWeights",
    "TransferArea",
    "analyse_pair",
    "bodies_of",
    "component_gaps",
    "context_similarity",
    "describe_jumps",
    "describe_pair",
    "describe_peak",
    "describe_trajectories",
    "key_findings",
    "proposal_finding",
    "Proposal",
    "propose",
    "stays_first",
    "pair_alt",
    "sensitivity_caption",
    "sensitivity_prose",
    "trajectories_alt",
    "METHOD_TEXT",
    "edition_changes",
    "edition_scores",
    "explain_partner",
    "historical_jumps",
    "history_intro",
    "jumps_display",
    "iso3_code",
    "load_context",
    "nearest_better_peers",
    "not_assessed_message",
    "official_languages",
    "pairing_report",
    "pairing_sensitivity",
    "pairing_table",
    "peak_and_decline",
    "plot_pair_gaps",
    "plot_trajectories",
    "priority_table",
    "stepping_stones",
    "trajectories",
    "transfer_priorities",
    "transfer_table",
]
