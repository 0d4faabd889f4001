"""Where a country group stands: ranks, trajectories, frontier gaps, change between editions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from . import indices, plots
from .countries import country_name, resolve_country, resolve_group
from .errors import EgovError
from .judgements import load_judgements
from .panel import load_egdi_panel, not_yet_members
from .report import join_names, signed_format
from .vocabulary import (
    EGDI_COMPONENTS,
    EGDI_WEIGHTS,
    INDICES,
    METHOD_CHANGES,
    SHORT_LABELS,
    crosses_break,
)

#: Indices shown in the benchmark tables, in display order.
#: The three components whose arithmetic mean is the EGDI (EPI is not part of it).
#: Source line of figures built from the UN EGDI files only (`egdi_source` names the editions).
EGDI_SOURCE = "Source: UN DESA, E-Government Survey (EGDI, OSI, HCI, TII, EPI)"


def egdi_source(years: Sequence[int]) -> str:
    """The source line of a chart, naming the editions it shows.

    For example "edition 2024", "editions 2022 and 2024", "editions 2003-2024".
    """
    ys = sorted({int(y) for y in years})
    if len(ys) == 1:
        return f"{EGDI_SOURCE}, edition {ys[0]}."
    if len(ys) == 2:
        return f"{EGDI_SOURCE}, editions {ys[0]} and {ys[1]}."
    return f"{EGDI_SOURCE}, editions {ys[0]}-{ys[-1]}."


#: Comparison benchmarks understood by `profile` besides any named group of `resolve_group`.
COMPARISON_KINDS = ("topN (e.g. top10)", "region", "subregion", "income_group", "level_group")


# ------------------------------------------------------------------------------ small helpers
def ordinal(n: int) -> str:
    """English ordinal of a positive integer: 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, 112th."""
    n = int(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _panel(egdi: pd.DataFrame | None) -> pd.DataFrame:
    return load_egdi_panel() if egdi is None else egdi


def _edition(egdi: pd.DataFrame, year: int) -> pd.DataFrame:
    valid = sorted(egdi["year"].unique().tolist())
    if int(year) not in valid:
        raise EgovError(
            f"{year} is not a survey edition. Valid editions: {', '.join(map(str, valid))}"
        )
    return egdi[egdi["year"] == int(year)].set_index("iso3", drop=False)


def group_label(group: str | Iterable[str]) -> str:
    """Readable name of a group for prose.

    The group's name, or "the selected countries" for a list of ISO3 codes (never the codes
    themselves).
    """
    if isinstance(group, str):
        return group
    return "the selected countries"


def group_members(group: str | Iterable[str], egdi: pd.DataFrame | None = None) -> list[str]:
    """ISO3 codes of a group, checked against the survey's universe (193 UN members).

    Raises
    ------
    EgovError
        For an unknown group name or code, or a code that is not in the survey.
    """
    members = resolve_group(group)
    universe = set(_panel(egdi)["iso3"])
    outside = [c for c in members if c not in universe]
    if outside:
        raise EgovError(
            f"{outside} are not assessed by the UN E-Government Survey (not among its "
            f"{len(universe)} countries); remove them from the group"
        )
    if not members:
        raise EgovError(f"group {group!r} has no members")
    return members


def check_focus(focus: str, egdi: pd.DataFrame | None = None) -> str:
    """Validate a focus country (ISO3 code or name, e.g. ``"Bahrain"``) and return its ISO3 code.

    A focus country outside the group is allowed (e.g. Tunisia benchmarked against the GCC): it is
    shown beside the group, flagged ``in_group`` False, and left out of the group mean.
    """
    code = resolve_country(focus)  # raises for an unknown code or name, with close matches
    if code not in set(_panel(egdi)["iso3"]):
        raise EgovError(
            f"focus country {code} ({country_name(code)}) is not in the UN "
            "E-Government Survey; choose one of its 193 UN member states"
        )
    return code


def component_ranks(edition: pd.DataFrame, cols: Sequence[str] = INDICES) -> pd.DataFrame:
    """Rank of each index among the assessed countries of one edition (1 = best, ties = min rank).

    Countries not assessed in the edition get no rank. The EGDI rank is the published one.
    """
    assessed = edition["assessed"].astype(bool)
    out = pd.DataFrame(index=edition.index)
    for col in cols:
        if col == "egdi":
            out["egdi_rank"] = edition["rank"].astype("Int64")
            continue
        out[f"{col}_rank"] = indices.rank_desc(edition[col].where(assessed))
    return out


# ------------------------------------------------------------------------------ tables
def group_table(
    year: int,
    group: str | Iterable[str] = "GCC",
    focus: str | None = None,
    egdi: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Ranks and scores of a group on EGDI, OSI, HCI, TII and EPI in one edition.

    Parameters
    ----------
    year : int
        Survey edition.
    group : str or list of str
        A named group (``"GCC"``, a region, an income group) or ISO3 codes.
    focus : str, optional
        ISO3 of the focus country; added (``in_group`` False) if it is not a member.
    egdi : DataFrame, optional
        The EGDI panel (default `load_egdi_panel()`); pass a frame to test on small inputs.

    Returns
    -------
    DataFrame
        One row per country, best rank first, not-assessed countries last: ``iso3, country,
        in_group, assessed, n_assessed, rank, egdi, level_group, rating_class`` and, per index,
        the score and its rank among assessed countries (``osi, osi_rank, ...``).
    """
    egdi = _panel(egdi)
    members = group_members(group, egdi)
    ed = _edition(egdi, year)
    rows = list(members)
    if focus is not None:
        focus = check_focus(focus, egdi)
        if focus not in rows:
            rows.append(focus)
    ranks = component_ranks(ed)
    t = ed.loc[rows, ["iso3", "country", "assessed", "level_group", *INDICES]].copy()
    t = t.join(ranks)
    t["rank"] = t["egdi_rank"]
    t["in_group"] = t["iso3"].isin(members)
    t["n_assessed"] = int(ed["assessed"].sum())
    t["rating_class"] = pd.Series(indices.rating_class(ed["egdi"]), index=ed.index).loc[rows]
    cols = [
        "iso3",
        "country",
        "in_group",
        "assessed",
        "n_assessed",
        "rank",
        "egdi",
        "level_group",
        "rating_class",
    ]
    for col in INDICES[1:]:
        cols += [col, f"{col}_rank"]
    t = t[cols].sort_values(["rank", "country"], na_position="last")
    return t.reset_index(drop=True)


def rank_trajectories(
    group: str | Iterable[str] = "GCC",
    focus: str | None = None,
    egdi: pd.DataFrame | None = None,
    up_to: int | None = None,
) -> pd.DataFrame:
    """EGDI rank of each group member (and the focus country) in every edition up to ``up_to``.

    A report for edition Y shows nothing published after Y; editions before a state joined the
    UN are left out for that state (it was not "not assessed", it was not yet a member).

    Returns
    -------
    DataFrame
        ``iso3, country, year, rank, egdi, assessed, n_assessed``; rank and score missing for
        editions in which the country was not assessed (a gap in the chart, never a 0).
    """
    egdi = _panel(egdi)
    if up_to is not None:
        egdi = egdi[egdi["year"] <= int(up_to)]
    codes = group_members(group, egdi)
    if focus is not None and check_focus(focus, egdi) not in codes:
        codes.append(focus.upper())
    n = egdi.groupby("year")["assessed"].sum().rename("n_assessed").astype(int)
    t = egdi.loc[egdi["iso3"].isin(codes), ["iso3", "country", "year", "rank", "egdi", "assessed"]]
    t = t.join(n, on="year")
    late = {(c, y) for y in t["year"].unique() for c in not_yet_members(y)}
    t = t[[(c, y) not in late for c, y in zip(t["iso3"], t["year"], strict=True)]]
    return t.sort_values(["iso3", "year"]).reset_index(drop=True)


# ------------------------------------------------------------------------------ profile & gaps
def _frontier(ed: pd.DataFrame) -> pd.Series:
    top = ed[ed["rank"] == ed["rank"].min()].sort_values("egdi", ascending=False)
    return top.iloc[0]


def _comparison_members(kind: str, ed: pd.DataFrame, focus: str) -> tuple[str, str, pd.Index]:
    """(label, kind, members) of one comparison benchmark."""
    m = re.fullmatch(r"top(\d+)", kind.lower())
    if m:
        k = int(m.group(1))
        idx = ed[ed["assessed"]].sort_values(["rank", "egdi"], ascending=[True, False]).index[:k]
        return f"Top-{k} mean", "top", idx
    if kind in ("region", "subregion", "income_group", "level_group"):
        value = ed.loc[focus, kind]
        if pd.isna(value):
            raise EgovError(
                f"{country_name(focus)} has no {kind} in the country table "
                f"(edition {int(ed['year'].iloc[0])}); drop {kind!r} from comparisons"
            )
        idx = ed.index[ed[kind] == value]
        what = {
            "region": "UN region",
            "subregion": "UN sub-region",
            "income_group": "income group",
            "level_group": "EGDI level group",
        }[kind]
        return f"{value} mean ({what})", kind, idx
    try:
        codes = resolve_group(kind)
    except EgovError as exc:
        raise EgovError(
            f"unknown comparison {kind!r}: use one of {', '.join(COMPARISON_KINDS)} "
            f"or a named group ({exc})"
        ) from exc
    return f"{kind} mean", "named", ed.index.intersection(codes)


def profile(
    year: int,
    focus: str = "BHR",
    group: str | Iterable[str] = "GCC",
    comparisons: Iterable[str] = ("top10", "region", "income_group"),
    egdi: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The focus country's scores against the frontier, the group and comparison means.

    Means are over the countries assessed in the edition. The group mean covers the group's
    members only (a focus country outside the group is not in it); region and income-group means
    include the focus country.

    Returns
    -------
    DataFrame
        One row per benchmark (index = label): ``kind`` (focus, frontier, group, top, region, ...),
        ``n`` (countries averaged), and one column per index.
    """
    egdi = _panel(egdi)
    focus = check_focus(focus, egdi)
    ed = _edition(egdi, year)
    members = group_members(group, egdi)
    if not bool(ed.loc[focus, "assessed"]):
        raise EgovError(f"{country_name(focus)} was not assessed in {year}; no profile to compare")
    assessed = ed[ed["assessed"]]
    rows = [(country_name(focus), "focus", 1, ed.loc[focus, list(INDICES)])]
    fr = _frontier(assessed)
    rows.append((f"Frontier: {fr['country']} (rank 1)", "frontier", 1, fr[list(INDICES)]))
    grp = assessed.loc[assessed.index.intersection(members)]
    rows.append((f"{group_label(group)} mean", "group", len(grp), grp[list(INDICES)].mean()))
    for kind in comparisons:
        label, k, idx = _comparison_members(kind, ed, focus)
        sel = assessed.loc[assessed.index.intersection(idx)]
        rows.append((label, k, len(sel), sel[list(INDICES)].mean()))
    out = pd.DataFrame(
        [r[3].astype(float).to_numpy() for r in rows],
        columns=list(INDICES),
        index=pd.Index([r[0] for r in rows], name="benchmark"),
    )
    out.insert(0, "n", [r[2] for r in rows])
    out.insert(0, "kind", [r[1] for r in rows])
    return out


def frontier_gaps(year: int, focus: str = "BHR", egdi: pd.DataFrame | None = None) -> pd.DataFrame:
    """Gap of the focus country to the frontier (rank-1 country) per component, in EGDI points.

    EGDI = (OSI + HCI + TII) / 3, so closing a gap ``g`` in one component raises the EGDI by
    ``g / 3``. EPI is not part of the EGDI: its gap is shown but costs no EGDI points.

    Returns
    -------
    DataFrame
        Index = component (osi, hci, tii, epi): ``focus, frontier, gap`` (frontier - focus,
        negative = ahead of the frontier), ``in_egdi``, ``egdi_points`` (gap / 3, missing for
        EPI), ``best`` (highest score of any country) and ``gap_to_best``.
    """
    egdi = _panel(egdi)
    focus = check_focus(focus, egdi)
    ed = _edition(egdi, year)
    if not bool(ed.loc[focus, "assessed"]):
        raise EgovError(f"{country_name(focus)} was not assessed in {year}; no gaps to compute")
    assessed = ed[ed["assessed"]]
    fr = _frontier(assessed)
    comps = [*EGDI_COMPONENTS, "epi"]
    out = pd.DataFrame(index=pd.Index(comps, name="component"))
    out["focus"] = ed.loc[focus, comps].astype(float).to_numpy()
    out["frontier"] = fr[comps].astype(float).to_numpy()
    out["gap"] = out["frontier"] - out["focus"]
    out["in_egdi"] = [c in EGDI_COMPONENTS for c in comps]
    out["egdi_points"] = (out["gap"] / len(EGDI_COMPONENTS)).where(out["in_egdi"])
    out["best"] = assessed[comps].max().to_numpy()
    out["gap_to_best"] = out["best"] - out["focus"]
    _, _, top = _comparison_members(f"top{GAP_TOP_K}", ed, focus)
    out["top_mean"] = assessed.loc[top, comps].astype(float).mean().to_numpy()
    out["gap_to_top_mean"] = out["top_mean"] - out["focus"]
    out.attrs.update(
        frontier=str(fr["iso3"]), frontier_name=str(fr["country"]), year=int(year), focus=focus
    )
    return out


def costliest_gap(gaps: pd.DataFrame) -> str | None:
    """The EGDI component whose gap to the frontier costs the most EGDI points (None if none)."""
    pts = gaps.loc[gaps["in_egdi"], "egdi_points"]
    return None if pts.max() <= 0 else str(pts.idxmax())


#: The benchmarks a "costliest gap" is checked against: the rank-1 country, the best score on
#: each component (often another country), and the mean of the top `GAP_TOP_K` countries.
GAP_TOP_K = 10
GAP_BENCHMARKS = {"gap": "frontier", "gap_to_best": "best", "gap_to_top_mean": "top_mean"}


def costliest_gap_by_benchmark(gaps: pd.DataFrame) -> dict[str, str | None]:
    """The costliest EGDI component against each benchmark of `GAP_BENCHMARKS`.

    A priority that changes with the benchmark is a judgement, not a finding: the rank-1
    country may trail another country on one component, and the top-10 mean is closer than
    either. Reports name one component only when all benchmarks agree (`robust_costliest_gap`).

    Returns
    -------
    dict
        Benchmark name (``frontier``, ``best``, ``top_mean``) -> component, or None where the
        focus country is level with or ahead of that benchmark on every component.
    """
    comps = gaps.loc[gaps["in_egdi"]]
    out: dict[str, str | None] = {}
    for column, name in GAP_BENCHMARKS.items():
        g = comps[column].astype(float)
        out[name] = None if g.max() <= 0 else str(g.idxmax())
    return out


def robust_costliest_gap(gaps: pd.DataFrame) -> str | None:
    """The costliest component if every benchmark names the same one, else None."""
    winners = set(costliest_gap_by_benchmark(gaps).values())
    return winners.pop() if len(winners) == 1 else None


# ------------------------------------------------------------------------------ change
#: A component moving more than this (index points, 0-1 scale) in one edition is flagged as a
#: likely data revision or re-measurement and kept out of "evidence" unless stated. Half the
#: scale: 23 of about 7,000 component steps between consecutive editions (2003-2024) exceed it;
#: 9 of them start or end at a published 0 (missing data), most of the rest are EPI steps (a
#: short questionnaire), and three are OSI or TII steps (e.g. Libya's TII 0.160 -> 0.964 from
#: 2022 to 2024).
REVISION_THRESHOLD = 0.5
#: A component move (net of the median country) larger than this quantile of all countries'
#: absolute moves between the same two editions is "unusually large": worth checking for a data
#: revision before it is quoted (the relative screen beside `REVISION_THRESHOLD`).
UNUSUAL_QUANTILE = 0.95
#: Share of countries moving the same way above which a change is a common shift.
COMMON_SHIFT_SHARE = 0.8
#: Score at which an index is "at the ceiling"; compression = at least `CEILING_MIN` countries
#: there and at least twice as many as in the previous edition.
CEILING = 0.95
CEILING_MIN = 10


def egdi_change_decomposition(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Split EGDI changes into OSI, HCI and TII contributions, row by row.

    The EGDI is the mean of its three components, so each contributes a third of its change.
    The residual is the published EGDI change minus the sum of the contributions: zero when the
    published EGDI is the component mean, not zero around 2008 and 2010.

    Parameters
    ----------
    before, after : DataFrame
        Aligned rows (same index) with ``egdi, osi, hci, tii``.

    Returns
    -------
    DataFrame
        Same index: ``d_egdi, d_osi, d_hci, d_tii, contrib_osi, contrib_hci, contrib_tii,
        residual``.
    """
    out = pd.DataFrame(index=after.index)
    for c in ("egdi", *EGDI_COMPONENTS):
        out[f"d_{c}"] = after[c].astype(float) - before[c].astype(float)
    contrib = [f"contrib_{c}" for c in EGDI_COMPONENTS]
    for c in EGDI_COMPONENTS:
        out[f"contrib_{c}"] = out[f"d_{c}"] * EGDI_WEIGHTS[c]
    out["residual"] = out["d_egdi"] - out[contrib].sum(axis=1)
    return out


def decompose_change(before: pd.Series, after: pd.Series) -> dict:
    """Split the EGDI change between two rows into OSI, HCI and TII contributions.

    Parameters
    ----------
    before, after : Series
        Rows with ``egdi, osi, hci, tii`` (and ``rank``) of one country in two editions.

    Returns
    -------
    dict
        ``egdi_change``, ``component_change`` (Series), ``contributions`` (Series, change / 3),
        ``residual`` (published EGDI change - sum of contributions), ``rank_change``
        (before - after: positive = moved up).
    """
    d = egdi_change_decomposition(before.to_frame().T, after.to_frame().T).iloc[0]
    rank_change = (
        float(before["rank"]) - float(after["rank"])
        if pd.notna(before.get("rank")) and pd.notna(after.get("rank"))
        else np.nan
    )
    return {
        "egdi_change": float(d["d_egdi"]),
        "component_change": pd.Series({c: float(d[f"d_{c}"]) for c in EGDI_COMPONENTS}),
        "contributions": pd.Series({c: float(d[f"contrib_{c}"]) for c in EGDI_COMPONENTS}),
        "residual": float(d["residual"]),
        "rank_change": rank_change,
    }


def previous_edition(year: int, egdi: pd.DataFrame | None = None) -> int | None:
    """The edition before ``year`` in the data (None for the first)."""
    eds = sorted(_panel(egdi)["year"].unique().tolist())
    i = eds.index(int(year))
    return eds[i - 1] if i else None


def _zscores(s: pd.Series) -> pd.Series:
    return (s - s.mean()) / s.std(ddof=0)


def pair_changes(
    year: int,
    previous: int | None = None,
    egdi: pd.DataFrame | None = None,
    *,
    revision_threshold: float = REVISION_THRESHOLD,
) -> pd.DataFrame:
    """Change of every country assessed in both editions, measured three ways.

    Scores are relative within an edition (each component is rescaled against that year's
    countries), so a raw change mixes a country's own progress with what moved every country.
    For each index this gives, side by side:

    * the raw change ``d_<i>``;
    * the change net of the median country ``net_<i>`` (raw change minus the median change of
      the countries assessed in both editions), and the change of the within-edition z-score
      ``dz_<i>`` (z over all countries assessed in that edition);
    * the rank change ``drank_<i>`` (positive = moved up), with ranks among all countries
      assessed in each edition (`component_ranks`: the base of the published EGDI rank and of
      the brief, so that every report quotes the same component ranks);
    * ``unusual_<c>``: the move, net of the median, is larger than `UNUSUAL_QUANTILE` of all
      countries' moves (a relative screen for revisions; ``attrs["unusual_cut"]`` per index).

    Parameters
    ----------
    year : int
        The later edition.
    previous : int, optional
        The earlier edition (default: the one before ``year``).
    egdi : DataFrame, optional
        The EGDI panel (default `load_egdi_panel()`).
    revision_threshold : float
        A component moving more than this is flagged in ``revision_<c>`` (`REVISION_THRESHOLD`).

    Returns
    -------
    DataFrame
        Index iso3: ``country``, per index ``<i>_before, <i>_after, d_<i>, net_<i>,
        z_<i>_before, z_<i>_after, dz_<i>, rank_<i>_before, rank_<i>_after, drank_<i>``, the
        published ranks ``published_rank_before, published_rank_after``, the EGDI decomposition
        of `egdi_change_decomposition`, and ``revision_<c>`` for OSI, HCI, TII and EPI.
        ``attrs``: ``year``, ``previous``, ``median`` (median change per index), ``n_before``,
        ``n_after`` (countries assessed in each edition).
    """
    egdi = _panel(egdi)
    previous = previous_edition(year, egdi) if previous is None else int(previous)
    if previous is None:
        raise EgovError(f"{year} is the first edition in the data; there is nothing to compare")
    a = _edition(egdi, previous)
    b = _edition(egdi, year)
    a, b = a[a["assessed"]], b[b["assessed"]]
    both = a.index.intersection(b.index)
    # Columns gathered in a dict and put together once, in the order they are listed above:
    # inserting some sixty columns one at a time cost most of this function's time.
    col: dict[str, pd.Series] = {"country": b.loc[both, "country"]}
    medians = {}
    for c in INDICES:
        col[f"{c}_before"] = before = a.loc[both, c].astype(float)
        col[f"{c}_after"] = after = b.loc[both, c].astype(float)
        col[f"d_{c}"] = d = after - before
        medians[c] = float(d.median())
        col[f"net_{c}"] = d - medians[c]
        col[f"z_{c}_before"] = z_before = _zscores(a[c].astype(float)).reindex(both)
        col[f"z_{c}_after"] = z_after = _zscores(b[c].astype(float)).reindex(both)
        col[f"dz_{c}"] = z_after - z_before
    # Ranks on one base everywhere (02, the brief, the figures): among all countries assessed in
    # each edition, ties = min rank, the EGDI rank as published (`component_ranks`).
    ranks_a, ranks_b = component_ranks(a), component_ranks(b)
    for c in INDICES:
        col[f"rank_{c}_before"] = r_before = ranks_a.loc[both, f"{c}_rank"].astype("Int64")
        col[f"rank_{c}_after"] = r_after = ranks_b.loc[both, f"{c}_rank"].astype("Int64")
        col[f"drank_{c}"] = (r_before - r_after).astype("Int64")
    col["published_rank_before"] = a.loc[both, "rank"].astype("Int64")
    col["published_rank_after"] = b.loc[both, "rank"].astype("Int64")
    dec = egdi_change_decomposition(a.loc[both], b.loc[both])
    for name in [f"contrib_{c}" for c in EGDI_COMPONENTS] + ["residual"]:
        col[name] = dec[name]
    unusual_cut = {}
    for c in (*EGDI_COMPONENTS, "epi"):
        col[f"revision_{c}"] = col[f"d_{c}"].abs() > revision_threshold
        # Relative screen: the absolute threshold above can never catch an HCI move (the largest
        # net HCI move between two editions is about 0.15), so a move is also "unusual" when it
        # is larger, net of the median, than `UNUSUAL_QUANTILE` of all countries' moves.
        unusual_cut[c] = float(col[f"net_{c}"].abs().quantile(UNUSUAL_QUANTILE))
        col[f"unusual_{c}"] = col[f"net_{c}"].abs() > unusual_cut[c]
    out = pd.DataFrame(col, index=pd.Index(both, name="iso3"))
    out.attrs.update(
        year=int(year),
        previous=int(previous),
        median=medians,
        unusual_cut=unusual_cut,
        n_before=len(a),
        n_after=len(b),
        revision_threshold=float(revision_threshold),
    )
    return out


def common_shifts(changes: pd.DataFrame, egdi: pd.DataFrame | None = None) -> pd.DataFrame:
    """What moved every country between two editions, per index.

    Parameters
    ----------
    changes : DataFrame
        From `pair_changes`.
    egdi : DataFrame, optional
        The EGDI panel (for the ceiling counts over all assessed countries).

    Returns
    -------
    DataFrame
        Index = index name (``egdi, osi, ...``): ``n`` (countries in both editions),
        ``share_rose``, ``share_fell``, ``median_change``, ``at_ceiling_before``,
        ``at_ceiling_after`` (countries scoring >= `CEILING` among all assessed),
        ``common_shift`` (at least `COMMON_SHIFT_SHARE` moved the same way), ``compressed``
        (ceiling compression, see `CEILING_MIN`), ``crosses_break`` (a documented method change
        lies between the editions).
    """
    egdi = _panel(egdi)
    y0, y1 = changes.attrs["previous"], changes.attrs["year"]
    a, b = _edition(egdi, y0), _edition(egdi, y1)
    rows = {}
    for c in INDICES:
        d = changes[f"d_{c}"].dropna()
        top0 = int((a.loc[a["assessed"], c] >= CEILING).sum())
        top1 = int((b.loc[b["assessed"], c] >= CEILING).sum())
        rose, fell = float((d > 0).mean()), float((d < 0).mean())
        rows[c] = {
            "n": len(d),
            "share_rose": rose,
            "share_fell": fell,
            "median_change": float(d.median()),
            "at_ceiling_before": top0,
            "at_ceiling_after": top1,
            "common_shift": max(rose, fell) >= COMMON_SHIFT_SHARE,
            "compressed": top1 >= CEILING_MIN and top1 >= 2 * max(top0, 1),
            "crosses_break": crosses_break(y0, y1, c),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "index"
    out.attrs.update(year=y1, previous=y0)
    return out


def change_three_ways(changes: pd.DataFrame, focus: str) -> pd.DataFrame:
    """One country's change on every index: raw, net of the median country, z-score and rank.

    Parameters
    ----------
    changes : DataFrame
        From `pair_changes`.
    focus : str
        ISO3 code (must be assessed in both editions).

    Returns
    -------
    DataFrame
        Index = index name: ``before, after, change, median_change, net_change, z_change,
        rank_before, rank_after, rank_change`` (ranks among all countries assessed in each
        edition; positive = moved up), ``likely_revision`` (the move exceeds
        `REVISION_THRESHOLD`; never for the EGDI itself), ``unusual`` and ``unusual_cut`` (the
        relative screen of `pair_changes`).
    """
    r = changes.loc[focus]
    rows = {}
    for c in INDICES:
        rows[c] = {
            "before": r[f"{c}_before"],
            "after": r[f"{c}_after"],
            "change": r[f"d_{c}"],
            "median_change": changes.attrs["median"][c],
            "net_change": r[f"net_{c}"],
            "z_change": r[f"dz_{c}"],
            "rank_before": r[f"rank_{c}_before"],
            "rank_after": r[f"rank_{c}_after"],
            "rank_change": r[f"drank_{c}"],
            "likely_revision": bool(r.get(f"revision_{c}", False)),
            "unusual": bool(r.get(f"unusual_{c}", False)),
            "unusual_cut": changes.attrs.get("unusual_cut", {}).get(c, np.nan),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "index"
    for col in ("rank_before", "rank_after", "rank_change"):
        out[col] = out[col].astype("Int64")
    out.attrs.update(changes.attrs, focus=focus, n_common=len(changes))
    return out


def revision_flags(
    egdi: pd.DataFrame | None = None,
    *,
    up_to: int | None = None,
    threshold: float = REVISION_THRESHOLD,
) -> pd.DataFrame:
    """Component moves between consecutive editions large enough to be likely data revisions.

    A move of more than ``threshold`` on the 0-1 scale in one edition (half the scale by default)
    is far outside what countries' policies produce in two years: it almost always reflects a
    revision or re-measurement of the underlying statistics (e.g. Libya's TII 0.160 -> 0.964,
    2022 -> 2024) or a published 0 that stands for missing data. Such a step is kept out of
    "evidence" unless the report says so.

    Parameters
    ----------
    up_to : int, optional
        Only steps ending in or before this edition (a report uses only its past).
    threshold : float

    Returns
    -------
    DataFrame
        ``iso3, country, index, from_year, to_year, before, after, change, zero_end`` (a
        published 0 at either end), largest move first.
    """
    egdi = _panel(egdi)
    eds = sorted(egdi["year"].unique().tolist())
    rows = []
    for y0, y1 in zip(eds[:-1], eds[1:], strict=True):
        if up_to is not None and y1 > up_to:
            break
        ch = pair_changes(y1, y0, egdi, revision_threshold=threshold)
        for c in (*EGDI_COMPONENTS, "epi"):
            hit = ch[ch[f"revision_{c}"]]
            for iso3, r in hit.iterrows():
                rows.append(
                    {
                        "iso3": iso3,
                        "country": r["country"],
                        "index": c,
                        "from_year": y0,
                        "to_year": y1,
                        "before": r[f"{c}_before"],
                        "after": r[f"{c}_after"],
                        "change": r[f"d_{c}"],
                        "zero_end": bool(r[f"{c}_before"] == 0 or r[f"{c}_after"] == 0),
                    }
                )
    cols = ["iso3", "country", "index", "from_year", "to_year", "before", "after", "change"]
    out = pd.DataFrame(rows, columns=[*cols, "zero_end"])
    order = out["change"].abs().sort_values(ascending=False, kind="stable").index
    return out.loc[order].reset_index(drop=True)


@dataclass(frozen=True)
class EditionChange:
    """What moved a country between two editions.

    ``contributions`` holds each component's share of the EGDI change (its change / 3);
    ``residual`` is the published EGDI change minus their sum (0 when the published EGDI is the
    mean of its components; not 0 around 2008 and 2010); it equals ``departure_after -
    departure_before``, the published EGDI minus the mean of its components in each edition.
    ``rank_change`` > 0 means it moved up (published ranks). ``three_ways`` is
    `change_three_ways` and ``shifts`` `common_shifts` of the two editions.
    ``status`` is ``ok``, ``first_edition``, ``not_assessed_before`` or ``not_assessed_now``;
    ``message`` says in words why nothing could be computed.
    """

    focus: str
    year: int
    previous: int | None
    status: str
    message: str = ""
    egdi_before: float = np.nan
    egdi_after: float = np.nan
    egdi_change: float = np.nan
    contributions: pd.Series | None = None
    component_change: pd.Series | None = None
    residual: float = np.nan
    rank_before: float = np.nan
    rank_after: float = np.nan
    rank_change: float = np.nan
    n_before: int = 0
    n_after: int = 0
    departure_before: float = np.nan
    departure_after: float = np.nan
    three_ways: pd.DataFrame | None = None
    shifts: pd.DataFrame | None = None
    baseline: dict | None = None

    def measured(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``three_ways`` and ``shifts`` of a change that was computed (``status == "ok"``).

        Raises
        ------
        ValueError
            If nothing was computed; the error carries ``message`` (why not).
        """
        if self.status != "ok" or self.three_ways is None or self.shifts is None:
            raise ValueError(
                f"No change measured for {self.focus} in {self.year} ({self.status}): "
                f"{self.message} Fix: check `status` before asking for the change's tables."
            )
        return self.three_ways, self.shifts

    def table(self) -> pd.DataFrame:
        """One row per term of the decomposition.

        Component change, EGDI points, and the same net of the median country's change.
        """
        cols = ["term", "change", "egdi_points", "net_change", "net_egdi_points"]
        if self.status != "ok":
            return pd.DataFrame(columns=cols)
        tw, _ = self.measured()
        change, points = self.component_change, self.contributions
        if change is None or points is None:
            raise ValueError(
                f"EditionChange for {self.focus} in {self.year}: status ok but no "
                "component changes. Fix: build it with `edition_change`."
            )
        rows = [
            (
                f"{SHORT_LABELS[c]} (change / 3)",
                change[c],
                points[c],
                tw.loc[c, "net_change"],
                tw.loc[c, "net_change"] * EGDI_WEIGHTS[c],
            )
            for c in EGDI_COMPONENTS
        ]
        rows.append(
            (
                "Departure from the component mean (published EGDI change - sum)",
                np.nan,
                self.residual,
                np.nan,
                np.nan,
            )
        )
        rows.append(
            (
                "EGDI change (published)",
                self.egdi_change,
                self.egdi_change,
                tw.loc["egdi", "net_change"],
                tw.loc["egdi", "net_change"],
            )
        )
        return pd.DataFrame(rows, columns=cols)


def edition_change(
    year: int,
    focus: str = "BHR",
    egdi: pd.DataFrame | None = None,
    *,
    changes: pd.DataFrame | None = None,
) -> EditionChange:
    """Change of the focus country between the previous edition and ``year``.

    Handles the first edition (no previous one) and a country not assessed in either edition with
    a status and a message instead of an error. ``changes``: `pair_changes` of ``year`` and the
    previous edition on ``egdi``, when already computed (`benchmark` uses it twice).
    """
    egdi = _panel(egdi)
    focus = check_focus(focus, egdi)
    cur = _edition(egdi, year)
    name = country_name(focus)
    prev_year = previous_edition(year, egdi)
    if prev_year is None:
        return EditionChange(
            focus,
            int(year),
            None,
            "first_edition",
            f"{year} is the first edition in the data, so there is no previous "
            "edition to compare with.",
        )
    prev = _edition(egdi, prev_year)
    n_b, n_a = int(prev["assessed"].sum()), int(cur["assessed"].sum())
    if not bool(cur.loc[focus, "assessed"]):
        return EditionChange(
            focus,
            int(year),
            prev_year,
            "not_assessed_now",
            f"{name} was not assessed in {year}, so there is no change to explain.",
            n_before=n_b,
            n_after=n_a,
        )
    if not bool(prev.loc[focus, "assessed"]):
        why = (
            f"was not yet a UN member state in {prev_year}"
            if focus in not_yet_members(prev_year)
            else f"was not assessed in {prev_year} (the previous edition)"
        )
        return EditionChange(
            focus,
            int(year),
            prev_year,
            "not_assessed_before",
            f"{name} {why}, so its {year} scores cannot be compared with it.",
            n_before=n_b,
            n_after=n_a,
        )
    b, a = prev.loc[focus], cur.loc[focus]
    d = decompose_change(b, a)
    if changes is None:
        changes = pair_changes(year, prev_year, egdi)
    return EditionChange(
        focus,
        int(year),
        prev_year,
        "ok",
        "",
        egdi_before=float(b["egdi"]),
        egdi_after=float(a["egdi"]),
        egdi_change=d["egdi_change"],
        contributions=d["contributions"],
        component_change=d["component_change"],
        residual=d["residual"],
        rank_before=float(b["rank"]),
        rank_after=float(a["rank"]),
        rank_change=d["rank_change"],
        n_before=n_b,
        n_after=n_a,
        departure_before=_departure(b),
        departure_after=_departure(a),
        three_ways=change_three_ways(changes, focus),
        shifts=common_shifts(changes, egdi),
        baseline=rank_baselines(year, focus, egdi),
    )


#: Editions (before the one reported) that a rank change is also measured against.
BASELINE_EDITIONS = 3
#: A change against the previous edition and one against the median of `BASELINE_EDITIONS`
#: "disagree" when they differ in sign or by at least this many places (or a quarter of the move).
BASELINE_PLACES = 5


def rank_baselines(
    year: int, focus: str = "BHR", egdi: pd.DataFrame | None = None, n: int = BASELINE_EDITIONS
) -> dict | None:
    """The focus country's EGDI rank change against a longer baseline than the previous edition.

    One edition is a fragile baseline: a country whose previous rank was its worst in years
    "gains" many places by returning to its usual level. This measures the published rank
    change also against the edition before last and against the median and best rank of the
    ``n`` editions before ``year`` in which the country was assessed.

    Returns
    -------
    dict or None
        None when the country is not assessed in ``year`` or in fewer than two earlier editions.
        Keys: ``year``, ``rank``; ``previous``, ``rank_previous``; ``before_last``,
        ``rank_before_last``; ``window`` (the ``n`` editions), ``median_rank``, ``best_rank``,
        ``best_year``; ``change_previous``, ``change_before_last``, ``change_median``,
        ``change_best`` (places, positive = moved up); ``previous_extreme`` (``"worst"`` or
        ``"best"`` when the previous rank is the worst or best of the window, else None),
        ``worst_since`` (with ``"worst"``: the latest earlier edition ranked at least as low,
        None if none was) and ``disagree`` (the previous-edition and median baselines differ in
        sign or by at least `BASELINE_PLACES` places or a quarter of the move).
    """
    egdi = _panel(egdi)
    s = egdi[(egdi["iso3"] == focus) & egdi["assessed"].astype(bool) & (egdi["year"] <= year)]
    s = s.set_index("year")["rank"].astype(float).sort_index()
    if int(year) not in s.index:
        return None
    now, past = float(s.loc[int(year)]), s[s.index < int(year)]
    if len(past) < 2:
        return None
    window = past.iloc[-n:]
    prev, before_last = int(past.index[-1]), int(past.index[-2])
    r_prev = float(past.iloc[-1])
    median_rank, best_rank = float(window.median()), float(window.min())
    extreme = None
    if len(window) > 1 and r_prev == window.max() and r_prev > window.min():
        extreme = "worst"
    elif len(window) > 1 and r_prev == window.min() and r_prev < window.max():
        extreme = "best"
    older = past.iloc[:-1]
    as_low = older[older >= r_prev]
    d_prev, d_med = r_prev - now, median_rank - now
    return {
        "year": int(year),
        "rank": now,
        "previous": prev,
        "rank_previous": r_prev,
        "before_last": before_last,
        "rank_before_last": float(past.iloc[-2]),
        "window": [int(y) for y in window.index],
        "median_rank": median_rank,
        "best_rank": best_rank,
        "best_year": int(window.idxmin()),
        "change_previous": d_prev,
        "change_before_last": float(past.iloc[-2]) - now,
        "change_median": d_med,
        "change_best": best_rank - now,
        "previous_extreme": extreme,
        "worst_since": int(as_low.index[-1]) if extreme == "worst" and len(as_low) else None,
        "disagree": bool(
            np.sign(d_prev) != np.sign(d_med)
            or abs(d_prev - d_med) >= max(BASELINE_PLACES, abs(d_prev) / 4)
        ),
    }


def _places(d: float) -> str:
    n = abs(int(d))
    way = "up" if d > 0 else "down"
    return "no change" if n == 0 else f"{n} place{'s' if n != 1 else ''} {way}"


def baseline_sentence(bl: dict | None, name: str) -> str:
    """One sentence on the rank change against a longer baseline ("" if it agrees).

    Given only when `rank_baselines` finds that the longer baseline disagrees with the change
    against the previous edition.
    """
    if bl is None or not bl["disagree"]:
        return ""
    why = ""
    if bl["previous_extreme"] == "worst":
        since = bl["worst_since"]
        why = (
            f"{bl['previous']} ({ordinal(bl['rank_previous'])}) was {name}'s worst rank "
            + (f"since {since}" if since else "in any earlier edition")
            + "; "
        )
    elif bl["previous_extreme"] == "best":
        why = f"{bl['previous']} ({ordinal(bl['rank_previous'])}) was its best rank in years; "
    w = bl["window"]
    parts = [
        f"against {bl['before_last']} ({ordinal(bl['rank_before_last'])}) it is "
        f"{_places(bl['change_before_last'])}"
    ]
    if bl["median_rank"] != bl["rank_before_last"]:
        parts.append(
            f"against its median rank in {w[0]}–{w[-1]} ({ordinal(bl['median_rank'])}) "
            f"{_places(bl['change_median'])}"
        )
    else:
        parts[0] += f", as against its median rank in {w[0]}–{w[-1]}"
    if bl["best_rank"] not in (bl["median_rank"], bl["rank_before_last"]):
        parts.append(
            f"against its best of those editions ({ordinal(bl['best_rank'])}, "
            f"{bl['best_year']}) {_places(bl['change_best'])}"
        )
    return f"The size of the move depends on the baseline: {why}{'; '.join(parts)}."


def unusual_moves(tw: pd.DataFrame) -> list[str]:
    """Components (and EPI) whose move is unusually large for the two editions.

    Net of the median country, the move is larger than `UNUSUAL_QUANTILE` of all countries'
    moves between the same editions (``three_ways["unusual"]``).
    """
    return [k for k in (*EGDI_COMPONENTS, "epi") if bool(tw.loc[k, "unusual"])]


def unusual_sentence(c: EditionChange) -> str:
    """Sentence flagging the focus country's unusually large component moves ("" if none)."""
    if c.status != "ok":
        return ""
    tw, _ = c.measured()
    ks = unusual_moves(tw)
    if not ks:
        return ""
    moves = [f"{SHORT_LABELS[k]} {tw.loc[k, 'net_change']:+.3f}" for k in ks]
    cuts = [f"±{tw.loc[k, 'unusual_cut']:.3f}" for k in ks]
    one = len(ks) == 1
    return (
        f"Net of the median country, {join_names(moves)} moved more than "
        f"{UNUSUAL_QUANTILE:.0%} of the {tw.attrs['n_common']} countries assessed in both "
        f"editions ({UNUSUAL_QUANTILE * 100:.0f}th percentile{'' if one else 's'} "
        f"{join_names(cuts)}): unusually large; check for a data revision before quoting "
        + ("it." if one else "them.")
    )


def _departure(row: pd.Series) -> float:
    """Published EGDI minus the mean of the published OSI, HCI and TII."""
    return float(row["egdi"]) - indices.egdi_from_components(
        *(float(row[c]) for c in EGDI_COMPONENTS)
    )


# ------------------------------------------------------------------------------ targets & margins
#: Ranks the focus country is measured against in `rank_targets` (besides the next rank up).
TARGET_RANKS: tuple[int, ...] = (15, 10, 5)
#: The share of an edition's margins between neighbouring ranks below which a rank is called
#: "fragile" (a judgement kept in ``judgements/brief_rules.yml``; a fixed 0.005 EGDI would call
#: 69% of all 2024 ranks fragile).
FRAGILE_RULE = "fragile_rank_share"


@dataclass(frozen=True)
class ReportRule:
    """A threshold the reports apply (``egovlib/judgements/brief_rules.yml``)."""

    name: str
    value: float
    why: str
    citation: str


def report_rule(name: str) -> float:
    """The value of one of the reports' judgement thresholds."""
    rules = {r.name: r for r in load_judgements("brief_rules", ReportRule)}
    if name not in rules:
        raise EgovError(f"no rule {name!r} in egovlib/judgements/brief_rules.yml")
    return rules[name].value


def rank_margins(ed: pd.DataFrame) -> pd.Series:
    """EGDI margin of each assessed country over the next-ranked one (index = ISO3, by rank).

    The last-ranked country has no margin (missing).
    """
    a = ed[ed["assessed"].astype(bool)].sort_values(["rank", "egdi"], ascending=[True, False])
    return (a["egdi"] - a["egdi"].shift(-1)).rename("margin")


def fragile_cut(ed: pd.DataFrame) -> float:
    """The margin at or below which a rank is fragile in this edition.

    The `FRAGILE_RULE` share (10%) of the margins between neighbouring ranks: 0.00034 EGDI in
    2024, 0.00040 in 2008.
    """
    return float(rank_margins(ed).dropna().quantile(report_rule(FRAGILE_RULE)))


#: Published scores carry four or five decimals: margins below this are ties in practice.
ROUNDING_MARGIN = 0.0005


def _threat_word(margin: float, cut: float) -> str:
    """How safe a rank held by ``margin`` EGDI points is, in words (report 02's headlines).

    Fragile at or below `fragile_cut` (the brief's rule too); a margin below the published
    precision is never called safe, even when it is not among the edition's smallest.
    """
    if margin <= cut:
        return "fragile"
    if margin < ROUNDING_MARGIN:
        return "as good as tied"
    return "not under immediate threat"


def _ranked(ed: pd.DataFrame) -> pd.DataFrame:
    """Assessed countries of one edition, best first (published rank, then EGDI)."""
    t = ed[ed["assessed"]].copy()
    return t.sort_values(["rank", "egdi"], ascending=[True, False], kind="stable")


def rank_targets(
    year: int,
    focus: str = "BHR",
    egdi: pd.DataFrame | None = None,
    ranks: Sequence[int] = TARGET_RANKS,
) -> pd.DataFrame:
    """What it takes to reach the next rank and the top ``ranks``, others held at their scores.

    To reach rank ``R`` the focus country must pass the country now ranked ``R``: it needs an
    EGDI gain of (that country's EGDI - its own). Because the EGDI is the mean of OSI, HCI and
    TII, one component alone must rise by three times that gain; a component cannot pass 1 (the
    edition's best score after rescaling), so some routes are impossible. Where the focus country
    already holds rank ``R`` or better, the row gives its cushion instead: how much EGDI it can
    lose before the first country outside passes it.

    Scores are relative: a real gain moves the rescaling of everyone, so "others held" is a
    first-order reading, exact only for small moves. A last row gives the gain to the threshold
    of the next EGDI level group up (`egovlib.indices.LEVEL_THRESHOLDS`), if any, from the
    edition the UN first published them (`CLASSIFICATION_EDITION`): a target that means
    something at any rank.

    Parameters
    ----------
    year : int
    focus : str
    egdi : DataFrame, optional
    ranks : sequence of int
        Target ranks besides the next one up (default `TARGET_RANKS`).

    Returns
    -------
    DataFrame
        One row per target: ``target`` (label), ``target_rank``, ``status`` ("to reach" or
        "held"), ``rival`` (ISO3 of the country to pass, or of the first country outside when
        held), ``rival_name``, ``rival_egdi``, ``egdi_gain`` (EGDI points needed; missing when
        held), ``cushion`` (EGDI points that can be lost; missing when to reach), per component
        ``gain_<c>`` (rise of that component alone) and ``feasible_<c>`` (it stays <= 1), and
        ``gain_each`` (equal rise of all three).
    """
    egdi = _panel(egdi)
    focus = check_focus(focus, egdi)
    ed = _edition(egdi, year)
    if not bool(ed.loc[focus, "assessed"]):
        raise EgovError(f"{country_name(focus)} was not assessed in {year}; no targets")
    t = _ranked(ed)
    own = t.loc[focus]
    cur = int(own["rank"])
    wanted = [("next rank", cur - 1)] if cur > 1 and cur - 1 not in set(ranks) else []
    wanted += [(f"top {r}", int(r)) for r in ranks]
    rows = []
    for label, r in wanted:
        row = {"target": label, "target_rank": r}
        if r < cur:
            rival = t[t["rank"] <= r].iloc[-1]
            gain = float(rival["egdi"]) - float(own["egdi"])
            row.update(status="to reach", egdi_gain=gain, cushion=np.nan, gain_each=gain)
            for c in EGDI_COMPONENTS:
                g = gain / EGDI_WEIGHTS[c]
                row[f"gain_{c}"] = g
                row[f"feasible_{c}"] = float(own[c]) + g <= 1.0
        else:
            outside = t[(t["rank"] > r) & (t.index != focus)]
            rival = outside.iloc[0] if len(outside) else None
            row.update(status="held", egdi_gain=np.nan, gain_each=np.nan)
            row["cushion"] = (
                float(own["egdi"]) - float(rival["egdi"]) if rival is not None else np.nan
            )
            for c in EGDI_COMPONENTS:
                row[f"gain_{c}"] = np.nan
                row[f"feasible_{c}"] = pd.NA
        if rival is not None:
            row.update(
                rival=str(rival["iso3"]),
                rival_name=str(rival["country"]),
                rival_egdi=float(rival["egdi"]),
            )
        rows.append(row)
    # The next EGDI level group up: a target whatever the rank (a country ranked 87th is far
    # from the top 15, not from the next group).
    above = [(g, lo) for g, lo in indices.LEVEL_THRESHOLDS if lo > float(own["egdi"])]
    # Before the UN published level groups (2020) such a threshold is a later yardstick: a report
    # for an earlier edition does not set it as a target.
    if above and int(year) >= CLASSIFICATION_EDITION:
        group, lo = above[-1]
        gain = lo - float(own["egdi"])
        row = {
            "target": f"{group} level group",
            "target_rank": pd.NA,
            "status": "to reach",
            "rival_name": f"EGDI {lo:g}",
            "rival_egdi": lo,
            "egdi_gain": gain,
            "cushion": np.nan,
            "gain_each": gain,
        }
        for c in EGDI_COMPONENTS:
            row[f"gain_{c}"] = gain / EGDI_WEIGHTS[c]
            row[f"feasible_{c}"] = float(own[c]) + gain / EGDI_WEIGHTS[c] <= 1.0
        rows.append(row)
    cols = ["target", "target_rank", "status", "rival", "rival_name", "rival_egdi", "egdi_gain"]
    cols += ["cushion", *[f"gain_{c}" for c in EGDI_COMPONENTS], "gain_each"]
    cols += [f"feasible_{c}" for c in EGDI_COMPONENTS]
    out = pd.DataFrame(rows).reindex(columns=cols)
    out.attrs.update(year=int(year), focus=focus, rank=cur, egdi=float(own["egdi"]))
    return out


def neighbour_margins(
    year: int, focus: str = "BHR", egdi: pd.DataFrame | None = None, k: int = 3
) -> pd.DataFrame:
    """The ``k`` countries ranked just above and below the focus country, and the margins.

    Returns
    -------
    DataFrame
        ``rank, iso3, country, egdi, margin`` (their EGDI minus the focus country's: positive
        above, negative below), ``position`` ("above", "focus", "below").
    """
    egdi = _panel(egdi)
    focus = check_focus(focus, egdi)
    ed = _edition(egdi, year)
    if not bool(ed.loc[focus, "assessed"]):
        raise EgovError(f"{country_name(focus)} was not assessed in {year}; no neighbours")
    t = _ranked(ed).reset_index(drop=True)
    i = int(t.index[t["iso3"] == focus][0])
    win = t.iloc[max(0, i - k) : i + k + 1].copy()
    win["margin"] = win["egdi"].astype(float) - float(t.loc[i, "egdi"])
    win["position"] = np.where(win.index < i, "above", np.where(win.index == i, "focus", "below"))
    win["rank"] = win["rank"].astype("Int64")
    return win[["rank", "iso3", "country", "egdi", "margin", "position"]].reset_index(drop=True)


def rank_sensitivity(
    year: int,
    focus: str = "BHR",
    egdi: pd.DataFrame | None = None,
    moves: Sequence[float] = (0.005, 0.01, 0.02),
) -> pd.DataFrame:
    """The focus country's rank if its EGDI rose or fell by each of ``moves`` (others held).

    Returns
    -------
    DataFrame
        ``move`` (EGDI points), ``component_move`` (the same on one component alone, x3),
        ``rank_if_gain``, ``rank_if_loss``, ``places_gained``, ``places_lost``.
    """
    egdi = _panel(egdi)
    focus = check_focus(focus, egdi)
    ed = _edition(egdi, year)
    t = ed[ed["assessed"]]
    own = float(t.loc[focus, "egdi"])
    others = t.drop(index=focus)["egdi"].astype(float)
    cur = int(t.loc[focus, "rank"])
    rows = []
    for m in moves:
        up = 1 + int((others > own + m).sum())
        down = 1 + int((others > own - m).sum())
        rows.append(
            {
                "move": float(m),
                "component_move": float(m) * len(EGDI_COMPONENTS),
                "rank_if_gain": up,
                "rank_if_loss": down,
                "places_gained": cur - up,
                "places_lost": down - cur,
            }
        )
    return pd.DataFrame(rows)


#: Net changes (score points) closer than this to the largest are "about as large": the
#: published scores carry three to five decimals, but a difference of 0.02 on one component is
#: within what one questionnaire item or one statistical revision can move.
CLOSE_GAIN = 0.02


def largest_gain(c: EditionChange) -> dict:
    """Which component gained most relative to the other countries, and how robust that is.

    Among the components compared across the two editions (no method change in between), the
    leader is sought by each of the three measures: the change net of the median country, the
    change of the within-edition z-score and the rank change (ranks among all countries
    assessed in each edition).

    Returns
    -------
    dict
        ``by_net``, ``by_z``, ``by_rank`` (leaders), ``close`` (components within `CLOSE_GAIN`
        of the largest net change, leader first), ``verdict``: ``"none"`` (nothing comparable),
        ``"clear"`` (one leader on all three measures and no close second), ``"close"`` (a
        close second net of the median) or ``"disputed"`` (the measures name different leaders).
    """
    tw, sh = c.measured()
    comps = [k for k in EGDI_COMPONENTS if not bool(sh.loc[k, "crosses_break"])]
    if not comps:
        return {"verdict": "none", "close": [], "by_net": None, "by_z": None, "by_rank": None}
    net = tw.loc[comps, "net_change"].astype(float).sort_values(ascending=False)
    out = {
        "by_net": net.index[0],
        "by_z": tw.loc[comps, "z_change"].astype(float).idxmax(),
        "by_rank": tw.loc[comps, "rank_change"].astype(float).idxmax(),
        "close": [k for k in net.index if net.iloc[0] - net[k] < CLOSE_GAIN],
    }
    if len(out["close"]) > 1:
        out["verdict"] = "close"
    elif out["by_net"] == out["by_z"] == out["by_rank"]:
        out["verdict"] = "clear"
    else:
        out["verdict"] = "disputed"
    return out


def typical_move(changes: pd.DataFrame) -> float:
    """Median absolute EGDI change net of the median country between two editions."""
    return float(changes["net_egdi"].abs().median())


# ------------------------------------------------------------------------------ readiness
#: GTMI questions behind cross-border digital ID and single sign-on, in the order shown, with the
#: meaning of each code (World Bank GovTech dataset; see egovlib/readers/gtmi.py).
READINESS_ITEMS: tuple[tuple[str, str, Mapping[int, str]], ...] = (
    ("gtmi_national_id", "National ID (I-40)", {0: "none", 1: "yes"}),
    ("gtmi_eid", "e-ID or digitised national ID (I-41)", {0: "none", 1: "yes"}),
    (
        "gtmi_service_bus",
        "Service bus (I-4)",
        {0: "none", 1: "only partial", 2: "operational", 3: "advanced"},
    ),
    (
        "gtmi_gov_cloud",
        "Government cloud (I-1)",
        {0: "none", 1: "only partial", 2: "operational"},
    ),
)
#: Shown beside the four blocks but not counted in them: recognising another country's
#: electronic signatures also needs a signature law and a public key infrastructure (GTMI I-42,
#: codes 0-3), but the meaning of codes 1-3 is not published with the data, so no code is
#: declared "in place".
READINESS_EXTRA: tuple[tuple[str, str, Mapping[int, str]], ...] = (
    (
        "gtmi_digital_signature",
        "Digital signature and PKI (I-42)",
        {0: "none", 1: "code 1 of 3", 2: "code 2 of 3", 3: "code 3 of 3"},
    ),
)
#: Code at or above which an item counts as in place for cross-border identity and sign-on.
READINESS_MINIMUM: Mapping[str, int] = {
    "gtmi_national_id": 1,
    "gtmi_eid": 1,
    "gtmi_service_bus": 2,
    "gtmi_gov_cloud": 2,
}


def identity_readiness(
    year: int, group: str | Iterable[str] = "GCC", focus: str | None = None
) -> pd.DataFrame:
    """Building blocks of cross-border digital ID and single sign-on in the World Bank GTMI.

    Mutual recognition of e-IDs and a shared sign-on need, in each country, a national ID, an
    e-ID usable online, a service bus (interoperability platform) to exchange the data, and a
    government cloud to host shared services. The GTMI codes each (questions I-40, I-41, I-4,
    I-1). Values follow the shared vintage rule, so a report for edition ``year`` uses only GTMI
    rounds published before it; before the first GTMI round (2020) there are none.

    Returns
    -------
    DataFrame
        One row per country (group members, then the focus country if outside): ``iso3,
        country``, per item the code (``gtmi_*``) and its meaning (``<item>_label``), ``gtmi_year``
        (reference year used), ``in_place`` (items at or above `READINESS_MINIMUM`) and
        ``complete`` (all four in place; missing where data are missing); `READINESS_EXTRA`
        items (digital signature and PKI) with code and label, not counted.
    """
    from .panel import build_panel, covariate_catalogue

    codes = resolve_group(group)
    if focus is not None and focus.upper() not in codes:
        codes = [*codes, focus.upper()]
    items = [i for i, _, _ in READINESS_ITEMS]
    extra = [i for i, _, _ in READINESS_EXTRA if i in covariate_catalogue()]
    panel = build_panel(year, [*items, *extra], coverage_groups=())
    d = panel.data.set_index("iso3").loc[codes]
    refs = panel.ref_years.set_index("iso3").loc[codes]
    out = pd.DataFrame(index=pd.Index(codes, name="iso3"))
    out["country"] = [country_name(c) for c in codes]
    ok = pd.DataFrame(index=out.index)
    for item, _, labels in READINESS_ITEMS:
        v = d[item]
        out[item] = v.astype("Int64")
        out[f"{item}_label"] = [labels.get(int(x), str(x)) if pd.notna(x) else pd.NA for x in v]
        ok[item] = (v >= READINESS_MINIMUM[item]).where(v.notna())
    for item, _, labels in READINESS_EXTRA:
        v = d[item] if item in d else pd.Series(np.nan, index=d.index)
        out[item] = v.astype("Int64")
        out[f"{item}_label"] = [labels.get(int(x), str(x)) if pd.notna(x) else pd.NA for x in v]
    years = refs[items].stack().dropna()
    out["gtmi_year"] = refs[items].max(axis=1).astype("Int64")
    out["in_place"] = ok.sum(axis=1).astype(int)
    out["complete"] = ok.all(axis=1).where(ok.notna().all(axis=1))
    out.attrs.update(year=int(year), rule=panel.rule, gtmi_years=sorted(set(years.astype(int))))
    return out.reset_index()


# ------------------------------------------------------------------------------ bundle & prose
@dataclass(frozen=True)
class Benchmark:
    """Everything notebook 02 shows for one edition, group and focus country."""

    year: int
    group: str
    members: tuple[str, ...]
    focus: str
    table: pd.DataFrame
    trajectories: pd.DataFrame
    profile: pd.DataFrame
    gaps: pd.DataFrame | None
    change: EditionChange
    targets: pd.DataFrame | None = None
    margins: pd.DataFrame | None = None
    sensitivity: pd.DataFrame | None = None
    typical_move: float = np.nan
    fragile_cut: float = np.nan

    @property
    def group_title(self) -> str:
        """The group's name at the start of a caption ("GCC", "The selected countries")."""
        return self.group[:1].upper() + self.group[1:]


def benchmark(
    year: int,
    group: str | Iterable[str] = "GCC",
    focus: str = "BHR",
    comparisons: Iterable[str] = ("top10", "region", "income_group"),
    egdi: pd.DataFrame | None = None,
) -> Benchmark:
    """Compute the group table, rank trajectories, profile, frontier gaps and edition change.

    If the focus country was not assessed in ``year`` the profile and gaps are empty/None and
    the change carries a message; the group table and trajectories are still given.
    """
    egdi = _panel(egdi)
    members = group_members(group, egdi)
    focus = check_focus(focus, egdi)
    table = group_table(year, group, focus, egdi)
    traj = rank_trajectories(group, focus, egdi, up_to=year)
    assessed = bool(_edition(egdi, year).loc[focus, "assessed"])
    prof = profile(year, focus, group, comparisons, egdi) if assessed else pd.DataFrame()
    gaps = frontier_gaps(year, focus, egdi) if assessed else None
    prev = previous_edition(year, egdi)
    changes = pair_changes(year, prev, egdi) if prev else None
    return Benchmark(
        int(year),
        group_label(group),
        tuple(members),
        focus,
        table,
        traj,
        prof,
        gaps,
        edition_change(year, focus, egdi, changes=changes),
        targets=rank_targets(year, focus, egdi) if assessed else None,
        margins=neighbour_margins(year, focus, egdi) if assessed else None,
        sensitivity=rank_sensitivity(year, focus, egdi) if assessed else None,
        typical_move=typical_move(changes) if prev else np.nan,
        fragile_cut=fragile_cut(_edition(egdi, year)),
    )


#: A signed change with four decimals ("0.0000" rather than "-0.0000"), for prose and charts.
_signed = signed_format(4)


#: First edition in which the UN published level groups with rating classes (E-Government
#: Survey 2020, ch. 1): for earlier editions they are computed here with today's thresholds.
CLASSIFICATION_EDITION = 2020


def group_phrase(label: str) -> str:
    """A group's name as used in a sentence: acronyms read as "the GCC".

    Names ("Asia", "the selected countries") are used as they are.
    """
    return f"the {label}" if label.isupper() else label


def standing_prose(b: Benchmark) -> str:
    """Generated paragraph: the focus country's rank, level, rating class and place in the group."""
    t = b.table.set_index("iso3")
    name = country_name(b.focus)
    row = t.loc[b.focus]
    n = int(row["n_assessed"])
    if not bool(row["assessed"]):
        return (
            f"{name} was not assessed in the {b.year} edition ({n} countries were), so it has "
            "no rank or score that year."
        )
    inside = t[t["in_group"] & t["assessed"]]
    # Rating classes exist from 2020 on: an earlier edition's report names only the level group,
    # computed with today's thresholds and said so.
    cls = (
        f" (rating class {row['rating_class']})"
        if b.year >= CLASSIFICATION_EDITION
        else " (today's thresholds applied retroactively)"
    )
    text = (
        f"{name} ranks **{ordinal(row['rank'])} of {n}** in {b.year} with an EGDI of "
        f"{row['egdi']:.4f}, in the *{row['level_group']}* level group{cls}."
    )
    if b.focus in inside.index:
        pos = list(inside.index).index(b.focus) + 1
        ahead = [
            f"{r['country']} ({ordinal(r['rank'])})" for _, r in inside.iloc[: pos - 1].iterrows()
        ]
        text += f" Within {group_phrase(b.group)} it is {ordinal(pos)} of {len(inside)}"
        text += f", behind {join_names(ahead)}." if ahead else "."
    else:
        better = int((inside["rank"] < row["rank"]).sum())
        text += (
            f" It is not a member of {group_phrase(b.group)}; {better} of the group's "
            f"{len(inside)} assessed member{'s' if len(inside) != 1 else ''} "
            f"rank{'s' if better == 1 else ''} above it."
        )
    late = not_yet_members(b.year)
    missing = t[t["in_group"] & ~t["assessed"] & ~t.index.isin(list(late))]
    if len(missing):
        text += f" Not assessed in {b.year}: {join_names(list(missing['country']))}."
    new = t[t["in_group"] & t.index.isin(list(late))]
    if len(new):
        text += f" Not yet UN member states in {b.year}: {join_names(list(new['country']))}."
    best = inside.iloc[0] if len(inside) else None
    if best is not None and b.focus not in inside.index:
        text += (
            f" The group's best performer is {best['country']} ({ordinal(best['rank'])}, "
            f"EGDI {best['egdi']:.4f})."
        )
    comp_ranks = {
        c.upper(): int(row[f"{c}_rank"]) for c in EGDI_COMPONENTS if pd.notna(row[f"{c}_rank"])
    }
    if comp_ranks:
        strongest = min(comp_ranks, key=comp_ranks.__getitem__)
        weakest = max(comp_ranks, key=comp_ranks.__getitem__)
        text += (
            f" Among the components its best rank is in {strongest} "
            f"({ordinal(comp_ranks[strongest])}) and its worst in {weakest} "
            f"({ordinal(comp_ranks[weakest])})."
        )
    return text


def gap_prose(b: Benchmark) -> str:
    """Generated paragraph on the gap to the frontier and which component costs most."""
    if b.gaps is None:
        return f"{country_name(b.focus)} was not assessed in {b.year}; no gaps to the frontier."
    g = b.gaps
    name = country_name(b.focus)
    front = g.attrs["frontier_name"]
    if g.attrs["frontier"] == b.focus:
        return (
            f"{name} is the frontier (rank 1) in {b.year}; its gaps are measured to the best "
            "score on each component instead: "
            + ", ".join(f"{c.upper()} {g.loc[c, 'gap_to_best']:.3f}" for c in g.index)
            + "."
        )
    parts = [f"{c.upper()} {g.loc[c, 'gap']:+.3f}" for c in EGDI_COMPONENTS]
    text = (
        f"Gap to the frontier ({front}, rank 1) in {b.year}, frontier minus {name}: "
        f"{', '.join(parts)}. Because the EGDI is the plain mean of OSI, HCI and TII, a gap of "
        "*g* in one component costs *g*/3 EGDI points."
    )
    worst = costliest_gap(g)
    if worst is None:
        text += f" {name} is level with or ahead of {front} on every EGDI component."
    else:
        pts = g.loc[worst, "egdi_points"]
        total = g.loc[g["in_egdi"], "egdi_points"].clip(lower=0).sum()
        text += (
            f" The costliest gap is **{worst.upper()}**: closing it would add "
            f"{pts:.4f} EGDI points ({pts / total:.0%} of the {total:.4f} points "
            f"{name} loses where it trails {front})."
        )
        ahead = [c.upper() for c in EGDI_COMPONENTS if g.loc[c, "gap"] < 0]
        if ahead:
            text += f" {name} is ahead of {front} on {join_names(ahead)}."
    text += (
        f" EPI is not part of the EGDI: its gap ({g.loc['epi', 'gap']:+.3f}) costs no EGDI "
        "points, although the UN reports it beside the EGDI."
    )
    return text


def gain_sentence(c: EditionChange, lg: dict | None = None) -> str:
    """One sentence on the largest relative gain and whether the three measures agree."""
    lg = largest_gain(c) if lg is None else lg
    tw, sh = c.measured()
    lab = SHORT_LABELS
    if lg["verdict"] == "none":
        return ""
    if lg["verdict"] == "clear":
        return (
            f"The largest relative gain is in **{lab[lg['by_net']]}** on all three measures "
            "(net of the median country, z-score and rank)."
        )
    if lg["verdict"] == "close":
        close = lg["close"]
        text = (
            f"{join_names([lab[k] for k in close])} gained about as much as each other relative "
            f"to the other countries (within {CLOSE_GAIN:g} net of the median): no single "
            "component stands out"
        )
    else:
        text = (
            f"The largest gain net of the median country is in **{lab[lg['by_net']]}**, but "
            "the measures disagree"
        )
    others = []
    if lg["by_z"] != lg["by_net"]:
        others.append(f"by z-score, {lab[lg['by_z']]} gained most")
    if lg["by_rank"] != lg["by_net"]:
        r = lg["by_rank"]
        note = (
            ", but ceiling compression makes small differences decide ranks there"
            if bool(sh.loc[r, "compressed"])
            else ""
        )
        others.append(f"by rank, {lab[r]} moved most ({_rank_move(tw, r)}){note}")
    return text + (f"; {'; '.join(others)}." if others else ".")


#: How every component rank in the reports is counted (said once wherever ranks are quoted).
RANK_BASE = (
    "component ranks are among all countries assessed in each edition, ties sharing the best "
    "rank, as the published EGDI rank"
)


def _rank_move(tw: pd.DataFrame, k: str) -> str:
    return f"{ordinal(tw.loc[k, 'rank_before'])} → {ordinal(tw.loc[k, 'rank_after'])}"


def _change_flags(c: EditionChange, sh: pd.DataFrame) -> list[str]:
    """Common shifts and ceiling compression that make raw changes misleading."""
    flags = []
    for k in EGDI_COMPONENTS:
        r = sh.loc[k]
        if r["common_shift"]:
            way = "rose" if r["share_rose"] >= r["share_fell"] else "fell"
            share = max(r["share_rose"], r["share_fell"])
            flags.append(
                f"{SHORT_LABELS[k]} {way} for {share:.0%} of countries (median "
                f"{r['median_change']:+.3f}), a common shift"
            )
        if r["compressed"]:
            flags.append(
                f"{int(r['at_ceiling_after'])} countries score {CEILING:g} or more on "
                f"{SHORT_LABELS[k]} (against {int(r['at_ceiling_before'])} in {c.previous}): "
                "ceiling compression, so small differences decide ranks there"
            )
    return flags


def change_prose(b: Benchmark) -> str:
    """Generated paragraph on what moved the focus country since the previous edition.

    It leads with the measures that are not driven by what moved every country (the change net
    of the median country and the rank change, ranks among all countries assessed), then gives
    the raw change, and flags common shifts, ceiling compression, method changes and likely
    revisions.
    """
    c = b.change
    if c.status != "ok":
        return c.message
    name = country_name(b.focus)
    tw, sh = c.measured()
    moved = (
        "did not change rank"
        if c.rank_change == 0
        else f"moved {'up' if c.rank_change > 0 else 'down'} {abs(int(c.rank_change))} "
        f"place{'s' if abs(c.rank_change) != 1 else ''}"
    )
    text = (
        f"Between {c.previous} and {c.year} {name} {moved}, from {ordinal(int(c.rank_before))} of "
        f"{c.n_before} to {ordinal(int(c.rank_after))} of {c.n_after}."
    )
    text = " ".join(x for x in (text, baseline_sentence(c.baseline, name)) if x)
    comps = list(EGDI_COMPONENTS)
    comparable = [k for k in comps if not bool(sh.loc[k, "crosses_break"])]
    broken = [k for k in comps if bool(sh.loc[k, "crosses_break"])]
    if comparable:
        lg = largest_gain(c)
        best = lg["by_net"]
        parts = [
            f"{SHORT_LABELS[k]} {tw.loc[k, 'net_change']:+.3f} (rank {_rank_move(tw, k)})"
            for k in comparable
        ]
        text += (
            f" **Net of the median country** (what moved every country removed), its change "
            f"was {', '.join(parts)}; {RANK_BASE}."
        )
        if tw.loc[best, "net_change"] <= 0:
            worst = tw.loc[comparable, "net_change"].astype(float).idxmin()
            text += (
                f" {name} lost ground on every comparable component, most on "
                f"**{SHORT_LABELS[worst]}**."
            )
        else:
            text += " " + gain_sentence(c, lg)
        raw_best = tw.loc[comparable, "change"].idxmax()
        if raw_best not in lg["close"]:
            text += (
                f" Raw score changes alone would point to {SHORT_LABELS[raw_best]} "
                f"({tw.loc[raw_best, 'change']:+.3f} raw, against a median of "
                f"{tw.loc[raw_best, 'median_change']:+.3f})."
            )
    raw = [f"{SHORT_LABELS[k]} {tw.loc[k, 'change']:+.3f}" for k in comps]
    text += (
        f" The raw scores moved {', '.join(raw)}, and the EGDI {c.egdi_before:.4f} → "
        f"{c.egdi_after:.4f} ({c.egdi_change:+.4f}; {tw.loc['egdi', 'net_change']:+.4f} net of "
        f"the median country's {tw.loc['egdi', 'median_change']:+.4f})."
    )
    flags = _change_flags(c, sh)
    if flags:
        text += " Read the raw changes with care: " + "; ".join(flags) + "."
    if broken:
        text += (
            f" The UN changed the method of {join_names([SHORT_LABELS[k] for k in broken])} "
            f"between {c.previous} and {c.year}: raw changes there mix progress with a change "
            "of yardstick, so only ranks are compared, and even they measure partly the new "
            "method: "
            + join_names([f"{SHORT_LABELS[k]} rank {_rank_move(tw, k)}" for k in broken])
            + (f" ({RANK_BASE})." if not comparable else ".")
        )
    rev = [k for k in (*comps, "epi") if bool(tw.loc[k, "likely_revision"])]
    if rev:
        text += (
            f" {join_names([SHORT_LABELS[k] for k in rev])} moved by more than "
            f"{REVISION_THRESHOLD:g} in one edition: likely a data revision, not evidence of "
            "policy."
        )
    text = " ".join(x for x in (text, unusual_sentence(c)) if x)
    if abs(c.residual) >= 5e-5:
        text += (
            f" The published EGDI change differs from the sum of the three contributions by "
            f"{c.residual:+.4f}, because the published EGDI is not exactly the mean of the "
            f"published components: it departs from it by {_signed(c.departure_before)} "
            f"in {c.previous} and {_signed(c.departure_after)} in {c.year}."
        )
    return text


def targets_prose(b: Benchmark) -> str:
    """Generated paragraph: how fragile the focus country's rank is and what each target takes."""
    t, m = b.targets, b.margins
    if t is None or m is None:
        return f"{country_name(b.focus)} was not assessed in {b.year}: no targets."
    name = country_name(b.focus)
    rank = t.attrs["rank"]
    below = m[m["position"] == "below"]
    parts = []
    if len(below):
        nb = below.iloc[0]
        gap = -float(nb["margin"])
        word = _threat_word(gap, b.fragile_cut)
        if word == "fragile":
            word += (
                f" (its margin is among the {report_rule(FRAGILE_RULE):.0%} smallest between "
                "neighbouring ranks)"
            )
        parts.append(
            f"Rank {rank} is {word}: {name} is {gap:.5f} EGDI points above "
            f"{nb['country']} ({ordinal(nb['rank'])})"
            + (" — a tie at the published precision" if gap < ROUNDING_MARGIN else "")
            + "."
        )
    win = m["egdi"].max() - m["egdi"].min()
    parts.append(
        f"Ranks {int(m['rank'].min())}–{int(m['rank'].max())} lie within {win:.3f} EGDI points"
        + (
            f", while the median country moved {b.typical_move:.3f} (net of the common shift) "
            "since the previous edition."
            if np.isfinite(b.typical_move)
            else "."
        )
    )
    sens = b.sensitivity
    if sens is not None and len(sens):
        r = sens[sens["move"] == 0.01]
        r = r.iloc[0] if len(r) else sens.iloc[0]
        parts.append(
            f"A fall of {r['move']:g} EGDI points ({r['component_move']:.2f} on one component) "
            f"would cost {int(r['places_lost'])} places; a rise as large would gain "
            f"{int(r['places_gained'])}."
        )
    for _, r in t.iterrows():
        if r["status"] == "held":
            parts.append(
                f"{r['target'].capitalize()}: held, with a cushion of {r['cushion']:.4f} over "
                f"{r['rival_name']}."
            )
            continue
        ok = [SHORT_LABELS[c] for c in EGDI_COMPONENTS if r[f"feasible_{c}"] is True]
        no = [SHORT_LABELS[c] for c in EGDI_COMPONENTS if r[f"feasible_{c}"] is False]
        what = (
            f"pass {r['rival_name']}"
            if pd.notna(r["target_rank"])
            else f"reach {r['rival_name']}"
            + (", today's threshold" if b.year < CLASSIFICATION_EDITION else "")
        )
        txt = (
            f"{r['target'][:1].upper() + r['target'][1:]} ({what}): +{r['egdi_gain']:.4f} EGDI, "
            f"i.e. +{r['gain_each']:.4f} on each component or +{3 * r['egdi_gain']:.3f} on one"
        )
        if ok and no:
            txt += f" ({join_names(ok)} alone could do it; {join_names(no)} alone would pass 1)"
        elif no:
            txt += " (no single component can do it alone: each would pass 1)"
        parts.append(txt + ".")
    parts.append(
        "Others are held at their scores: because scores are rescaled within each edition, "
        "this is a first approximation."
    )
    return " ".join(parts)


def _move_phrase(c: EditionChange) -> str:
    """The rank move of a key finding, e.g. "moved up 36 places since 2022 (20 ... 2020, ...)".

    The longer baseline of `rank_baselines` is added only when it disagrees with the previous
    edition.
    """
    move = (
        f"moved {'up' if c.rank_change > 0 else 'down'} {abs(int(c.rank_change))} "
        f"place{'s' if abs(c.rank_change) != 1 else ''} since {c.previous}"
        if c.rank_change
        else f"kept its rank since {c.previous}"
    )
    bl = c.baseline
    if bl is None or not bl["disagree"]:
        return move
    why = ""
    if bl["previous_extreme"] == "worst":
        since = f"since {bl['worst_since']}" if bl["worst_since"] else "in any earlier edition"
        why = f": {c.previous} was its worst rank {since}"
    return (
        f"{move} ({_places(bl['change_before_last'])} against {bl['before_last']}, "
        f"{ordinal(bl['rank_before_last'])}{why})"
    )


def _unusual_clause(tw: pd.DataFrame) -> str:
    """The key-finding clause on unusually large moves ("" if there are none).

    E.g. ". Net of the median country, OSI and HCI moved more than 95% of countries did: ...".
    """
    ks = unusual_moves(tw)
    if not ks:
        return ""
    return (
        f". Net of the median country, {join_names([SHORT_LABELS[k] for k in ks])} moved more "
        f"than {UNUSUAL_QUANTILE:.0%} of countries did: unusually large; check for a data "
        "revision before quoting " + ("it" if len(ks) == 1 else "them")
    )


def _change_finding(c: EditionChange) -> str | None:
    """Key finding on the change since the previous edition (None if none was measured)."""
    if c.status != "ok":
        return None
    tw, sh = c.measured()
    comps = [k for k in EGDI_COMPONENTS if not bool(sh.loc[k, "crosses_break"])]
    move = _move_phrase(c)
    if comps:
        lg = largest_gain(c)
        best = lg["by_net"]
        common = [SHORT_LABELS[k] for k in EGDI_COMPONENTS if bool(sh.loc[k, "common_shift"])]
        if tw.loc[best, "net_change"] <= 0:
            worst = tw.loc[comps, "net_change"].astype(float).idxmin()
            txt = (
                f"It {move}; net of what moved every country it lost ground on every "
                f"comparable component, most on {SHORT_LABELS[worst]} "
                f"({tw.loc[worst, 'net_change']:+.3f} against the median country)"
            )
        elif lg["verdict"] == "close":
            close = [f"{SHORT_LABELS[k]} {tw.loc[k, 'net_change']:+.3f}" for k in lg["close"]]
            also = [
                f"{SHORT_LABELS[k]} {tw.loc[k, 'net_change']:+.3f}"
                for k in comps
                if k not in lg["close"] and tw.loc[k, "net_change"] > 0
            ]
            txt = (
                f"It {move}; net of what moved every country, {join_names(close)} gained "
                "about equally, so no single component explains the move"
                + (f" ({join_names(also)} also rose)" if also else "")
            )
        else:
            txt = (
                f"It {move}; net of what moved every country, its largest gain is in "
                f"{SHORT_LABELS[best]} ({tw.loc[best, 'net_change']:+.3f} against the "
                "median country"
                + (
                    ", on all three measures)"
                    if lg["verdict"] == "clear"
                    else "; other measures name another component)"
                )
            )
        if common:
            txt += (
                f", while raw {join_names(common)} changes mostly reflect shifts shared by "
                "most countries"
            )
        net = float(tw.loc["egdi", "net_change"])
        moved = int(tw.loc["egdi", "rank_change"]) if pd.notna(c.rank_change) else 0
        if moved and net and np.sign(moved) == np.sign(net):
            txt += ". Rank and median-adjusted EGDI change agree in direction"
        elif moved or net:
            txt += (
                f". Read with care: the rank moved {moved:+d} among countries in both "
                f"editions while the EGDI net of the median country moved {net:+.3f}"
            )
        txt += _unusual_clause(tw)
        return txt + "."
    return f"It {move}; the UN changed its method in between, so only ranks are compared."


def key_findings(b: Benchmark) -> list[str]:
    """Three to five headline sentences for notebook 02, each saying how sure we are."""
    name = country_name(b.focus)
    t = b.table.set_index("iso3")
    row = t.loc[b.focus]
    out = []
    if not bool(row["assessed"]):
        return [
            f"{name} was not assessed in the {b.year} edition, so it has no rank or score.",
            f"The table below shows {group_phrase(b.group)} as published for {b.year}.",
            "Nothing here is estimated: every number is a published UN score or rank.",
        ]
    inside = t[t["in_group"] & t["assessed"]]
    where = ""
    if b.focus in inside.index:
        pos = list(inside.index).index(b.focus) + 1
        where = f", {ordinal(pos)} of {len(inside)} in {group_phrase(b.group)}"
    out.append(
        f"{name} ranks {ordinal(row['rank'])} of {int(row['n_assessed'])} in {b.year} "
        f"(EGDI {row['egdi']:.4f}){where}. These are the published UN ranks."
    )
    change = _change_finding(b.change)
    if change is not None:
        out.append(change)
    margins = b.margins
    if (
        b.targets is not None
        and margins is not None
        and len(margins[margins["position"] == "below"])
    ):
        nb = margins[margins["position"] == "below"].iloc[0]
        gap = -float(nb["margin"])
        tgt = b.targets[b.targets["status"] == "to reach"]
        txt = (
            f"Its rank is {_threat_word(gap, b.fragile_cut)}: "
            f"{gap:.4f} EGDI points above {nb['country']}"
        )
        if len(tgt):
            # The closest target beyond the next rank that one component alone could reach;
            # otherwise the next rank.
            one = tgt[[f"feasible_{c}" for c in EGDI_COMPONENTS]].eq(True).any(axis=1)
            named = tgt[one & (tgt["target"] != "next rank")]
            r = named.iloc[0] if len(named) else tgt.iloc[0]
            txt += (
                f"; the {r['target']} needs +{r['egdi_gain']:.3f} EGDI "
                f"(+{3 * r['egdi_gain']:.3f} on one component), others held"
            )
        out.append(
            txt + ". Margins are exact; targets are a first approximation (scores are rescaled)."
        )
    if b.gaps is not None:
        worst = costliest_gap(b.gaps)
        if worst is not None:
            pts = b.gaps.loc[worst, "egdi_points"]
            out.append(
                f"Against the frontier ({b.gaps.attrs['frontier_name']}), the costliest gap is "
                f"{SHORT_LABELS[worst]}: {pts:.4f} EGDI points. This is arithmetic on "
                "published scores, not an estimate."
            )
    return out[:5]


def readiness_prose(r: pd.DataFrame, group: str) -> str:
    """Generated paragraph on `identity_readiness`: which countries have all four blocks."""
    if r["gtmi_year"].isna().all():
        return (
            f"No round of the World Bank GovTech dataset (GTMI) had been published before the "
            f"{r.attrs['year']} edition, so no GTMI data describe {group_phrase(group)} for it."
        )
    full = r[r["complete"] == True]  # noqa: E712 (missing stays missing)
    part = r[r["complete"] == False]  # noqa: E712
    yrs = join_names([str(y) for y in r.attrs["gtmi_years"]])
    text = (
        f"In the GTMI round of {yrs} (the latest published before the {r.attrs['year']} "
        f"edition), {len(full)} of {len(r)} countries report all four building blocks of "
        "cross-border digital identity and single sign-on (a national ID; an e-ID or digitised "
        "national ID, GTMI question I-41, which may record digitised ID records rather than an "
        "ID usable online; an operational service bus and an operational government cloud)"
    )
    text += f": {join_names(list(full['country']))}." if len(full) else "."
    for _, x in part.iterrows():
        missing = [
            f"{lab.split(' (')[0].lower()} {x[f'{item}_label']}"
            for item, lab, _ in READINESS_ITEMS
            if pd.notna(x[item]) and x[item] < READINESS_MINIMUM[item]
        ]
        text += f" {x['country']}: {'; '.join(missing)}."
    for item, lab, labels in READINESS_EXTRA:
        v = r.set_index("country")[item].dropna()
        if v.empty:
            continue
        top = max(labels)
        below = [f"{c} ({labels[int(k)]})" for c, k in v.items() if k < top]
        text += (
            f" {lab.split(' (')[0]}, shown beside them but not counted (the data carry no "
            "code book for codes 1-3): "
            f"{int((v == top).sum())} of {len(v)} at the highest code"
            + (f"; lower: {join_names(below)}." if below else ".")
        )
    text += (
        " These are yes/no and maturity codes from a government questionnaire, not audits of "
        "interoperability between countries: they say where the building blocks exist, not "
        "whether two countries' systems already recognise each other's identities."
    )
    return text


def readiness_display(r: pd.DataFrame) -> pd.DataFrame:
    """`identity_readiness` for display: one column per building block, in words."""
    out = pd.DataFrame({"Country": r["country"]})
    for item, label, _ in READINESS_ITEMS:
        out[label] = r[f"{item}_label"].astype("object").where(r[item].notna(), "no data")
    for item, label, _ in READINESS_EXTRA:
        out[f"{label}, not counted"] = (
            r[f"{item}_label"].astype("object").where(r[item].notna(), "no data")
        )
    out["GTMI round"] = r["gtmi_year"]
    out["All four in place"] = r["complete"].map({True: "yes", False: "no"}).fillna("no data")
    return out


def change_method_text(year: int) -> str:
    """How change is measured (the appendix of notebook 02).

    Naming only the method changes made up to ``year`` (a report speaks of its own time).
    """
    known = [c for c in METHOD_CHANGES if c.edition <= year]
    by_edition: dict[int, list[str]] = {}
    for c in known:
        by_edition.setdefault(c.edition, []).append(c.index.upper())
    breaks = "; ".join(f"{join_names(sorted(v))} in {e}" for e, v in sorted(by_edition.items()))
    text = (
        "Scores are relative within an edition: each component is rescaled against that year's "
        "countries, so a raw change mixes a country's own progress with what moved every "
        "country. The report therefore shows three measures side by side: the raw change; the "
        "change net of the median country (raw change minus the median change of the countries "
        "assessed in both editions), with the change of the within-edition z-score in the "
        "downloadable data; and the rank change, with ranks among all countries assessed in "
        "each edition (ties share the best rank), as the published EGDI rank and in every "
        "report of this set. "
        f"A change shared by at least {COMMON_SHIFT_SHARE:.0%} of countries is called a common "
        f"shift; ceiling compression means at least {CEILING_MIN} countries score {CEILING:g} or "
        "more on an index, at least twice as many as in the previous edition. A component moving "
        f"by more than {REVISION_THRESHOLD:g} in one edition is flagged as a likely data "
        "revision. Because that threshold can never catch an HCI move, a component move net of "
        f"the median country larger than {UNUSUAL_QUANTILE:.0%} of all countries' moves between "
        "the same editions is called unusually large: worth checking for a data revision before "
        "it is quoted. Where the previous edition is an odd baseline (the country's worst or "
        "best rank in years), the rank change is also given against the edition before last and "
        f"against the median and best rank of the {BASELINE_EDITIONS} editions before."
    )
    if breaks:
        text += (
            " Where the UN changed the method of an index between the two editions compared "
            f"({breaks}), only ranks are compared for that index."
        )
    return text + (
        " Targets hold every other country at its score: a first approximation, because a real "
        "gain also moves the rescaling."
    )


#: What the UN indices cannot tell about the policies officials credit, and what to ask for.
#: First edition with the UN's Local Online Service Index (LOSI), a pilot on 40 cities in the
#: E-Government Survey 2018 (ch. 6); a report for an earlier edition does not mention it.
LOSI_FIRST_EDITION = 2018


def unmeasured_text(year: int) -> str:
    """What the UN data cannot measure and what to ask UN DESA for, in the edition's own time.

    The city-level LOSI is mentioned only from `LOSI_FIRST_EDITION` on.
    """
    losi = year >= LOSI_FIRST_EDITION
    return (
        "**What these data cannot measure.** The UN indices score countries, not programmes: "
        "a unified government app, an upgraded electronic key (digital ID and single sign-on), "
        "a government cloud or the use of AI in public services enter the OSI only through the "
        "questionnaire items they happen to satisfy, and the published data give the OSI as one "
        "number, without its items."
        + (
            " The Local Online Service Index (LOSI) covers one city per country in recent "
            "editions and is not in these files."
            if losi
            else ""
        )
        + " So the data cannot say which initiative moved a score, only how the score moved "
        "relative to other countries.\n\n"
        "**What to ask UN DESA for.** Item-level OSI feedback for the country (which "
        "questionnaire items were met, partly met or missed, edition by edition) and the Member "
        "State Questionnaire answers as scored"
        + (", and the LOSI results for the assessed city" if losi else "")
        + ": with them a ministry could tie a score change to specific services."
    )


def _focus_ranks(b: Benchmark) -> tuple[pd.DataFrame, pd.Series | None]:
    """The focus country's assessed editions (by year) and its best-ranked one (None if none)."""
    s = b.trajectories[(b.trajectories["iso3"] == b.focus) & b.trajectories["assessed"]]
    s = s.sort_values("year")
    return s, (s.loc[s["rank"].astype(float).idxmin()] if len(s) else None)


def trajectory_prose(b: Benchmark) -> str:
    """Generated paragraph on the focus country's rank over all editions."""
    s, best = _focus_ranks(b)
    name = country_name(b.focus)
    if best is None:
        return f"{name} was not assessed in any edition."
    first, last = s.iloc[0], s.iloc[-1]
    worst = s.loc[s["rank"].astype(float).idxmax()]
    text = (
        f"{name} was ranked in {len(s)} of {b.trajectories['year'].nunique()} editions: "
        f"{ordinal(first['rank'])} of {first['n_assessed']} in {first['year']} and "
        f"{ordinal(last['rank'])} of {last['n_assessed']} in {last['year']}; its best rank was "
        f"{ordinal(best['rank'])} ({best['year']}) and its worst {ordinal(worst['rank'])} "
        f"({worst['year']})."
    )
    missing = sorted(set(b.trajectories["year"]) - set(s["year"]))
    if missing:
        text += f" Not assessed in {join_names([str(y) for y in missing])}."
    cur = b.trajectories[b.trajectories["year"] == b.year].dropna(subset=["rank"])
    cur = cur[cur["iso3"].isin(b.members)].sort_values("rank")
    if len(cur):
        lead = cur.iloc[0]
        text += (
            f" In {b.year} the best-ranked member of {group_phrase(b.group)} is {lead['country']} "
            f"({ordinal(lead['rank'])})."
        )
    return text


#: Readable column headers of the group table.
TABLE_HEADERS = {
    "country": "Country",
    "rank": "EGDI rank",
    "egdi": "EGDI",
    "level_group": "Level group",
    "rating_class": "Rating class",
    "osi": "OSI",
    "osi_rank": "OSI rank",
    "hci": "HCI",
    "hci_rank": "HCI rank",
    "tii": "TII",
    "tii_rank": "TII rank",
    "epi": "EPI",
    "epi_rank": "EPI rank",
}


def display_table(b: Benchmark) -> pd.DataFrame:
    """The group table with readable headers, for `report.show_table` (index = ISO3)."""
    t = b.table.set_index("iso3")
    out = t[list(TABLE_HEADERS)].rename(columns=TABLE_HEADERS)
    out.insert(0, "ISO3", t.index)  # shown as a column; the index (ISO3) keys the highlight
    out["Country"] = [
        f"{c} (not in group)" if not g else c
        for c, g in zip(t["country"], t["in_group"], strict=True)
    ]
    for col in ("Level group", "Rating class"):
        out[col] = out[col].astype("object").where(out[col].notna(), "not assessed")
    if b.year < CLASSIFICATION_EDITION:  # rating classes were first published in 2020
        out = out.drop(columns="Rating class")
    return out


def display_profile(b: Benchmark) -> pd.DataFrame:
    """The profile table for display: one row per benchmark, index scores, n averaged."""
    p = b.profile.reset_index().drop(columns="kind")
    return p.rename(columns={c: c.upper() for c in INDICES if c in p.columns})


def display_gaps(b: Benchmark) -> pd.DataFrame:
    """The gap table for display: component names in capitals, EPI marked as outside the EGDI."""
    if b.gaps is None:
        raise ValueError(
            f"No frontier gaps for {b.focus} in {b.year} (not assessed). "
            "Fix: show the gap table only when `b.gaps` is not None."
        )
    g = b.gaps.reset_index()
    g["component"] = g["component"].str.upper()
    return g.rename(
        columns={
            "focus": country_name(b.focus),
            "frontier": f"Frontier ({b.gaps.attrs['frontier_name']})",
            "gap_to_best": "Gap to best score",
        }
    )


# ------------------------------------------------------------------------------ charts
def peer_palette() -> list[str]:
    """Colours for group members other than the focus country.

    The colourblind palette without its reds/pinks (kept for the focus colour), grey (used for all
    countries) and pale yellow.
    """
    drop = {"#d55e00", "#cc78bc", "#fbafe4", "#949494", "#ece133"}
    pal = [c for c in sns.color_palette(plots.PALETTE, 10).as_hex() if c.lower() not in drop]
    return [*pal, "#333333"]


def _peer_colours(codes: Sequence[str], focus: str) -> dict[str, str]:
    pal = peer_palette()
    peers = [c for c in codes if c != focus]
    out = {c: pal[i % len(pal)] for i, c in enumerate(peers)}
    out[focus] = plots.FOCUS_COLOUR
    return out


@plots.styled
def plot_rank_trajectories(b: Benchmark) -> plt.Figure:
    """Line chart of EGDI rank over editions (rank axis inverted, focus country highlighted)."""
    traj = b.trajectories
    order = traj[traj["year"] == b.year].sort_values("rank", na_position="last")["iso3"].tolist()
    order += [c for c in traj["iso3"].unique() if c not in order]
    colours = _peer_colours(order, b.focus)
    names = traj.groupby("iso3")["country"].last().to_dict()  # survey names (no "(the)")
    fig, ax = plt.subplots(figsize=(10, 5.6))
    for code in order:
        s = traj[traj["iso3"] == code].sort_values("year")
        is_focus = code == b.focus
        lbl = names[code] + ("" if code in b.members else " (not in group)")
        ax.plot(
            s["year"],
            s["rank"].astype(float),
            marker="o",
            ms=6 if is_focus else 4,
            lw=3 if is_focus else 1.6,
            color=colours[code],
            label=lbl,
            zorder=3 if is_focus else 2,
        )
    ax.invert_yaxis()
    years = sorted(traj["year"].unique())
    ax.set_xticks(years)
    ax.set_xticklabels([str(y) for y in years], rotation=45, ha="right", fontsize=9)
    n_by_year = traj.groupby("year")["n_assessed"].first()
    ax.set_xticklabels(
        [f"{y}\n(n={int(n_by_year[y])})" for y in years], rotation=0, ha="center", fontsize=8
    )
    plots.mark_breaks(ax, "egdi", years)
    ax.set_xlabel("Survey edition (n = countries ranked)")
    ax.set_ylabel("EGDI rank (1 = best)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, title="Country")
    gaps = traj[~traj["assessed"]]
    sub = (
        f"Rank among the countries assessed in each edition ({n_by_year.min()} to "
        f"{n_by_year.max()}); {'gaps = not assessed; ' if len(gaps) else ''}dashed lines = "
        "documented method changes."
    )
    title = "EGDI rank" + (f" up to {b.year}" if years[-1] == b.year else "")
    return plots.finish(
        fig, f"{title}: {b.group} ({years[0]}-{years[-1]})", egdi_source(years), subtitle=sub
    )


@plots.styled
def plot_profile(b: Benchmark) -> plt.Figure:
    """Dot chart: the focus country's five scores against the frontier and comparison means."""
    prof = b.profile
    fig, ax = plt.subplots(figsize=(10, 5.2))
    labels = [SHORT_LABELS[c] for c in INDICES]
    y = np.arange(len(INDICES))
    others = [i for i, k in enumerate(prof["kind"]) if k not in ("focus", "frontier")]
    pal = [c for c in peer_palette() if c != "#0173b2"]  # too close to the frontier colour
    offsets = np.linspace(-0.27, 0.27, len(prof))
    for j, (label, row) in enumerate(prof.iterrows()):
        kind = row["kind"]
        style: dict[str, Any]  # scatter keywords
        if kind == "focus":
            style = {"color": plots.FOCUS_COLOUR, "marker": "o", "s": 110, "zorder": 4}
        elif kind == "frontier":
            style = {"color": plots.FRONTIER_COLOUR, "marker": "D", "s": 70, "zorder": 3}
        else:
            style = {"color": pal[others.index(j) % len(pal)], "marker": "s", "s": 45, "zorder": 2}
        n_txt = f" (n={int(row['n'])})" if kind not in ("focus", "frontier") else ""
        ax.scatter(
            row[list(INDICES)].astype(float),
            y + offsets[j],
            label=f"{label}{n_txt}",
            edgecolor="white",
            linewidth=0.6,
            **style,
        )
    ax.set_yticks(y)
    ax.set_yticklabels(labels)
    ax.invert_yaxis()
    vals = prof[list(INDICES)].to_numpy(dtype=float)
    lo = float(np.nanmin(vals))
    lo = max(0.0, np.floor((lo - 0.03) * 20) / 20)  # zoomed to the data, on a 0.05 grid
    ax.set_xlim(lo, 1.0)
    for coll in ax.collections:
        coll.set_clip_on(False)  # markers at 1.0 are drawn whole
    ax.set_xlabel(
        "Score (0-1, relative within the edition)" + (f"; axis starts at {lo:.2f}" if lo else "")
    )
    for i in range(len(INDICES) - 1):
        ax.axhline(i + 0.5, color="#dddddd", lw=0.8)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, title="Benchmark")
    name = country_name(b.focus)
    return plots.finish(
        fig,
        f"{name}'s scores against the frontier and its peers, {b.year}",
        egdi_source([b.year]),
        subtitle="Means over the countries assessed in the edition; "
        "EGDI = mean of OSI, HCI and TII (EPI is not part of it).",
    )


@plots.styled
def plot_change(b: Benchmark) -> plt.Figure | None:
    """Bars of each index's change since the previous edition, raw and net of the median country.

    With the rank change written beside them (None if there is no change to show).
    """
    c = b.change
    if c.status != "ok" or c.previous is None:
        return None
    tw, sh = c.measured()
    keys = ["egdi", *EGDI_COMPONENTS]
    y = np.arange(len(keys))
    # 0.18 in taller for the subtitle's second line, so that the axes (and the legend placed
    # under them in axes units) keep their size.
    fig, ax = plt.subplots(figsize=(9, 4.78))
    raw = tw.loc[keys, "change"].to_numpy(dtype=float)
    net = tw.loc[keys, "net_change"].to_numpy(dtype=float)
    ax.barh(y - 0.18, raw, height=0.34, color="#bbbbbb", label="Raw change")
    ax.barh(y + 0.18, net, height=0.34, color=plots.FOCUS_COLOUR, label="Net of the median country")
    ax.axvline(0, color="#333333", lw=0.8)
    span = max(np.nanmax(np.abs(np.r_[raw, net])), 1e-3)
    for i, k in enumerate(keys):
        rc = tw.loc[k, "rank_change"]
        note = "method changed" if bool(sh.loc[k, "crosses_break"]) else ""
        txt = f"rank {tw.loc[k, 'rank_before']}→{tw.loc[k, 'rank_after']} ({int(rc):+d})"
        ax.annotate(
            txt + (f"; {note}" if note else ""),
            (max(raw[i], net[i], 0) + 0.03 * span, y[i]),
            va="center",
            fontsize=8.5,
        )
    ax.set_yticks(y, [SHORT_LABELS[k] for k in keys])
    ax.invert_yaxis()
    ax.set_xlim(min(0.0, np.nanmin(np.r_[raw, net])) - 0.1 * span, 1.6 * span)
    ax.set_xlabel("Change in score (index points, 0-1 scale)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=2, fontsize=9, frameon=False)
    name = country_name(b.focus)
    return plots.finish(
        fig,
        f"{name}: change {c.previous}-{c.year}, raw and net of the median country",
        egdi_source([c.previous, c.year]),
        # Two lines: on one, the subtitle ran past the figure's right edge.
        subtitle="Net = raw change minus the median change of the countries assessed in both "
        "editions;\nranks among all countries assessed in each edition.",
    )


def change_figure_data(b: Benchmark) -> pd.DataFrame:
    """The table behind `plot_change`: one row per index."""
    t = b.change.measured()[0].reset_index()
    t["index"] = t["index"].map(SHORT_LABELS)
    return t


def change_alt(b: Benchmark) -> str:
    """Alt text of `plot_change`, generated from the numbers."""
    c = b.change
    tw, _ = c.measured()
    comps = list(EGDI_COMPONENTS)
    best = tw.loc[comps, "net_change"].idxmax()
    return (
        f"Horizontal bars of {country_name(b.focus)}'s change between {c.previous} and {c.year} "
        f"in EGDI, OSI, HCI and TII, raw and net of the median country. EGDI rose "
        f"{tw.loc['egdi', 'change']:+.3f} raw and {tw.loc['egdi', 'net_change']:+.3f} net; the "
        f"largest net gain is {SHORT_LABELS[best]} ({tw.loc[best, 'net_change']:+.3f}); the EGDI "
        f"rank moved from {tw.loc['egdi', 'rank_before']} to {tw.loc['egdi', 'rank_after']}."
    )


def trajectories_alt(b: Benchmark) -> str:
    """Alt text of `plot_rank_trajectories`."""
    s, best = _focus_ranks(b)
    name = country_name(b.focus)
    if best is None:
        return f"Line chart of EGDI ranks of {group_phrase(b.group)}; {name} was never assessed."
    return (
        f"Line chart of the EGDI rank of {group_phrase(b.group)} in each edition from "
        f"{int(s['year'].min())} to {b.year}, method changes marked. {name} went from rank "
        f"{int(s.iloc[0]['rank'])} in {int(s.iloc[0]['year'])} to {int(s.iloc[-1]['rank'])} in "
        f"{int(s.iloc[-1]['year'])}; its best was {int(best['rank'])} in {int(best['year'])}."
    )


def profile_alt(b: Benchmark) -> str:
    """Alt text of `plot_profile`."""
    p = b.profile
    me = p[p["kind"] == "focus"].iloc[0]
    fr = p[p["kind"] == "frontier"].iloc[0]
    ahead = [SHORT_LABELS[c] for c in INDICES if me[c] >= fr[c]]
    return (
        f"Dot chart of {country_name(b.focus)}'s EGDI, OSI, HCI, TII and EPI in {b.year} "
        f"against the frontier and {len(p) - 2} comparison means. EGDI {me['egdi']:.3f} against "
        f"the frontier's {fr['egdi']:.3f}"
        + (f"; level with or ahead of the frontier on {join_names(ahead)}." if ahead else ".")
    )
