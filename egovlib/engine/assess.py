"""HCI proposals evaluated end to end, as a methodologist would before taking them to UN DESA."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from . import audit
from .build import Built, build, compare
from .data import MAX_AGE, IndexData, index_data
from .spec import IndexSpec, load_specs, select
from .uncertainty import MonteCarlo, monte_carlo, rank_intervals, sensitivity, shift_interval

#: Alternative vintage rules (maximum age in years) drawn in the Monte Carlo's data uncertainty.
VINTAGE_ALTERNATIVES = (MAX_AGE, 3, 10)


def default_alternatives(spec: IndexSpec, bootstrap: int = 20) -> dict:
    """The Monte Carlo design used for a proposal: construction choices and data uncertainty."""
    return {
        "weights": 0.25,
        "normalisation": ["minmax", "rank", "distance_to_frontier", "zscore"],
        "aggregation": ["arithmetic", "geometric"],
        "impute": list(dict.fromkeys([spec.impute, "region", "none"])),
        "max_age": list(VINTAGE_ALTERNATIVES),
        "bootstrap": bootstrap,
    }


@dataclass
class ProposalResult:
    """One proposal for one edition: effects, checks, uncertainty and verdict.

    Attributes
    ----------
    built : Built
    egdi_moves, index_moves : DataFrame
        `compare` of the published HCI with the proposal (implied EGDI, and the HCI itself).
    face : FaceValidity
    weights : DataFrame
        `audit.effective_weights`.
    coverage : DataFrame
        `audit.coverage` of the new items.
    mc : MonteCarlo or None
    intervals : DataFrame or None
        Implied-EGDI rank intervals.
    shifts : DataFrame or None
        Implied-EGDI rank change from the published ranks, with intervals (`shift_interval`).
    sensitivity : DataFrame or None
    reasons : list of str
        Why the proposal cannot be recommended (empty: it passes every check).
    """

    built: Built
    egdi_moves: pd.DataFrame
    index_moves: pd.DataFrame
    face: audit.FaceValidity
    weights: pd.DataFrame
    coverage: pd.DataFrame
    mc: MonteCarlo | None = None
    intervals: pd.DataFrame | None = None
    shifts: pd.DataFrame | None = None
    sensitivity: pd.DataFrame | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def spec(self) -> IndexSpec:
        """The proposal's spec."""
        return self.built.spec

    @property
    def recommendable(self) -> bool:
        """Passes the concept, coverage, face-validity and effective-weight checks."""
        return self.built.evaluable and not self.reasons


@dataclass
class Assessment:
    """Every proposal of an edition, with the baselines they are compared with."""

    year: int
    focus: str
    group: list[str]
    group_label: str
    data: IndexData
    published: Built
    recipe: Built | None
    proposals: list[ProposalResult]
    settings: dict

    @property
    def evaluable(self) -> list[ProposalResult]:
        """Proposals with at least one new item observed in the edition."""
        return [p for p in self.proposals if p.built.evaluable]


def _reasons(p: ProposalResult) -> list[str]:
    out = []
    cov = p.coverage
    policy = cov.loc[cov["concept"] != "human capital", "component"].tolist()
    if policy:
        out.append(f"{' and '.join(policy)} measure institutional policy, not human capital")
    thin = cov.loc[~cov["eligible"], ["component", "share_observed"]]
    for _, r in thin.iterrows():
        out.append(
            f"{r['component']} is observed for only {r['share_observed']:.0%} of assessed "
            f"countries (the gate is {audit.MIN_OBSERVED_SHARE:.0%})"
        )
    if p.face.flagged:
        k = len(p.face.flagged)
        out.append(
            f"{k} {'country' if k == 1 else 'countries'} of the EGDI or HCI top 10 "
            f"{'moves' if k == 1 else 'move'} more than {p.face.threshold} places"
        )
    heavy = p.weights[p.weights["flag"]]
    for _, r in heavy.iterrows():
        out.append(
            f"{r['component']} carries {r['effective_weight']:.0%} of the index variance for a "
            f"nominal weight of {r['nominal_weight']:.1%}"
        )
    return out


def assess_proposals(
    year: int,
    focus: str,
    group: Sequence[str],
    group_label: str,
    names: Sequence[str] | None = None,
    *,
    n_draws: int = 10_000,
    seed: int = 12345,
    alternatives: Mapping[str, object] | None = None,
    specs: Mapping[str, IndexSpec] | None = None,
) -> Assessment:
    """Build, check and Monte-Carlo every HCI proposal for one edition.

    Parameters
    ----------
    year : int
        Survey edition.
    focus : str
        ISO3 of the focus country; ``group`` its comparison group and ``group_label`` its name.
    names : list of str, optional
        Proposals to evaluate; default every spec with role ``proposal``.
    n_draws, seed : int
        Monte Carlo builds per proposal and seed.
    alternatives : mapping, optional
        Monte Carlo design (`default_alternatives` of each proposal if omitted).
    specs : mapping, optional
        Index specs (default: `load_specs()`).
    """
    specs = dict(specs or load_specs())
    chosen = select(specs, names=names) if names else select(specs, role="proposal")
    recipes = select(specs, role="recipe", family="hci", year=year)
    data = index_data(year, [*chosen, *recipes], max_ages=VINTAGE_ALTERNATIVES)
    published = build(specs["hci_un"], data)
    recipe = build(recipes[0], data) if recipes else None
    results = []
    for spec in chosen:
        b = build(spec, data)
        moves = compare(published, b, "egdi"), compare(published, b, "index")
        p = ProposalResult(
            built=b,
            egdi_moves=moves[0],
            index_moves=moves[1],
            face=audit.face_validity(published, b, moves=moves),
            weights=audit.effective_weights(b) if b.evaluable else pd.DataFrame(),
            coverage=audit.coverage(b),
        )
        if b.evaluable:
            p.reasons = _reasons(p)
            if n_draws > 0:
                alt = alternatives or default_alternatives(spec)
                p.mc = monte_carlo(b, alt, n_draws, seed)
                p.intervals = rank_intervals(p.mc, "egdi")
                p.shifts = shift_interval(p.mc, published.egdi_ranks, "egdi")
                p.sensitivity = sensitivity(p.mc, "egdi")
        results.append(p)
    return Assessment(
        year=year,
        focus=focus,
        group=list(group),
        group_label=group_label,
        data=data,
        published=published,
        recipe=recipe,
        proposals=results,
        settings={"n_draws": n_draws, "seed": seed},
    )
