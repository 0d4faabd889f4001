"""Monte Carlo rank uncertainty of an index variant over its modelling choices (JRC audit style).

Each draw picks weights around the nominal ones, a normalisation, an aggregation and an
imputation rule, recomputes the variant for every country and ranks it. All draws are computed
as arrays: the normalised component matrix depends only on (normalisation, imputation), so the
code loops over those few discrete combinations and handles every draw of a combination with
one matrix product. `rank_intervals` gives the nominal rank, the median rank and the 5-95%
interval per country; `sensitivity` says which choice moves ranks most (first-order,
variance-based: the share of variance explained by the conditional means of each choice).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from .errors import SpecError
from .indices import AGGREGATIONS, NORMALISATIONS, egdi_from_components
from .variants import (
    IMPUTATION_GROUPS,
    VariantResult,
    _group_medians,
    apply_missing_policy,
    method_words,
    oriented,
    rank_shifts,
)

#: Normalisations that keep components non-negative (needed by the geometric mean).
NON_NEGATIVE = ("minmax", "rank", "distance_to_frontier")


# --------------------------------------------------------------------------------------------
# Batch (array) versions of egovlib.indices.normalise / aggregate
# --------------------------------------------------------------------------------------------


def batch_normalise(x: np.ndarray, method: str) -> np.ndarray:
    """Column-wise normalisation of an (n countries, k components) array; NaN stays NaN.

    Same definitions as `egovlib.indices.normalise` (a constant column gets the midpoint:
    0.5 for minmax and rank, 0 for zscore, 1 for distance to frontier).
    """
    if method not in NORMALISATIONS:
        raise SpecError(f"unknown normalisation {method!r}; choose one of {NORMALISATIONS}")
    x = np.asarray(x, dtype=float)
    obs = ~np.isnan(x)
    any_obs = obs.any(axis=0)
    with np.errstate(all="ignore"):
        lo = np.where(any_obs, np.nanmin(np.where(obs, x, np.inf), axis=0), np.nan)
        hi = np.where(any_obs, np.nanmax(np.where(obs, x, -np.inf), axis=0), np.nan)
        constant = ~(hi > lo)
        if method == "minmax":
            out = np.where(constant, 0.5, (x - lo) / (hi - lo))
        elif method == "zscore":
            n = obs.sum(axis=0)
            mean = np.nansum(x, axis=0) / n
            sd = np.sqrt(np.nansum((x - mean) ** 2, axis=0) / (n - 1))
            out = np.where(constant, 0.0, (x - mean) / sd)
        elif method == "rank":
            n = obs.sum(axis=0)
            r = rankdata(x, method="average", axis=0, nan_policy="omit")
            out = np.where(constant | (n < 2), 0.5, (r - 1) / (n - 1))
        else:
            if np.any(lo < 0):
                raise SpecError(
                    "distance to frontier needs non-negative values; components "
                    f"{np.flatnonzero(lo < 0).tolist()} have negative minima"
                )
            out = np.where(constant | (hi == 0), 1.0, x / hi)
    return np.where(obs, out, np.nan)


def batch_aggregate(
    z: np.ndarray, weights: np.ndarray, method: str, *, reweight: bool = True
) -> np.ndarray:
    """Aggregate (n, k) normalised components with (d, k) weight draws -> (n, d) scores.

    A country missing a component is aggregated over the components it has, weights rescaled
    to sum to one (``reweight``), or gets NaN. With complete rows this is
    `egovlib.indices.aggregate` for every weight row at once (geometric: any zero gives 0).
    """
    if method not in AGGREGATIONS:
        raise SpecError(f"unknown aggregation {method!r}; choose one of {AGGREGATIONS}")
    z = np.asarray(z, dtype=float)
    w = np.atleast_2d(np.asarray(weights, dtype=float))
    present = ~np.isnan(z)
    den = present.astype(float) @ w.T
    complete = present.all(axis=1)
    if method == "arithmetic":
        num = np.where(present, z, 0.0) @ w.T
        with np.errstate(all="ignore"):
            out = num / den
    else:
        if np.any(z[present] < 0):
            raise SpecError("geometric aggregation needs non-negative components")
        with np.errstate(all="ignore"):
            logs = np.where(present & (z > 0), np.log(np.where(z > 0, z, 1.0)), 0.0)
            out = np.exp((logs @ w.T) / den)
        zero = (present & (z == 0)).any(axis=1)
        out[zero] = 0.0
    keep = complete | (reweight & present.any(axis=1))
    out[~keep] = np.nan
    out[~(den > 0)] = np.nan
    return out


def batch_rescale(s: np.ndarray) -> np.ndarray:
    """Min-max rescale each column (draw) of an (n, d) array over its rows (countries)."""
    with np.errstate(all="ignore"):
        lo, hi = np.nanmin(s, axis=0), np.nanmax(s, axis=0)
        out = np.where(hi > lo, (s - lo) / (hi - lo), 0.5)
    return np.where(np.isnan(s), np.nan, out)


def batch_rank(s: np.ndarray, axis: int = 0) -> np.ndarray:
    """Rank along ``axis`` (default: each column of an (n, d) array over its rows).

    1 = highest, ties share the best rank, NaN stays unranked: the ranks of
    `egovlib.indices.rank_desc`, for every draw at once.
    """
    s = np.asarray(s, dtype=float)
    return _rank_rows(s.T).T if axis == 0 else _rank_rows(s)


def _rank_rows(s: np.ndarray) -> np.ndarray:
    """Rank each row of a (d, n) array (contiguous rows sort much faster than columns)."""
    s = np.ascontiguousarray(s)
    missing = np.isnan(s)
    x = np.where(missing, np.inf, -s)
    order = np.argsort(x, axis=1, kind="stable")
    xs = np.take_along_axis(x, order, axis=1)
    tied = (xs[:, 1:] == xs[:, :-1]) & np.isfinite(xs[:, 1:])
    if tied.any():  # ties share the best rank: carry the position of the first of each run
        first = np.ones_like(xs, dtype=bool)
        first[:, 1:] = ~tied
        pos = np.where(first, np.arange(xs.shape[1]), 0)
        ranks_sorted = np.maximum.accumulate(pos, axis=1) + 1.0
    else:
        ranks_sorted = np.broadcast_to(np.arange(1.0, xs.shape[1] + 1), xs.shape)
    ranks = np.empty(xs.shape)
    np.put_along_axis(ranks, order, ranks_sorted, axis=1)
    ranks[missing] = np.nan
    return ranks


# --------------------------------------------------------------------------------------------
# Monte Carlo
# --------------------------------------------------------------------------------------------


@dataclass
class MonteCarlo:
    """Result of `monte_carlo`.

    Attributes
    ----------
    result : VariantResult
        The nominal variant.
    draws : DataFrame
        One row per draw: ``normalisation, aggregation, imputation`` and ``w_<component>``.
    index_ranks, egdi_ranks : ndarray (n_draws, n_countries)
        Rank of each country in each draw (float, NaN = unranked) for the variant index and the
        implied EGDI.
    countries : Index
        ISO3 codes, the column order of the rank arrays.
    nominal : DataFrame
        Nominal ranks (``index``, ``egdi``) from `egovlib.variants.compute_variant`.
    settings : dict
        The arguments of the run (for the report).
    """

    result: VariantResult
    draws: pd.DataFrame
    index_ranks: np.ndarray
    egdi_ranks: np.ndarray
    countries: pd.Index
    nominal: pd.DataFrame
    settings: dict = field(default_factory=dict)

    def ranks(self, target: str = "egdi") -> np.ndarray:
        """Rank array of ``target``: ``"egdi"`` (implied EGDI) or ``"index"`` (the variant)."""
        if target not in ("egdi", "index"):
            raise SpecError(f"target must be 'egdi' or 'index', not {target!r}")
        return self.egdi_ranks if target == "egdi" else self.index_ranks


def draw_choices(
    spec_weights: Sequence[float],
    n_draws: int,
    rng: np.random.Generator,
    *,
    weight_spread: float,
    normalisations: Sequence[str],
    aggregations: Sequence[str],
    imputations: Sequence[str],
) -> dict:
    """Draw the modelling choices of ``n_draws`` draws.

    Weights: each nominal weight times ``1 + U(-weight_spread, weight_spread)``, renormalised
    to sum to one. Aggregation, then normalisation, uniformly among the choices; the geometric
    mean only takes non-negative normalisations (z-scores are excluded for it).
    """
    w0 = np.asarray(spec_weights, dtype=float)
    if not 0 <= weight_spread < 1:
        raise SpecError(f"weight_spread must be in [0, 1), not {weight_spread}")
    for name, given, valid in (
        ("normalisations", normalisations, NORMALISATIONS),
        ("aggregations", aggregations, AGGREGATIONS),
        ("imputations", imputations, IMPUTATION_GROUPS),
    ):
        bad = [g for g in given if g not in valid]
        if bad or not given:
            raise SpecError(f"{name} {list(given)} invalid; choose among {valid}")
    w = w0 * (1 + rng.uniform(-weight_spread, weight_spread, size=(n_draws, len(w0))))
    w = w / w.sum(axis=1, keepdims=True)
    agg = np.asarray(aggregations)[rng.integers(len(aggregations), size=n_draws)]
    u = rng.random(n_draws)
    norm = np.empty(n_draws, dtype=object)
    for a in aggregations:
        allowed = [m for m in normalisations if a == "arithmetic" or m in NON_NEGATIVE]
        if not allowed:
            raise SpecError(
                f"no normalisation in {list(normalisations)} is valid with {a} "
                f"aggregation (it needs one of {NON_NEGATIVE})"
            )
        sel = agg == a
        norm[sel] = np.asarray(allowed)[(u[sel] * len(allowed)).astype(int)]
    imp = np.asarray(imputations)[rng.integers(len(imputations), size=n_draws)]
    return {
        "weights": w,
        "normalisation": norm.astype(str),
        "aggregation": agg.astype(str),
        "imputation": imp.astype(str),
    }


def monte_carlo(
    result: VariantResult,
    n_draws: int = 1000,
    seed: int = 12345,
    *,
    weight_spread: float = 0.25,
    normalisations: Sequence[str] | None = None,
    aggregations: Sequence[str] | None = None,
    imputations: Sequence[str] | None = None,
) -> MonteCarlo:
    """Monte Carlo over the modelling choices of a computed variant.

    Parameters
    ----------
    result : VariantResult
        From `egovlib.variants.compute_variant` (its raw data and nominal choices are used).
    n_draws : int
        Number of draws.
    seed : int
        Seed of the random generator (same seed, same draws).
    weight_spread : float
        Relative half-width of the weight draws (0.25: each weight varies by up to +/-25%
        before renormalising); 0 keeps the nominal weights.
    normalisations, aggregations : list of str, optional
        Choices drawn uniformly; default all four normalisations and both aggregations.
        ``[spec.normalisation]`` etc. fixes a choice.
    imputations : list of str, optional
        Imputation groups drawn uniformly among ``none, region, subregion, income_group``;
        default the nominal group and ``none`` (imputation on or off).

    Returns
    -------
    MonteCarlo
    """
    spec = result.spec
    if spec.normalisation == "none" and normalisations is None:
        normalisations = ["minmax"]
    nominal_imp = spec.missing.impute
    normalisations = list(normalisations) if normalisations is not None else list(NORMALISATIONS)
    aggregations = list(aggregations) if aggregations is not None else list(AGGREGATIONS)
    if imputations is None:
        imputations = [nominal_imp] if nominal_imp == "none" else [nominal_imp, "none"]
    imputations = list(dict.fromkeys(imputations))
    if n_draws < 1:
        raise SpecError(f"n_draws must be >= 1, not {n_draws}")
    rng = np.random.default_rng(seed)
    comps = spec.components
    w0 = np.array([c.weight for c in comps])
    ch = draw_choices(
        w0,
        n_draws,
        rng,
        weight_spread=weight_spread,
        normalisations=normalisations,
        aggregations=aggregations,
        imputations=imputations,
    )

    d = result.data
    countries = d.index
    osi, hci, tii = (d[c].to_numpy(float) for c in ("osi", "hci", "tii"))
    matrices = {g: _component_matrix(result, g) for g in imputations}
    # draws in rows, countries in columns: each draw is ranked as one contiguous row
    index_scores = np.full((n_draws, len(countries)), np.nan)
    combos = pd.DataFrame({k: ch[k] for k in ("normalisation", "aggregation", "imputation")})
    reweight = spec.missing.otherwise == "reweight"
    for (norm, agg, imp), idx in combos.groupby(
        ["normalisation", "aggregation", "imputation"], sort=True
    ).indices.items():
        z = batch_normalise(matrices[imp], norm)
        s = batch_aggregate(z, ch["weights"][idx], agg, reweight=reweight)
        index_scores[idx] = (batch_rescale(s) if spec.rescale == "minmax" else s).T
    if spec.replaces is not None:
        parts = {"osi": osi[None, :], "hci": hci[None, :], "tii": tii[None, :]}
        parts[spec.replaces] = index_scores
        egdi_scores = egdi_from_components(**parts)
    else:
        egdi_scores = np.repeat(egdi_from_components(osi, hci, tii)[None, :], n_draws, axis=0)
    index_ranks = batch_rank(index_scores, axis=1)
    egdi_ranks = batch_rank(egdi_scores, axis=1)
    draws = combos.assign(**{f"w_{c.variable}": ch["weights"][:, j] for j, c in enumerate(comps)})
    sh = rank_shifts(result)
    nominal = pd.DataFrame(
        {
            "index": sh["index_rank_variant"].astype(float),
            "egdi": sh["egdi_rank_variant"].astype(float),
        },
        index=countries,
    )
    settings = {
        "n_draws": n_draws,
        "seed": seed,
        "weight_spread": weight_spread,
        "normalisations": normalisations,
        "aggregations": aggregations,
        "imputations": imputations,
    }
    return MonteCarlo(
        result=result,
        draws=draws,
        index_ranks=index_ranks,
        egdi_ranks=egdi_ranks,
        countries=countries,
        nominal=nominal,
        settings=settings,
    )


def _component_matrix(result: VariantResult, imputation: str) -> np.ndarray:
    """Raw components (oriented) with the given imputation applied, as an (n, k) array."""
    spec = result.spec
    if imputation == spec.missing.impute:
        gv = result.group_values
    else:
        gv = _group_medians(result.raw, result.data, imputation)
    values, _ = apply_missing_policy(result.raw, gv, spec.missing.min_coverage)
    return oriented(values, spec)[spec.variables].to_numpy(float)


# --------------------------------------------------------------------------------------------
# Summaries
# --------------------------------------------------------------------------------------------


def rank_intervals(
    mc: MonteCarlo, target: str = "egdi", lower: float = 5, upper: float = 95
) -> pd.DataFrame:
    """Per country: nominal rank, median rank and the ``lower``-``upper`` percentile interval.

    Returns
    -------
    DataFrame
        Index iso3; ``country, nominal, median, lower, upper, width`` (width = upper - lower),
        sorted by nominal rank.
    """
    r = mc.ranks(target)
    ok = ~np.isnan(r).all(axis=0)
    q = np.full((3, r.shape[1]), np.nan)
    pct = np.percentile if not np.isnan(r[:, ok]).any() else np.nanpercentile
    q[:, ok] = pct(r[:, ok], [lower, 50, upper], axis=0)
    out = pd.DataFrame(
        {
            "country": mc.result.data["country"],
            "nominal": mc.nominal[target],
            "median": q[1],
            "lower": q[0],
            "upper": q[2],
        },
        index=mc.countries,
    )
    out["width"] = out["upper"] - out["lower"]
    return out.sort_values(["nominal", "median"], kind="stable")


def factor_labels(mc: MonteCarlo, bins: int = 10) -> pd.DataFrame:
    """The choice of each draw, per factor; continuous weights cut into ``bins`` quantile bins."""
    out = mc.draws[["normalisation", "aggregation", "imputation"]].copy()
    names = {c.variable: c.label or c.variable for c in mc.result.spec.components}
    for col in [c for c in mc.draws.columns if c.startswith("w_")]:
        w = mc.draws[col]
        if (w != w.iloc[0]).any():
            # The component's label, not its id: factor names are shown in the reports.
            out[f"weight of {names.get(col[2:], col[2:])}"] = pd.qcut(
                w, q=bins, labels=False, duplicates="drop"
            )
    return out


def sensitivity(mc: MonteCarlo, target: str = "egdi", bins: int = 10) -> pd.DataFrame:
    """First-order sensitivity of ranks to each modelling choice.

    Two measures per factor (normalisation, aggregation, imputation, and each weight cut into
    ``bins`` quantile bins):

    * ``first_order_shift``: Var(E[Y | factor]) / Var(Y), where Y is the mean absolute rank shift
      of a draw from the nominal ranks (over all countries);
    * ``rank_variance_share``: sum over countries of Var(E[rank | factor]) divided by the sum of
      Var(rank): the share of the countries' rank variance explained by that choice alone.

    Both are 0 for a factor that does not vary. With binned weights the estimate carries a small
    upward bias of about (bins - 1) / n_draws.
    """
    r = mc.ranks(target)
    nominal = mc.nominal[target].to_numpy()
    ok = ~np.isnan(nominal)
    r = np.where(np.isnan(r[:, ok]), nominal[ok], r[:, ok])
    y = np.abs(r - nominal[ok]).mean(axis=1)
    var_y = y.var()
    var_r = r.var(axis=0)
    rows = []
    for name, lab in factor_labels(mc, bins).items():
        codes = pd.factorize(lab)[0]
        n_levels = codes.max() + 1
        counts = np.bincount(codes, minlength=n_levels).astype(float)
        p = counts / counts.sum()
        my = np.bincount(codes, weights=y, minlength=n_levels) / counts
        fy = float((p * (my - y.mean()) ** 2).sum() / var_y) if var_y > 0 else 0.0
        onehot = np.zeros((n_levels, len(codes)))
        onehot[codes, np.arange(len(codes))] = 1.0
        mr = (onehot @ r) / counts[:, None]
        between = (p[:, None] * (mr - r.mean(axis=0)) ** 2).sum(axis=0)
        share = float(between.sum() / var_r.sum()) if var_r.sum() > 0 else 0.0
        rows.append(
            {
                "factor": name,
                "levels": int(n_levels),
                "first_order_shift": fy,
                "rank_variance_share": share,
            }
        )
    return pd.DataFrame(rows).sort_values("rank_variance_share", ascending=False, ignore_index=True)


def shift_distribution(mc: MonteCarlo, target: str = "egdi") -> pd.Series:
    """Mean absolute rank shift from the nominal ranks, per draw."""
    r = mc.ranks(target)
    nominal = mc.nominal[target].to_numpy()
    ok = ~np.isnan(nominal)
    return pd.Series(np.nanmean(np.abs(r[:, ok] - nominal[ok]), axis=1), name="mean_abs_shift")


__all__ = [
    "MonteCarlo",
    "batch_aggregate",
    "batch_normalise",
    "batch_rank",
    "batch_rescale",
    "draw_choices",
    "factor_labels",
    "monte_carlo",
    "rank_intervals",
    "sensitivity",
    "shift_distribution",
]


# --------------------------------------------------------------------------------------------
# A proposal evaluated end to end (effects + Monte Carlo), figures and the memo
# --------------------------------------------------------------------------------------------


@dataclass
class ProposalEvaluation:
    """A proposal computed for one edition, its rank effects and (if evaluable) its Monte Carlo.

    Attributes
    ----------
    result : VariantResult
    shifts : DataFrame
        `egovlib.variants.rank_shifts` of the result.
    summary : dict
        `egovlib.variants.shift_summary` of the implied-EGDI shifts.
    coherence : dict
        `egovlib.variants.coherence` of the components (countries with all observed).
    mc : MonteCarlo or None
    intervals : DataFrame or None
        `rank_intervals` of the Monte Carlo target.
    sensitivity : DataFrame or None
    """

    result: VariantResult
    shifts: pd.DataFrame
    summary: dict
    coherence: dict
    mc: MonteCarlo | None = None
    intervals: pd.DataFrame | None = None
    sensitivity: pd.DataFrame | None = None

    @property
    def name(self) -> str:
        """Spec name."""
        return self.result.spec.name


def evaluate_proposal(
    spec,
    year: int,
    panel,
    *,
    n_draws: int = 1000,
    seed: int = 12345,
    weight_spread: float = 0.25,
    normalisations=None,
    aggregations=None,
    imputations=None,
    target: str = "egdi",
) -> ProposalEvaluation:
    """Compute a proposal, its rank shifts and coherence, and its Monte Carlo if evaluable.

    A proposal with no observed value of any new component in the edition is not evaluable:
    it equals the published HCI, and no Monte Carlo is run.
    """
    from .variants import coherence, compute_variant, shift_summary

    res = compute_variant(spec, year, panel)
    shifts = rank_shifts(res)
    ev = ProposalEvaluation(
        result=res,
        shifts=shifts,
        summary=shift_summary(shifts, "egdi_shift"),
        coherence=coherence(res),
    )
    if res.evaluable and n_draws > 0:
        ev.mc = monte_carlo(
            res,
            n_draws,
            seed,
            weight_spread=weight_spread,
            normalisations=normalisations,
            aggregations=aggregations,
            imputations=imputations,
        )
        ev.intervals = rank_intervals(ev.mc, target)
        ev.sensitivity = sensitivity(ev.mc, target)
    return ev


def coverage_text(result: VariantResult) -> str:
    """One sentence per new component: how many countries have it, how the rest were treated."""
    spec, cov = result.spec, result.coverage
    n = len(result.data)
    parts = []
    for v in spec.new_components:
        c = cov.loc[v]
        text = f"*{c['label'] or v}* exists for {c['observed']} of {n} assessed countries" + (
            f" (reference years: {c['reference_years']})" if c["observed"] else ""
        )
        if c["observed"] == 0:
            text += "; it cannot be evaluated for this edition"
        else:
            if c["imputed"]:
                text += (
                    f"; {c['imputed']} were given the median of their "
                    f"{spec.missing.impute.replace('_', ' ')} (flagged)"
                )
            if c["missing"]:
                text += f"; {c['missing']} " + (
                    "keep their published HCI (no group value or "
                    "too few components), the weight rescaled over what they have"
                    if spec.missing.otherwise == "reweight"
                    else "are left unscored"
                )
        parts.append(text + ".")
    return " ".join(parts)


def plot_rank_shifts(
    evaluations: Sequence[ProposalEvaluation],
    focus: str,
    peers: Sequence[str] = (),
    column: str = "egdi_shift",
    seed: int = 0,
):
    """Distribution of rank shifts per proposal (box + all countries), focus and peers marked.

    The vertical jitter of the country dots is drawn with ``seed`` (the same figure every run).
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    from .plots import FOCUS_COLOUR, PEER_COLOUR, strip_dots

    rows = []
    for ev in evaluations:
        s = ev.shifts[[column]].dropna().assign(proposal=ev.result.spec.label)
        rows.append(s)
    long = pd.concat(rows).reset_index()
    fig, ax = plt.subplots(figsize=(10, 1.2 + 1.1 * len(evaluations)))
    sns.boxplot(data=long, x=column, y="proposal", ax=ax, color="#d6e4f0", fliersize=0, width=0.55)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    by_label = [long[long["proposal"] == lab].set_index("iso3")[column] for lab in labels]
    strip_dots(ax, by_label, spread=0.22, seed=seed, color="#5d6d7e", s=2.5**2, alpha=0.5)
    for k, sub in enumerate(by_label):
        for p in peers:
            if p in sub.index and p != focus:
                ax.plot(sub[p], k, marker="o", ms=6, mfc="white", mec=PEER_COLOUR, zorder=5)
        if focus in sub.index:
            ax.plot(sub[focus], k, marker="D", ms=8, color=FOCUS_COLOUR, zorder=6)
            ax.annotate(
                f"{focus} {sub[focus]:+.0f}",
                (sub[focus], k),
                xytext=(6, -12),
                textcoords="offset points",
                color=FOCUS_COLOUR,
                fontsize=9,
            )
    ax.axvline(0, color="#333333", lw=0.8)
    ax.set_xlabel("Change in rank (positions; positive = moves up)")
    ax.set_ylabel("")
    return fig


def plot_rank_intervals(
    intervals: pd.DataFrame,
    focus: str,
    group: Sequence[str],
    n_top: int = 30,
    target_label: str = "implied EGDI rank",
):
    """JRC-audit style: nominal and median rank with the 5-95% interval, top ``n_top`` and group."""
    import matplotlib.pyplot as plt

    from .plots import FOCUS_COLOUR, FRONTIER_COLOUR, PEER_COLOUR

    top = intervals.dropna(subset=["nominal"]).nsmallest(n_top, "nominal", keep="first")
    grp = intervals.loc[[g for g in group if g in intervals.index]].sort_values("nominal")
    fig, axes = plt.subplots(
        1, 2, figsize=(12, 0.26 * max(len(top), 12) + 1.6), gridspec_kw={"width_ratios": [1.15, 1]}
    )
    for ax, sub, title in (
        (axes[0], top, f"Top {len(top)} (nominal rank)"),
        (axes[1], grp, "Focus group"),
    ):
        y = np.arange(len(sub))
        colours = [
            FOCUS_COLOUR if i == focus else (FRONTIER_COLOUR if ax is axes[0] else PEER_COLOUR)
            for i in sub.index
        ]
        ax.hlines(y, sub["lower"], sub["upper"], color=colours, lw=2.2, alpha=0.8)
        ax.scatter(sub["median"], y, color=colours, s=28, zorder=3, label="median rank")
        ax.scatter(
            sub["nominal"],
            y,
            facecolor="white",
            edgecolor="black",
            marker="D",
            s=26,
            zorder=4,
            label="nominal rank",
        )
        ax.set_yticks(y)
        ax.set_yticklabels(
            [f"{i} {str(c)[:28]}" for i, c in zip(sub.index, sub["country"], strict=True)],
            fontsize=8.5,
        )
        ax.invert_yaxis()
        ax.set_xlabel(f"{target_label} (1 = best); bar = 5-95% of draws")
        ax.set_title(title, fontsize=11)
        lo = max(1, np.nanmin(sub["lower"]) - 2) if len(sub) else 1
        hi = np.nanmax(sub["upper"]) + 2 if len(sub) else 10
        ax.set_xlim(lo, hi)
    axes[0].hlines([], 0, 0, color=FRONTIER_COLOUR, lw=2.2, label="5-95% of draws")
    handles, labels = axes[0].get_legend_handles_labels()
    axes[1].legend(handles, labels, loc="upper right", fontsize=8.5, frameon=True)
    return fig


def zero_at_minimum(result: VariantResult) -> pd.Index:
    """Countries at the minimum of at least one component (as used, after imputation).

    Min-max scaling gives them a 0 on that component, so a geometric mean gives them an index
    of 0 whatever their other components: the reason the aggregation choice can move a few
    top-ranked countries very far.
    """
    vals = result.data[[f"value_{v}" for v in result.spec.variables]]
    at_min = vals.eq(vals.min()) & vals.notna()
    return vals.index[at_min.any(axis=1)]


def proxy_years(variables: Sequence[str]) -> str:
    """Reference years available in the data for each variable (named by its label), e.g.
    ``"ICT skills 2014-2019; Technology skills (Coursera GSI) 2020"``."""
    from .panel import load_covariates

    if not variables:
        return "no new components"
    from .readers import variables as known

    long = load_covariates(list(variables))
    span = long.groupby("variable")["year"].agg(["min", "max"])
    meta = known()
    # the variables' labels, not their ids: this text is shown in the reports
    name = {v: meta[v].label if v in meta and meta[v].label else v for v in variables}
    return "; ".join(
        f"{name[v]} {int(span.loc[v, 'min'])}"
        + (f"-{int(span.loc[v, 'max'])}" if span.loc[v, "max"] != span.loc[v, "min"] else "")
        if v in span.index
        else f"{name[v]} no data"
        for v in variables
    )


def proposal_memo(
    evaluations: Sequence[ProposalEvaluation],
    correlations: pd.DataFrame,
    focus: str,
    group: Sequence[str],
    *,
    min_observed_share: float = 0.5,
    max_redundancy: float = 0.9,
) -> str:
    """A short methodology proposal in Markdown, generated from the results.

    A new component is recommended if it is observed (not imputed) for at least
    ``min_observed_share`` of the assessed countries and its rank correlation with the published
    HCI is below ``max_redundancy`` (it adds information the HCI lacks).
    """
    from .countries import country_name
    from .report import join_names

    ok = [ev for ev in evaluations if ev.result.evaluable]
    if not ok:
        year = evaluations[0].result.year if evaluations else "this edition"
        new = list(dict.fromkeys(v for ev in evaluations for v in ev.result.spec.new_components))
        return (
            f"**No proposal can be evaluated for {year}.** None of the proxies has a "
            f"reference year usable for this edition ({proxy_years(new)}), so every variant "
            "equals the published HCI."
        )
    year = ok[0].result.year
    n = len(ok[0].result.data)
    keep, drop, needs = [], [], []
    seen = set()
    for ev in ok:
        spec = ev.result.spec
        for v in spec.new_components:
            if v in seen:
                continue
            seen.add(v)
            c = ev.result.coverage.loc[v]
            share = c["observed"] / n
            rho = correlations.loc[v, "hci"] if v in correlations.index else np.nan
            label = c["label"]
            if share >= min_observed_share and (np.isnan(rho) or abs(rho) < max_redundancy):
                keep.append(
                    f"{label} (observed for {c['observed']} of {n} countries, rank "
                    f"correlation with the HCI {rho:.2f})"
                )
            else:
                why = []
                if share < min_observed_share:
                    why.append(f"observed for only {c['observed']} of {n} countries")
                if not np.isnan(rho) and abs(rho) >= max_redundancy:
                    why.append(f"largely redundant with the HCI (rank correlation {rho:.2f})")
                drop.append(f"{label} ({'; '.join(why)})")
        if spec.data_needed:
            needs.append(f"*{spec.label}*: {spec.data_needed}")
    best = max(ok, key=lambda e: e.summary["mean_abs"])
    least = min(ok, key=lambda e: e.summary["mean_abs"])
    lines = [f"### Proposal memo: revising the Human Capital Index (edition {year})", ""]
    w_new = 1 - ok[0].result.spec.weights.get("hci", 0)
    if keep:
        lines.append(
            f"**What to add.** On the evidence of {year}, the components worth adding to the HCI "
            f"are {join_names(keep)}. They would enter as a digital block with {w_new:.0%} of the "
            f"HCI weight, the published HCI keeping {1 - w_new:.0%}, each normalised min-max "
            "within the edition and the sum rescaled to [0, 1] as the UN does for the HCI."
        )
    else:
        lines.append(
            f"**What to add.** No tested proxy meets both tests (observed for at least "
            f"{min_observed_share:.0%} of countries and rank correlation with the HCI below "
            f"{max_redundancy}); the evidence does not yet support a particular component."
        )
    if drop:
        lines.append(f"Not yet recommended on these data: {join_names(drop)}.")
    lines.append("")
    eff = []
    for ev in ok:
        s = ev.summary
        sh = ev.shifts["egdi_shift"]
        f = (
            f"{country_name(focus)} {int(sh[focus]):+d}"
            if focus in sh.index and pd.notna(sh[focus])
            else f"{focus} not ranked"
        )
        eff.append(
            f"*{ev.result.spec.label}*: {s['share_moved']:.0%} of countries change EGDI "
            f"rank, by {s['mean_abs']:.1f} positions on average ({s['within_5']:.0%} "
            f"within 5 positions; largest moves {s['max_up']:+.0f} and "
            f"{s['max_down']:+.0f}); {f}"
        )
    lines.append(
        "**Effect on ranks.** " + "; ".join(eff) + ". The "
        f"largest average reshuffle comes from *{best.result.spec.label}*, the smallest "
        f"from *{least.result.spec.label}*."
    )
    unc = []
    for ev in ok:
        if ev.intervals is None:
            continue
        grp = ev.intervals.loc[[g for g in group if g in ev.intervals.index]]
        top = ev.sensitivity.iloc[0]
        unc.append(
            f"*{ev.result.spec.label}*: median 5-95% interval width "
            f"{ev.intervals['width'].median():.0f} ranks over all countries and "
            f"{grp['width'].median():.0f} in the focus group; the choice that moves ranks "
            f"most is {top['factor']} ({top['rank_variance_share']:.0%} of rank variance)"
        )
    if unc:
        lines.append("")
        lines.append(
            "**Rank uncertainty.** " + "; ".join(unc) + ". A rank change smaller than "
            "the interval width is within the uncertainty of the method, not a finding."
        )
    lines.append("")
    lines.append("**Data the UN would need from member states.** " + " ".join(needs))
    lines.append("")
    lim = [ev.result.spec.proxy_note for ev in ok if ev.result.spec.proxy_note]
    lines.append(
        "**Limits of the evidence.** These are proxies, not the measures proposed: "
        + " ".join(dict.fromkeys(lim))
        + " Imputed values (group medians) are "
        "assumptions, not data, and a country without data is pulled to its group's "
        f"middle. The weights ({1 - w_new:.0%} / {w_new:.0%}) are a stated choice, not "
        "estimated; the Monte Carlo shows how much ranks depend on them and on the "
        "other method choices."
    )
    return "\n".join(lines)


__all__ += [
    "ProposalEvaluation",
    "coverage_text",
    "evaluate_proposal",
    "plot_rank_intervals",
    "plot_rank_shifts",
    "proposal_memo",
    "proxy_years",
    "zero_at_minimum",
]


# --------------------------------------------------------------------------------------------
# Report tables and prose over several evaluated proposals
# --------------------------------------------------------------------------------------------
# Each takes every evaluation and keeps the evaluable ones (those with a Monte Carlo for the
# uncertainty tables), so a report can pass all proposals without filtering first.


def _evaluable(evaluations: Sequence[ProposalEvaluation]) -> list[ProposalEvaluation]:
    return [ev for ev in evaluations if ev.result.evaluable]


def _with_mc(evaluations: Sequence[ProposalEvaluation]) -> list[ProposalEvaluation]:
    return [ev for ev in _evaluable(evaluations) if ev.intervals is not None]


def evaluability_prose(evaluations: Sequence[ProposalEvaluation], lag: int = 1) -> str:
    """Say which proposals cannot be evaluated for the edition and why ("" if all can).

    A proposal is not evaluable when no new component has an observed value with a reference
    year not after ``year - lag``.
    """
    ok = _evaluable(evaluations)
    if len(ok) == len(evaluations):
        return ""
    if not ok:
        year = evaluations[0].result.year
        new_vars = list(
            dict.fromkeys(v for ev in evaluations for v in ev.result.spec.new_components)
        )
        return (
            f"**None of the proposals can be evaluated for {year}**: no proxy has a "
            f"reference year not after {year - lag} (years in the data: "
            f"{proxy_years(new_vars)}). Every variant equals the published HCI; the sections "
            "below are skipped. Run the report for a later edition."
        )
    return (
        "Not evaluable for this edition (no observed value of any new component): "
        + ", ".join(f"`{ev.name}`" for ev in evaluations if not ev.result.evaluable)
        + "."
    )


#: Report names of the `egovlib.variants.shift_summary` keys.
SUMMARY_COLUMNS = {
    "n": "countries",
    "moved": "moved",
    "share_moved": "share moved",
    "mean_abs": "mean |shift|",
    "max_up": "largest up",
    "max_down": "largest down",
    "within_5": "within 5 places",
}


def shift_summary_table(evaluations: Sequence[ProposalEvaluation]) -> pd.DataFrame:
    """One row per evaluable proposal: its implied-EGDI rank-shift summary, report column names."""
    rows = [{"proposal": ev.result.spec.label, **ev.summary} for ev in _evaluable(evaluations)]
    return pd.DataFrame(rows).rename(columns=SUMMARY_COLUMNS)


def focus_shift_table(
    evaluations: Sequence[ProposalEvaluation], group: Sequence[str]
) -> pd.DataFrame:
    """Per group country: published HCI, EGDI rank, and each proposal's new HCI and rank (shift).

    Columns ``iso3, country, HCI, EGDI rank`` then ``<spec>: new HCI`` and ``<spec>: rank
    (shift)`` (text such as ``"41 (+3)*"``, ``*`` = a component imputed) per evaluable proposal;
    rows sorted by EGDI rank. The published values come from the first evaluable proposal.
    """
    from .countries import country_name

    ok = _evaluable(evaluations)
    if not ok:
        return pd.DataFrame(columns=["iso3", "country", "HCI", "EGDI rank"])
    first = ok[0].shifts
    rows = []
    for iso in group:
        row = {"iso3": iso, "country": first["country"].get(iso, country_name(iso))}
        if iso in first.index:
            row["HCI"] = first.loc[iso, "index_published"]
            row["EGDI rank"] = first.loc[iso, "egdi_rank_baseline"]
        for ev in ok:
            sh = ev.shifts
            if iso in sh.index:
                flag = "*" if sh.loc[iso, "imputed"] else ""
                row[f"{ev.name}: new HCI"] = sh.loc[iso, "index_variant"]
                row[f"{ev.name}: rank (shift)"] = (
                    f"{int(sh.loc[iso, 'egdi_rank_variant'])} "
                    f"({int(sh.loc[iso, 'egdi_shift']):+d}){flag}"
                )
        rows.append(row)
    out = pd.DataFrame(rows)
    return out.sort_values("EGDI rank") if "EGDI rank" in out.columns else out


def focus_shift_display(
    evaluations: Sequence[ProposalEvaluation], table: pd.DataFrame
) -> pd.DataFrame:
    """`focus_shift_table` for display: two header rows (proposal label over "New HCI" and
    "EGDI rank (shift)") instead of ``<spec>: ...`` column names, so the table fits the page."""
    labels = {ev.name: ev.result.spec.label for ev in _evaluable(evaluations)}
    base = {"iso3": "ISO3", "country": "Country", "HCI": "HCI", "EGDI rank": "EGDI rank"}
    cols = []
    for c in table.columns:
        if c in base:
            cols.append(("Published", base[c]))
        else:
            name, _, what = c.partition(": ")
            cols.append(
                (labels.get(name, name), "New HCI" if what == "new HCI" else "EGDI rank (shift)")
            )
    out = table.copy()
    out.columns = pd.MultiIndex.from_tuples(cols)
    return out


def focus_shift_prose(
    evaluations: Sequence[ProposalEvaluation],
    focus: str,
    group: Sequence[str],
    group_label: str = "focus group",
) -> str:
    """Per proposal: the group's mean EGDI rank shift, the focus country's move, its top gain."""
    from .countries import country_name

    lines = []
    for ev in _evaluable(evaluations):
        sh, lab = ev.shifts, ev.result.spec.label
        g = sh.loc[[i for i in group if i in sh.index], "egdi_shift"].dropna()
        if focus not in sh.index or pd.isna(sh.loc[focus, "egdi_shift"]) or g.empty:
            lines.append(f"*{lab}*: {focus} not ranked")
            continue
        best = g.idxmax()
        lines.append(
            f"*{lab}*: {group_label} mean shift {g.mean():+.1f} places; "
            f"{country_name(focus)} {int(sh.loc[focus, 'egdi_shift']):+d} (rank "
            f"{int(sh.loc[focus, 'egdi_rank_baseline'])} -> "
            f"{int(sh.loc[focus, 'egdi_rank_variant'])}); largest gain "
            f"{country_name(best)} {int(g.max()):+d}"
        )
    return "**Focus group.** " + "; ".join(lines) + "."


def coherence_table(evaluations: Sequence[ProposalEvaluation]) -> pd.DataFrame:
    """One row per evaluable proposal: components, countries, Cronbach's alpha, PC1 share."""
    return pd.DataFrame(
        [
            {
                "proposal": ev.result.spec.label,
                "components": ev.coherence["k"],
                "countries (all observed)": ev.coherence["n"],
                "Cronbach's alpha": ev.coherence["alpha"],
                "PC1 share": ev.coherence["pc1_share"],
            }
            for ev in _evaluable(evaluations)
        ]
    )


def coherence_prose(evaluations: Sequence[ProposalEvaluation]) -> str:
    """What Cronbach's alpha and the PC1 share mean, and their values per proposal."""
    return (
        "Cronbach's alpha (standardised) measures whether the components move together "
        "(0.7 or more is the usual bar for one underlying dimension); the first principal "
        "component share is the part of their joint variance one dimension explains. "
        + "; ".join(
            f"*{ev.result.spec.label}*: alpha {ev.coherence['alpha']:.2f}, PC1 "
            f"{ev.coherence['pc1_share']:.0%} over {ev.coherence['n']} countries"
            for ev in _evaluable(evaluations)
        )
        + "."
    )


def target_label(target: str = "egdi") -> str:
    """Axis/table label of the Monte Carlo target: implied EGDI rank or new HCI rank."""
    return "implied EGDI rank" if target == "egdi" else "new HCI rank"


def _imputation_words(group: str) -> str:
    return "no imputation" if group == "none" else f"{method_words(group)} median"


def mc_design_prose(evaluations: Sequence[ProposalEvaluation], target: str = "egdi") -> str:
    """The Monte Carlo design (draws, seed, spreads, choices) of the first evaluated proposal."""
    ok = _with_mc(evaluations)
    if not ok:
        return ""
    st = ok[0].mc.settings
    return (
        f"**Design:** {st['n_draws']:,} draws per proposal (seed {st['seed']}); weight "
        f"spread ±{st['weight_spread']:.0%}; normalisations "
        f"{', '.join(method_words(m) for m in st['normalisations'])}; aggregations "
        f"{', '.join(method_words(m) for m in st['aggregations'])}; imputation drawn among "
        f"{', '.join(_imputation_words(m) for m in st['imputations'])} (per proposal: the "
        "spec's group median and no imputation). Ranks "
        f"reported: {'implied EGDI' if target == 'egdi' else 'new HCI'}."
    )


def focus_interval_table(
    evaluations: Sequence[ProposalEvaluation], group: Sequence[str]
) -> pd.DataFrame:
    """Per proposal and group country: nominal rank, median, 5% and 95% of the draws, width.

    Columns ``proposal, iso3, country, nominal, median, 5%, 95%, width``; group countries
    without a rank are left out.
    """
    cols = ["proposal", "iso3", "country", "nominal", "median", "5%", "95%", "width"]
    frames = []
    for ev in _with_mc(evaluations):
        ri = ev.intervals
        g = ri.loc[[i for i in group if i in ri.index]]
        frames.append(
            g.rename(columns={"lower": "5%", "upper": "95%"})
            .reset_index(names="iso3")
            .assign(proposal=ev.result.spec.label)
        )
    if not frames:
        return pd.DataFrame(columns=cols)
    return pd.concat(frames, ignore_index=True)[cols]


def sensitivity_table(evaluations: Sequence[ProposalEvaluation]) -> pd.DataFrame:
    """First-order rank-variance shares: one row per choice, one column per proposal.

    Rows sorted by the largest share over the proposals; column ``factor`` first.
    """
    ok = _with_mc(evaluations)
    if not ok:
        return pd.DataFrame(columns=["factor"])
    sens = pd.concat([ev.sensitivity.assign(proposal=ev.result.spec.label) for ev in ok])
    wide = sens.pivot_table(index="factor", columns="proposal", values="rank_variance_share")
    wide = wide.loc[wide.max(axis=1).sort_values(ascending=False).index]
    return wide.reset_index().rename_axis(columns=None)


def sensitivity_prose(
    evaluations: Sequence[ProposalEvaluation], n_draws: int, bins: int = 10
) -> str:
    """Which choice moves ranks most per proposal, its shares and the median interval width.

    Also states the noise floor of the binned weight shares (about ``bins / n_draws``).
    """
    parts = []
    for ev in _with_mc(evaluations):
        t = ev.sensitivity.iloc[0]
        parts.append(
            f"*{ev.result.spec.label}*: {t['factor']} ({t['rank_variance_share']:.0%} "
            f"of rank variance, first-order index of the mean absolute shift "
            f"{t['first_order_shift']:.2f}); median interval width "
            f"{ev.intervals['width'].median():.0f} places"
        )
    return (
        "**Which choice moves ranks most.** "
        + "; ".join(parts)
        + f". Weight shares below about {bins / n_draws:.3f} (bins / draws) are within the "
        "estimation noise of binning the weights."
    )


def aggregation_cliff_prose(
    evaluations: Sequence[ProposalEvaluation], n_named: int = 5, n_widest: int = 10
) -> str:
    """Explain the geometric-mean cliff for proposals whose ranks move most with aggregation.

    For each proposal whose top sensitivity factor is the aggregation: how many countries sit
    at the minimum of a component (`zero_at_minimum`), the highest ranked of them and how many
    of the ``n_widest`` widest intervals are theirs. "" if no proposal is in that case.
    """
    from .countries import country_name

    geo = [ev for ev in _with_mc(evaluations) if ev.sensitivity.iloc[0]["factor"] == "aggregation"]
    if not geo:
        return ""
    parts = []
    for ev in geo:
        z = zero_at_minimum(ev.result)
        text = (
            f"*{ev.result.spec.label}*: {len(z)} "
            f"{'country is' if len(z) == 1 else 'countries are'} at the minimum of a component"
        )
        if len(z):
            named = ev.intervals.index.intersection(z)[:n_named]
            text += (
                f" (highest ranked: {', '.join(country_name(i) for i in named)}); "
                f"{ev.intervals.nlargest(n_widest, 'width').index.isin(z).sum()} of the "
                f"{n_widest} widest intervals belong to them"
            )
        parts.append(text)
    return (
        "**Why aggregation matters so much.** After min-max scaling, a country at the "
        "minimum of any component gets 0 on it, and a geometric mean then gives it an index of "
        "0 whatever its other scores. "
        + "; ".join(parts)
        + ". The arithmetic mean (the UN's method) has no such cliff."
    )


__all__ += [
    "SUMMARY_COLUMNS",
    "aggregation_cliff_prose",
    "coherence_prose",
    "coherence_table",
    "evaluability_prose",
    "focus_interval_table",
    "focus_shift_prose",
    "focus_shift_table",
    "mc_design_prose",
    "sensitivity_prose",
    "sensitivity_table",
    "target_label",
]
