"""Digital twinning: component gaps, feasible targets, stepping stones, history and pairing."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .countries import country_name, country_table, resolve_group
from .errors import EgovError
from .panel import build_panel, covariate_catalogue, editions, load_egdi_panel
from .plots import FOCUS_COLOUR, FRONTIER_COLOUR, PEER_COLOUR, finish
from .readers import variables
from .report import show_markdown, show_table
from .standing import EGDI_SOURCE
from .vocabulary import EGDI_WEIGHTS, INDEX_LABELS, SHORT_LABELS, method_breaks

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
    "population": "World Bank WDI population",
    "gtmi": "World Bank GovTech Maturity Index groups",
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
    """

    component: str
    weight: float
    horizon: str
    why: str


#: Transferability of each component (a judgement, stated as data so that it can be changed and
#: the ranking regenerated). Based on what each index measures in the UN method.
TRANSFER_AREAS: tuple[TransferArea, ...] = (
    TransferArea(
        "osi",
        1.0,
        "1-3 years",
        "online services (portal, service catalogue, single sign-on, interoperability, "
        "institutional and legal framework) are built by administrations: know-how, "
        "standards and software a partner can share",
    ),
    TransferArea(
        "epi",
        0.9,
        "1-3 years",
        "e-participation (e-information, online consultation, open data, feedback "
        "channels) is portal content and procedure, so transferable; it also depends on "
        "political will",
    ),
    TransferArea(
        "tii",
        0.25,
        "3-10 years",
        "telecom infrastructure (internet users, mobile and fixed broadband) needs "
        "investment and market reform; a partner can advise on regulation and spectrum, "
        "not build the networks",
    ),
    TransferArea(
        "hci",
        0.1,
        "a generation",
        "human capital (adult literacy, enrolment, years of schooling) moves with the "
        "school system over decades; digital-skills programmes are not measured by it",
    ),
)


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
    """The per-pair gap table for reports: `PRIORITY_COLUMNS` of ``r.priorities``, components
    in capitals, in priority order (empty if the pair could not be analysed)."""
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
    population_decades : float
        Population ratio (in powers of ten) at which the population similarity reaches 0.
    """

    region: float = 1.0
    income: float = 1.0
    population: float = 1.0
    gtmi: float = 1.0
    population_decades: float = 2.0

    @classmethod
    def from_mapping(cls, m: Mapping[str, float] | None) -> SimilarityWeights:
        """Build from a dict (notebook parameter); unknown keys are an error."""
        return _from_mapping(cls, m)


@dataclass(frozen=True)
class PairingWeights:
    """Weights of the automatic pairing score = lead * transferable lead + similarity * similarity.

    Both parts are on a 0-1 scale: the transferable lead is the transferability-weighted mean of
    the mentor's positive lead (in index points) on the four components, the similarity is
    `context_similarity`.
    """

    lead: float = 0.5
    similarity: float = 0.5

    @classmethod
    def from_mapping(cls, m: Mapping[str, float] | None) -> PairingWeights:
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
        raise EgovError(f"unknown {cls.__name__} key(s) {bad}; valid keys: {sorted(known)}")
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
CONTEXT_COVARIATES: Mapping[str, str] = {"population": "population", "gtmi_group": "gtmi"}


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


def load_context(year: int, *, lag: int = 1) -> Context:
    """Context features for edition ``year``: region, income group, population, GTMI group.

    Covariates are joined with `egovlib.build_panel`'s vintage rule (latest reference year not
    after ``year - lag``). A covariate that no reader provides (yet), or that has no value for
    this edition, is reported in ``notes`` and left out of the similarity; nothing is filled in.
    Income groups are the World Bank's current classification (the metadata carries no history).
    """
    known = set(covariate_catalogue())
    present = [c for c in CONTEXT_COVARIATES if c in known]
    notes = [
        f"Income group: current World Bank classification (not the one of {year}); "
        "region: UN M49 region and sub-region."
    ]
    for c in CONTEXT_COVARIATES:
        if c not in known:
            notes.append(
                f"Covariate `{c}` is not available (no reader provides it), so "
                f"{CONTEXT_COVARIATES[c]} is left out of the similarity."
            )
    panel = build_panel([year], present, lag=lag)
    d = panel.data.set_index("iso3")
    ctx = pd.DataFrame(index=d.index)
    ctx["country"] = d["country"]
    for col in ("region", "subregion", "income_group"):
        ctx[col] = d[col]
    inter = country_table()["intermediate_region"].reindex(ctx.index)
    ctx["area"] = inter.where(inter.notna() & (inter != ""), ctx["subregion"])
    ctx["income_level"] = d["income_group"].map(INCOME_LEVELS).astype("Float64").astype(float)
    ref = panel.ref_years.set_index("iso3")
    for cov, out in (("population", "population"), ("gtmi_group", "gtmi_group")):
        ctx[out] = d[cov].astype(float) if cov in d else np.nan
        ctx[f"{out}_year"] = ref[cov].astype(float) if cov in ref else np.nan
    ctx["log10_population"] = np.log10(ctx["population"].where(ctx["population"] > 0))
    features = ["region", "income"]
    for cov, feat in CONTEXT_COVARIATES.items():
        col = "population" if cov == "population" else "gtmi_group"
        n = int(ctx[col].notna().sum())
        if cov in present and n == 0:
            notes.append(
                f"Covariate `{cov}` has no value for the {year} edition under the vintage "
                f"rule ({panel.rule}), so {feat} is left out of the similarity."
            )
        elif n:
            yrs = sorted({int(y) for y in ctx[f"{col}_year"].dropna()})
            label = variables()[cov].label if cov in variables() else cov.replace("_", " ")
            notes.append(
                f"{label}: {n} of {len(ctx)} countries, reference "
                f"year(s) {_year_span(yrs)} ({panel.rule})."
            )
            features.append(feat)
    return Context(data=ctx, notes=notes, features=features)


def _year_span(yrs: list[int]) -> str:
    if not yrs:
        return "none"
    return str(yrs[0]) if len(yrs) == 1 else f"{yrs[0]}-{yrs[-1]}"


def context_similarity(
    context: pd.DataFrame, iso3: str, weights: SimilarityWeights | Mapping[str, float] | None = None
) -> pd.DataFrame:
    """Similarity of every country to ``iso3`` on the context features.

    Parameters
    ----------
    context : DataFrame
        Index iso3 with columns ``region, subregion``, optional ``area`` (intermediate region,
        else sub-region), ``income_level, log10_population, gtmi_group`` (values may be missing;
        see `load_context`).
    iso3 : str
        The reference country.
    weights : SimilarityWeights or dict, optional

    Returns
    -------
    DataFrame
        Index iso3; ``sim_region, sim_income, sim_population, sim_gtmi`` (missing where either
        country lacks the feature), ``similarity`` (weighted mean of the known ones, in [0, 1])
        and ``features`` (the features used, comma-separated).
    """
    w = SimilarityWeights.from_mapping(weights)
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
    out["sim_population"] = (1 - dpop / w.population_decades).clip(lower=0)
    out["sim_gtmi"] = 1 - (context["gtmi_group"] - ref["gtmi_group"]).abs() / 3
    wts = pd.Series(
        {
            "sim_region": w.region,
            "sim_income": w.income,
            "sim_population": w.population,
            "sim_gtmi": w.gtmi,
        }
    )
    sims = out[wts.index].astype(float)
    known = sims.notna()
    wsum = known.mul(wts, axis=1).sum(axis=1)
    out["similarity"] = sims.fillna(0).mul(wts, axis=1).sum(axis=1) / wsum.where(wsum > 0)
    names = [c.removeprefix("sim_") for c in wts.index]
    out["features"] = [
        ", ".join(n for n, k, wt in zip(names, row, wts, strict=True) if k and wt > 0)
        for row in known.to_numpy()
    ]
    return out


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
    transferability x closable. The first row (highest priority) is the target component.

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
    t["priority"] = t["transferability"] * t["closable"]
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
) -> pd.DataFrame:
    """Countries most similar to the mentee that reach ``threshold`` on ``component``.

    Ties in similarity are broken by the higher score, then the ISO3 code.

    Returns
    -------
    DataFrame
        ``iso3, similarity, <component>`` and the other component scores, most similar first.
    """
    s = scores[component]
    ok = s.index[(s >= threshold) & ~s.index.isin(list(exclude))]
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
    """Markdown message for a country not assessed in ``year``, naming the editions it is in."""
    years = panel.loc[(panel["iso3"] == iso3) & panel["assessed"], "year"].tolist()
    when = (
        f"It is assessed in {', '.join(map(str, years))}."
        if years
        else "It is not assessed in any edition in the data."
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
) -> PairResult:
    """Gaps, feasible targets, transfer priorities and stepping stones for one pair.

    Feasible target on a component = median score of the mentee's ``n_peers`` closest context
    peers that score higher than the mentee on it (`nearest_better_peers`; mentor excluded).
    Stepping stones = the ``n_stepping_stones`` countries most similar to the mentee that reach the
    feasible target on the target component (mentor and mentee excluded).

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
    order = [f"{SHORT_LABELS[c]} (priority {p.loc[c, 'priority']:.3f})" for c in p.index]
    lines.append(
        "Transfer areas in order (priority = transferability x feasible part of the "
        "lead): " + ", ".join(order) + "."
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
            f"Stepping stones (similar to {b} and at or above the feasible target on "
            f"{SHORT_LABELS[t]}): {names}."
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
    the mean, 2008 and 2010). Scores are relative within an edition, so a gain means catching up
    on the other countries, not an absolute improvement.

    Parameters
    ----------
    up_to : int, optional
        Keep steps that end in or before this edition (a report on an edition uses only the past).
    breaks : editions whose scores are not comparable with the previous edition.
    include_breaks : bool
        Keep steps into a break edition (flagged in ``crosses_break``); default drop them.
    """
    eds = editions()
    steps = list(zip(eds[:-1], eds[1:], strict=True))
    cols = ["egdi", *COMPONENTS]
    wide = panel[panel["assessed"]].set_index(["iso3", "year"])[cols]
    parts = []
    for y0, y1 in steps:
        if up_to is not None and y1 > up_to:
            continue
        brk = y1 in set(breaks)
        if brk and not include_breaks:
            continue
        a = wide.xs(y0, level="year")
        b = wide.xs(y1, level="year")
        both = a.index.intersection(b.index)
        d = pd.DataFrame({"iso3": both, "from_year": y0, "to_year": y1, "crosses_break": brk})
        for c in cols:
            d[f"{c}_start"] = a.loc[both, c].to_numpy()
            d[f"{c}_end"] = b.loc[both, c].to_numpy()
            d[f"d_{c}"] = d[f"{c}_end"] - d[f"{c}_start"]
        for c in ("osi", "hci", "tii"):
            d[f"contrib_{c}"] = d[f"d_{c}"] * EGDI_WEIGHTS[c]
        d["residual"] = d["d_egdi"] - d[["contrib_osi", "contrib_hci", "contrib_tii"]].sum(axis=1)
        # an exact 0 in an assessed country is either the edition's minimum or, e.g. for the
        # HCI of small states in 2003-2005, the publisher's placeholder for missing data
        ends = [f"{c}_{e}" for c in ("osi", "hci", "tii") for e in ("start", "end")]
        d["zero_component"] = (d[ends] == 0).any(axis=1)
        parts.append(d)
    if not parts:
        return pd.DataFrame()
    return pd.concat(parts, ignore_index=True)


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
) -> pd.DataFrame:
    """The largest gains in ``metric`` between consecutive editions from a similar starting level.

    Similar = the ``metric`` at the start edition within ``level +/- band``. Each row decomposes
    the EGDI gain into thirds of the OSI, HCI and TII changes and names the main driver. Steps
    where OSI, HCI or TII is exactly 0 at either end are left out by default
    (``drop_zero_components``): such zeros mostly mark missing component data (the HCI of
    Andorra, Liechtenstein, Monaco and other small states in 2003-2005), so the "gain" would be an
    artefact. The number left out is in ``attrs['dropped_zero']``.

    Returns
    -------
    DataFrame
        ``iso3, country, from_year, to_year, <metric>_start, <metric>_end, d_<metric>, d_egdi,
        contrib_osi, contrib_hci, contrib_tii, residual, driver``, largest gain first (ties by
        ISO3). Empty when no consecutive-edition step ends by ``up_to``.
    """
    if metric not in ("egdi", *COMPONENTS):
        raise EgovError(f"metric must be one of egdi, {', '.join(COMPONENTS)}; got {metric!r}")
    ch = edition_changes(panel, up_to=up_to, include_breaks=include_breaks)
    if ch.empty:
        return ch
    ch = ch[(ch[f"{metric}_start"] - level).abs() <= band].dropna(subset=[f"d_{metric}"])
    dropped_zero = int(ch["zero_component"].sum()) if drop_zero_components else 0
    if drop_zero_components:
        ch = ch[~ch["zero_component"]]
    ch = ch.sort_values([f"d_{metric}", "iso3", "to_year"], ascending=[False, True, True]).head(n)
    contrib = ch[["contrib_osi", "contrib_hci", "contrib_tii"]]
    ch["driver"] = contrib.idxmax(axis=1).str.removeprefix("contrib_").str.upper()
    ch.insert(1, "country", [country_name(i) for i in ch["iso3"]])
    keep = [
        "iso3",
        "country",
        "from_year",
        "to_year",
        f"{metric}_start",
        f"{metric}_end",
        f"d_{metric}",
        *([] if metric == "egdi" else ["d_egdi"]),
        "contrib_osi",
        "contrib_hci",
        "contrib_tii",
        "residual",
        "driver",
        "crosses_break",
    ]
    out = ch[keep].reset_index(drop=True)
    out.attrs["dropped_zero"] = dropped_zero
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
    tot = jumps[["contrib_osi", "contrib_hci", "contrib_tii"]].sum()
    share = tot / tot.abs().sum() if tot.abs().sum() > 0 else tot * np.nan
    drivers = jumps["driver"].value_counts()
    top = jumps.iloc[0]
    hci_break = jumps["to_year"].isin(HCI_BREAKS)
    extra = ""
    if hci_break.any():
        k = int(hci_break.sum())
        extra += (
            f" {k} of these steps {'ends' if k == 1 else 'end'} in "
            f"{', '.join(map(str, HCI_BREAKS))}, when the HCI definition changed, so their "
            "HCI contribution is partly a change of yardstick."
        )
    if jumps.attrs.get("dropped_zero"):
        extra += (
            f" {jumps.attrs['dropped_zero']} step(s) from a similar level were left out "
            "because a component is published as exactly 0 at one end (mostly missing "
            "data, not a score)."
        )
    return (
        f"The {len(jumps)} largest {m} gains from a starting {m} within ±{band:.2f} of {who} "
        f"({level:.3f}) range from {jumps[f'd_{metric}'].min():+.3f} to {top[f'd_{metric}']:+.3f} "
        f"(largest: {top['country']}, {top['from_year']}→{top['to_year']}). Across them the EGDI "
        f"gain came {share['contrib_osi']:.0%} from OSI, {share['contrib_hci']:.0%} from HCI and "
        f"{share['contrib_tii']:.0%} from TII; the OSI was the main driver in "
        f"{int(drivers.get('OSI', 0))} of {len(jumps)} cases. Scores are relative within an "
        "edition, so these are gains on the other countries, not absolute progress." + extra
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
    candidates: Iterable[str] | None = None,
    weights: PairingWeights | Mapping[str, float] | None = None,
    similarity_weights: SimilarityWeights | Mapping[str, float] | None = None,
    areas: Iterable[TransferArea] = TRANSFER_AREAS,
) -> pd.DataFrame:
    """Rank candidate partners of ``focus`` by a transparent pairing score.

    ``role="mentor"``: ``focus`` is the mentor and candidates are mentees; ``role="mentee"``:
    ``focus`` is the mentee and candidates are mentors. For each pair

    * ``lead`` = sum_c w_c max(0, mentor_c - mentee_c) / sum_c w_c over OSI, HCI, TII, EPI with
      transferability weights w_c (`TRANSFER_AREAS`), in index points;
    * ``similarity`` = `context_similarity` of the two countries;
    * ``score`` = weights.lead x lead + weights.similarity x similarity.

    Candidates not assessed in the edition are dropped (listed in the ``attrs['dropped']``). Ties
    are broken by ISO3 code, so the table is deterministic.

    Returns
    -------
    DataFrame
        ``rank, iso3, country, score, lead, similarity``, per-component leads ``lead_<c>``,
        per-feature similarities, and ``reasons`` (generated text).
    """
    if role not in ("mentor", "mentee"):
        raise EgovError(f"role must be 'mentor' or 'mentee', got {role!r}")
    pw = PairingWeights.from_mapping(weights)
    w = _transfer_weights(areas)
    focus = iso3_code(focus)
    if focus not in scores.index:
        raise EgovError(
            f"{country_name(focus)} ({focus}) was not assessed in this edition; "
            "automatic pairing needs its scores"
        )
    if candidates is None:
        pool = scores.index
    elif isinstance(candidates, str):
        pool = pd.Index(resolve_group(candidates))
    else:
        pool = pd.Index([iso3_code(c) for c in candidates])
    pool = pool.drop(focus, errors="ignore")
    dropped = sorted(set(pool) - set(scores.index))
    pool = pool[pool.isin(scores.index)]
    sim = context_similarity(context, focus, similarity_weights).reindex(pool)
    me = scores.loc[focus, list(COMPONENTS)].astype(float)
    other = scores.loc[pool, list(COMPONENTS)].astype(float)
    lead = (me - other) if role == "mentor" else (other - me)
    wv = pd.Series(w)[list(COMPONENTS)]
    pos = lead.clip(lower=0)
    t = pd.DataFrame(index=pool)
    t["country"] = [country_name(i) for i in pool]
    t["lead"] = pos.mul(wv, axis=1).sum(axis=1) / wv.sum()
    t["similarity"] = sim["similarity"]
    t["score"] = pw.lead * t["lead"] + pw.similarity * t["similarity"].fillna(0)
    for c in COMPONENTS:
        t[f"lead_{c}"] = lead[c]
    for c in ("sim_region", "sim_income", "sim_population", "sim_gtmi"):
        t[c] = sim[c]
    t["features"] = sim["features"]
    t = t.reset_index(names="iso3")
    t = t.sort_values(["score", "iso3"], ascending=[False, True]).reset_index(drop=True)
    t.insert(0, "rank", range(1, len(t) + 1))
    t["reasons"] = [_reasons(row, focus, role, context, pw) for row in t.itertuples(index=False)]
    t.attrs["dropped"] = dropped
    return t


@dataclass(frozen=True)
class PairingReport:
    """An automatic-pairing table ready to show: the full ranking, its head, caption and prose."""

    table: pd.DataFrame
    shown: pd.DataFrame
    caption: str
    text: str

    def show(self) -> None:
        """Display the table (with its caption) and then the generated sentences."""
        show_table(self.shown, self.caption, formats={"rank": "{:d}", "similarity": "{:.3f}"})
        if self.text:
            show_markdown(self.text)


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
        Rows of the ranking shown in the table.
    candidates : group name, list of ISO3 codes or None
        Candidate partners (None: every assessed country).
    chosen : list of ISO3 codes, optional
        Partners already chosen: the text names the best-scoring candidate and the rank of each
        chosen one (or says it is not ranked).
    weights, similarity_weights
        Pairing and context-similarity weights (see `pairing_table`).

    Returns
    -------
    PairingReport
        ``table`` (full ranking), ``shown`` (display columns of the first ``n_shown`` rows),
        ``caption`` and ``text`` (Markdown: candidates dropped as not assessed, best candidate
        and positions of the chosen partners; empty if there is nothing to say).
    """
    t = pairing_table(
        scores,
        context,
        focus,
        role=role,
        candidates=candidates,
        weights=weights,
        similarity_weights=similarity_weights,
    )
    shown = t.head(n_shown)[["rank", "iso3", "country", "score", "lead", "similarity", "reasons"]]
    caption = f"{label} ({year}); top {len(shown)} of {len(t)}"
    parts = []
    if t.attrs["dropped"]:
        parts.append(f"Not assessed in {year}, so not ranked: {', '.join(t.attrs['dropped'])}.")
    if chosen is not None and len(t):
        partner = "mentee" if role == "mentor" else "mentor"
        top = t.iloc[0]
        rank = t.set_index("iso3")["rank"]
        positions = [
            f"{country_name(c)} {int(rank[c])}"
            if c in rank.index
            else f"{country_name(c)} not ranked"
            for c in (iso3_code(c) for c in chosen)
        ]
        parts.append(
            f"Best-scoring {partner} for {country_name(focus)}: **{top['country']}** "
            f"({top['reasons']}) Positions of the chosen {partner}s: "
            f"{', '.join(positions)}."
        )
    return PairingReport(table=t, shown=shown, caption=caption, text="\n\n".join(parts))


def _short_income(group: str) -> str:
    return str(group).removesuffix(" income") if isinstance(group, str) else "unknown"


def _fmt_pop(p: float) -> str:
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "n/a"
    return f"{p / 1e6:.1f} M" if p >= 1e5 else f"{p / 1e3:.0f} k"


def _reasons(row, focus: str, role: str, context: pd.DataFrame, pw: PairingWeights) -> str:
    mentor = focus if role == "mentor" else row.iso3
    leads = {c: getattr(row, f"lead_{c}") for c in COMPONENTS}
    ahead = [
        f"{SHORT_LABELS[c]} by {v:.2f}" for c, v in leads.items() if v > 0 and c in ("osi", "epi")
    ]
    behind = [SHORT_LABELS[c] for c, v in leads.items() if v <= 0]
    parts = []
    mname = country_name(mentor)
    if ahead:
        parts.append(f"{mname} leads on transferable {', '.join(ahead)}")
    else:
        parts.append(f"{mname} has no lead on the transferable components (OSI, EPI)")
    if behind:
        parts.append(f"{mname} level or behind on {', '.join(behind)}")
    a, b = context.loc[focus], context.loc[row.iso3]
    ctx = []
    if pd.isna(row.sim_region):
        ctx.append("region unknown")
    elif row.sim_region == 1:
        ctx.append(f"same sub-region ({a.get('area', a['subregion'])})")
    elif row.sim_region == 0.75:
        ctx.append(f"same sub-region ({a['subregion']}), different intermediate region")
    elif row.sim_region == 0.5:
        ctx.append(f"same region ({a['region']}), different sub-region")
    else:
        ctx.append(f"different region ({b['region']} vs {a['region']})")
    if not pd.isna(row.sim_income):
        inc_b, inc_a = _short_income(b["income_group"]), _short_income(a["income_group"])
        ctx.append("same income group" if row.sim_income == 1 else f"income {inc_b} vs {inc_a}")
    if not pd.isna(row.sim_population):
        ctx.append(f"population {_fmt_pop(b['population'])} vs {_fmt_pop(a['population'])}")
    if not pd.isna(row.sim_gtmi):
        ctx.append(
            f"GTMI group {GTMI_LETTERS.get(int(b['gtmi_group']), '?')} vs "
            f"{GTMI_LETTERS.get(int(a['gtmi_group']), '?')}"
        )
    parts.append(f"context ({country_name(row.iso3)} vs {country_name(focus)}): " + ", ".join(ctx))
    return (
        f"score {row.score:.3f} = {pw.lead:g}×lead {row.lead:.3f} + "
        f"{pw.similarity:g}×similarity {row.similarity:.3f}: " + "; ".join(parts) + "."
    )


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------


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
    ax.set_xlim(-0.02, 1.05)
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


def trajectories(panel: pd.DataFrame, countries: Iterable[str]) -> pd.DataFrame:
    """EGDI, OSI and rank of ``countries`` over all editions (NaN where not assessed)."""
    codes = [iso3_code(c) for c in countries]
    t = panel[panel["iso3"].isin(codes)][
        ["iso3", "country", "year", "assessed", "rank", "egdi", "osi"]
    ]
    return t.sort_values(["iso3", "year"]).reset_index(drop=True)


def plot_trajectories(
    panel: pd.DataFrame, mentor: str, mentees: Iterable[str], *, year: int | None = None
) -> plt.Figure:
    """EGDI and OSI scores of the mentor and the mentees over editions (scores, not ranks)."""
    mentees = [iso3_code(m) for m in mentees]
    order = [iso3_code(mentor), *mentees]
    tr = trajectories(panel, order)
    position = tr["iso3"].map({c: i for i, c in enumerate(order)})
    tr = tr.assign(_o=position).sort_values(["_o", "year"])
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), sharey=True)
    palette = plt.get_cmap("tab10")
    mentor = order[0]
    colours = {mentor: FRONTIER_COLOUR}
    for i, m in enumerate(mentees):
        colours[m] = FOCUS_COLOUR if i == 0 else palette((i + 1) % 10)
    for ax, metric in zip(axes, ("egdi", "osi"), strict=True):
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
        for b in METHOD_BREAKS:
            ax.axvline(b - 1, color="#999999", ls="--", lw=1)
        if year is not None:
            ax.axvline(year, color="#333333", ls=":", lw=1)
        ax.set_title(SHORT_LABELS[metric], loc="left", fontsize=11)
        ax.set_xlabel("Survey edition")
        ax.set_ylim(0, 1.02)
    axes[0].set_ylabel("Score (0-1, relative within each edition)")
    axes[0].legend(loc="upper left", fontsize=9)
    sub = (
        "Scores, not ranks. Dashed line: 2014 methodology change; dotted: edition of this "
        "report. Gaps in a line = not assessed."
    )
    return finish(
        fig,
        "EGDI and OSI of the mentor and mentees over survey editions",
        EGDI_SOURCE + ".",
        subtitle=sub,
    )


def describe_trajectories(panel: pd.DataFrame, countries: Iterable[str], year: int) -> str:
    """Generated prose: per country, editions not assessed and EGDI/OSI change up to ``year``."""
    lines = []
    tr = trajectories(panel, countries)
    tr = tr[tr["year"] <= year]
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
        if missing:
            text += f"; not assessed in {', '.join(map(str, missing))}"
        lines.append(text + ".")
    return "\n".join(lines)


__all__ = [
    "COMPONENTS",
    "EGDI_WEIGHTS",
    "HCI_BREAKS",
    "METHOD_BREAKS",
    "TRANSFER_AREAS",
    "Context",
    "PairResult",
    "PairingReport",
    "PairingWeights",
    "SimilarityWeights",
    "TransferArea",
    "analyse_pair",
    "component_gaps",
    "context_similarity",
    "describe_jumps",
    "describe_pair",
    "describe_trajectories",
    "edition_changes",
    "edition_scores",
    "historical_jumps",
    "iso3_code",
    "load_context",
    "nearest_better_peers",
    "not_assessed_message",
    "pairing_report",
    "pairing_table",
    "plot_pair_gaps",
    "PRIORITY_COLUMNS",
    "priority_table",
    "plot_trajectories",
    "stepping_stones",
    "trajectories",
    "transfer_priorities",
    "transfer_table",
]
