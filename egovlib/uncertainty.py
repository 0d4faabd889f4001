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
from .indices import AGGREGATIONS, NORMALISATIONS
from .variants import (
    IMPUTATION_GROUPS,
    VariantResult,
    _group_medians,
    apply_missing_policy,
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
                raise SpecError("distance to frontier needs non-negative values; components "
                                f"{np.flatnonzero(lo < 0).tolist()} have negative minima")
            out = np.where(constant | (hi == 0), 1.0, x / hi)
    return np.where(obs, out, np.nan)


def batch_aggregate(z: np.ndarray, weights: np.ndarray, method: str, *,
                    reweight: bool = True) -> np.ndarray:
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
    first = np.ones_like(xs, dtype=bool)
    first[:, 1:] = xs[:, 1:] != xs[:, :-1]
    pos = np.where(first, np.arange(xs.shape[1]), 0)
    ranks_sorted = np.maximum.accumulate(pos, axis=1) + 1.0
    ranks = np.empty_like(ranks_sorted)
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


def draw_choices(spec_weights: Sequence[float], n_draws: int, rng: np.random.Generator, *,
                 weight_spread: float, normalisations: Sequence[str],
                 aggregations: Sequence[str], imputations: Sequence[str]) -> dict:
    """Draw the modelling choices of ``n_draws`` draws.

    Weights: each nominal weight times ``1 + U(-weight_spread, weight_spread)``, renormalised
    to sum to one. Aggregation, then normalisation, uniformly among the choices; the geometric
    mean only takes non-negative normalisations (z-scores are excluded for it).
    """
    w0 = np.asarray(spec_weights, dtype=float)
    if not 0 <= weight_spread < 1:
        raise SpecError(f"weight_spread must be in [0, 1), not {weight_spread}")
    for name, given, valid in (("normalisations", normalisations, NORMALISATIONS),
                               ("aggregations", aggregations, AGGREGATIONS),
                               ("imputations", imputations, IMPUTATION_GROUPS)):
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
            raise SpecError(f"no normalisation in {list(normalisations)} is valid with {a} "
                            f"aggregation (it needs one of {NON_NEGATIVE})")
        sel = agg == a
        norm[sel] = np.asarray(allowed)[(u[sel] * len(allowed)).astype(int)]
    imp = np.asarray(imputations)[rng.integers(len(imputations), size=n_draws)]
    return {"weights": w, "normalisation": norm.astype(str), "aggregation": agg.astype(str),
            "imputation": imp.astype(str)}


def monte_carlo(result: VariantResult, n_draws: int = 1000, seed: int = 12345, *,
                weight_spread: float = 0.25,
                normalisations: Sequence[str] | None = None,
                aggregations: Sequence[str] | None = None,
                imputations: Sequence[str] | None = None) -> MonteCarlo:
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
    ch = draw_choices(w0, n_draws, rng, weight_spread=weight_spread,
                      normalisations=normalisations, aggregations=aggregations,
                      imputations=imputations)

    d = result.data
    countries = d.index
    osi, hci, tii = (d[c].to_numpy(float) for c in ("osi", "hci", "tii"))
    matrices = {g: _component_matrix(result, g) for g in imputations}
    # draws in rows, countries in columns: each draw is ranked as one contiguous row
    index_scores = np.full((n_draws, len(countries)), np.nan)
    combos = pd.DataFrame({k: ch[k] for k in ("normalisation", "aggregation", "imputation")})
    reweight = spec.missing.otherwise == "reweight"
    for (norm, agg, imp), idx in combos.groupby(["normalisation", "aggregation", "imputation"],
                                                 sort=True).indices.items():
        z = batch_normalise(matrices[imp], norm)
        s = batch_aggregate(z, ch["weights"][idx], agg, reweight=reweight)
        index_scores[idx] = (batch_rescale(s) if spec.rescale == "minmax" else s).T
    if spec.replaces is not None:
        parts = {"osi": osi[None, :], "hci": hci[None, :], "tii": tii[None, :]}
        parts[spec.replaces] = index_scores
        egdi_scores = (parts["osi"] + parts["hci"] + parts["tii"]) / 3
    else:
        egdi_scores = np.repeat(((osi + hci + tii) / 3)[None, :], n_draws, axis=0)
    index_ranks = batch_rank(index_scores, axis=1)
    egdi_ranks = batch_rank(egdi_scores, axis=1)
    draws = combos.assign(**{f"w_{c.variable}": ch["weights"][:, j] for j, c in enumerate(comps)})
    sh = rank_shifts(result)
    nominal = pd.DataFrame({"index": sh["index_rank_variant"].astype(float),
                            "egdi": sh["egdi_rank_variant"].astype(float)}, index=countries)
    settings = {"n_draws": n_draws, "seed": seed, "weight_spread": weight_spread,
                "normalisations": normalisations, "aggregations": aggregations,
                "imputations": imputations}
    return MonteCarlo(result=result, draws=draws, index_ranks=index_ranks,
                      egdi_ranks=egdi_ranks, countries=countries, nominal=nominal,
                      settings=settings)


def _component_matrix(result: VariantResult, imputation: str) -> np.ndarray:
    """Raw components (oriented) with the given imputation applied, as an (n, k) array."""
    spec = result.spec
    if imputation == spec.missing.impute:
        gv = result.group_values
    else:
        gv = _group_medians(result.raw, result.data, imputation)
    values, _ = apply_missing_policy(result.raw, gv, spec.missing.min_coverage)
    x = values[spec.variables].to_numpy(float)
    for j, c in enumerate(spec.components):
        if c.direction == -1:
            x[:, j] = np.nanmax(x[:, j]) + np.nanmin(x[:, j]) - x[:, j]
    return x


# --------------------------------------------------------------------------------------------
# Summaries
# --------------------------------------------------------------------------------------------

def rank_intervals(mc: MonteCarlo, target: str = "egdi", lower: float = 5,
                   upper: float = 95) -> pd.DataFrame:
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
    q[:, ok] = np.nanpercentile(r[:, ok], [lower, 50, upper], axis=0)
    out = pd.DataFrame({"country": mc.result.data["country"], "nominal": mc.nominal[target],
                        "median": q[1], "lower": q[0], "upper": q[2]}, index=mc.countries)
    out["width"] = out["upper"] - out["lower"]
    return out.sort_values(["nominal", "median"], kind="stable")


def factor_labels(mc: MonteCarlo, bins: int = 10) -> pd.DataFrame:
    """The choice of each draw, per factor; continuous weights cut into ``bins`` quantile bins."""
    out = mc.draws[["normalisation", "aggregation", "imputation"]].copy()
    for col in [c for c in mc.draws.columns if c.startswith("w_")]:
        w = mc.draws[col]
        if (w != w.iloc[0]).any():
            out[f"weight of {col[2:]}"] = pd.qcut(w, q=bins, labels=False, duplicates="drop")
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
        sums = np.zeros((n_levels, r.shape[1]))
        np.add.at(sums, codes, r)
        mr = sums / counts[:, None]
        between = (p[:, None] * (mr - r.mean(axis=0)) ** 2).sum(axis=0)
        share = float(between.sum() / var_r.sum()) if var_r.sum() > 0 else 0.0
        rows.append({"factor": name, "levels": int(n_levels), "first_order_shift": fy,
                     "rank_variance_share": share})
    return pd.DataFrame(rows).sort_values("rank_variance_share", ascending=False,
                                          ignore_index=True)


def shift_distribution(mc: MonteCarlo, target: str = "egdi") -> pd.Series:
    """Mean absolute rank shift from the nominal ranks, per draw."""
    r = mc.ranks(target)
    nominal = mc.nominal[target].to_numpy()
    ok = ~np.isnan(nominal)
    return pd.Series(np.nanmean(np.abs(r[:, ok] - nominal[ok]), axis=1), name="mean_abs_shift")


__all__ = [
    "MonteCarlo", "batch_aggregate", "batch_normalise", "batch_rank", "batch_rescale",
    "draw_choices", "factor_labels", "monte_carlo", "rank_intervals", "sensitivity",
    "shift_distribution",
]
