"""UN E-Government Survey methodology: normalisation, aggregation, ranks, level groups, classes.

References: UN DESA, *E-Government Survey 2024*, Annex (Technical appendix): each component is a
weighted aggregate of z-scored indicators, min-max rescaled to [0, 1] within the edition; EGDI is
the mean of OSI, HCI and TII. Level groups and rating classes: E-Government Survey 2020, ch. 1
(introduced there; kept in 2022 and 2024).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .errors import SpecError

#: EGDI level-group thresholds: an EGDI at or above the threshold belongs to the group.
LEVEL_THRESHOLDS: tuple[tuple[str, float], ...] = (
    ("Very High", 0.75),
    ("High", 0.50),
    ("Middle", 0.25),
    ("Low", 0.0),
)
LEVEL_ORDER = [name for name, _ in LEVEL_THRESHOLDS]

#: Rating classes: each level group is split into four equal-width classes (width 0.0625),
#: listed from the top of the group down (UN E-Government Survey 2020, ch. 1; same in 2022, 2024).
RATING_CLASSES: dict[str, tuple[str, str, str, str]] = {
    "Very High": ("VH", "V3", "V2", "V1"),
    "High": ("HV", "H3", "H2", "H1"),
    "Middle": ("MH", "M3", "M2", "M1"),
    "Low": ("LM", "L3", "L2", "L1"),
}
RATING_ORDER = [c for g in LEVEL_ORDER for c in RATING_CLASSES[g]]


#: Normalisations (see `normalise_array`); "none" keeps values, "share" divides percentages by 100
#: (the UN HCI up to 2012).
NORMALISATIONS = ("none", "minmax", "zscore", "rank", "distance_to_frontier", "share")
AGGREGATIONS = ("arithmetic", "geometric")
#: Lower end of the [epsilon, 1] scale that every geometric mean works on: a component at the
#: bottom of its range counts as 0.01, not 0, so one zero cannot send a whole index to 0.
EPSILON = 0.01


def level_group(egdi: pd.Series | np.ndarray | float) -> pd.Series:
    """EGDI level group: Very High >= 0.75, High >= 0.50, Middle >= 0.25, else Low.

    Missing EGDI (not assessed) gives a missing group.
    """
    s = _as_series(egdi)
    x = s.to_numpy(dtype="float64")
    # integer codes into LEVEL_ORDER (-1 = missing), set from the lowest group up as the
    # thresholds are listed from the top (numpy: the per-group pandas assignments were slow)
    codes = np.full(len(x), -1, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        for i in reversed(range(len(LEVEL_THRESHOLDS))):
            codes[x >= LEVEL_THRESHOLDS[i][1]] = i
    cat = pd.Categorical.from_codes(codes, categories=LEVEL_ORDER, ordered=True)
    return pd.Series(cat, index=s.index)


def rating_class(egdi: pd.Series | np.ndarray | float) -> pd.Series:
    """Rating class within the level group (e.g. VH, V3, V2, V1 within Very High).

    Each group spans 0.25 of EGDI and is cut into four classes of width 0.0625; the top class of
    a group starts at ``threshold + 0.1875``. An EGDI of exactly 1 is VH.
    """
    s = _as_series(egdi)
    x = s.to_numpy(dtype="float64")
    codes = np.full(len(x), -1, dtype=np.int8)  # into RATING_ORDER; -1 = missing
    with np.errstate(invalid="ignore"):
        for group, lo in LEVEL_THRESHOLDS:
            for k, name in enumerate(RATING_CLASSES[group]):  # k = 0 is the top class
                c_lo = lo + (3 - k) * 0.0625
                c_hi = lo + (4 - k) * 0.0625
                mask = (x >= c_lo) & ((x < c_hi) | ((k == 0) & (group == "Very High")))
                codes[mask & (codes < 0)] = RATING_ORDER.index(name)  # the first class wins
    cat = pd.Categorical.from_codes(codes, categories=RATING_ORDER, ordered=True)
    return pd.Series(cat, index=s.index)


def rank_desc(scores: pd.Series) -> pd.Series:
    """Rank 1 = highest score; ties share the best rank (1, 2, 2, 4); missing stays unranked.

    This reproduces the published EGDI ranks of every edition from the full-precision EGDI,
    except four tied pairs in 2020 that the UN ranked apart.
    """
    return scores.rank(method="min", ascending=False).astype("Int64")


def rank_rows(s: np.ndarray) -> np.ndarray:
    """`rank_desc` of every row of a (d, n) array at once.

    1 = highest, ties share the best rank, NaN stays unranked; contiguous rows sort much faster
    than columns.
    """
    s = np.ascontiguousarray(np.atleast_2d(np.asarray(s, dtype=float)))
    d, n = s.shape
    missing = np.isnan(s)
    x = np.negative(s)
    x[missing] = np.inf
    order = np.argsort(x, axis=1)  # ties are resolved below, so any sort order will do
    xs = np.sort(x, axis=1)  # the sorted values (a plain sort is cheaper than gathering them)
    # flat indices of the sorted positions: one scatter over the whole array
    flat = (order + (np.arange(d) * n)[:, None]).ravel()
    tied = (xs[:, 1:] == xs[:, :-1]) & np.isfinite(xs[:, 1:])
    ranks = np.empty(d * n)
    if tied.any():  # ties share the best rank: carry the position of the first of each run
        first = np.ones_like(xs, dtype=bool)
        first[:, 1:] = ~tied
        pos = np.where(first, np.arange(n), 0)
        ranks[flat] = (np.maximum.accumulate(pos, axis=1) + 1.0).ravel()
    else:
        ranks[flat] = np.tile(np.arange(1.0, n + 1), d)
    ranks = ranks.reshape(d, n)
    ranks[missing] = np.nan
    return ranks


def normalise_array(
    x: np.ndarray, method: str = "minmax", reference: np.ndarray | None = None
) -> np.ndarray:
    """Normalise each column of an (n countries, k indicators) array; NaN stays NaN.

    The one implementation of normalisation: `normalise`, `egovlib.engine.build` and the Monte
    Carlo all call it.

    Parameters
    ----------
    x : array (n, k), or (m, n, k) for m matrices at once
        Indicators in columns, higher = better (flip a "lower is better" indicator first).
    method : {"none", "minmax", "zscore", "rank", "distance_to_frontier", "share"}
        ``minmax``: (x - min) / (max - min) in [0, 1]. ``zscore``: (x - mean) / sd (sample sd).
        ``rank``: percentile rank in [0, 1] ((rank - 1) / (n - 1), ties averaged).
        ``distance_to_frontier``: x / max (needs x >= 0). ``share``: x / 100 (percentages).
        A constant column carries no information: every country gets the midpoint of the range
        (0.5 for minmax and rank, 0 for zscore, 1 for distance to frontier).
    reference : array (n,), or (m, n) with a three-dimensional ``x``, optional
        How many times each country counts in the reference distribution that sets the minimum,
        maximum, mean, sd and percentiles (a bootstrap draw of countries, in whole numbers);
        default once each. Values outside the reference range are clipped to [0, 1] (minmax,
        rank, frontier).
    """
    if method not in NORMALISATIONS:
        raise SpecError(f"unknown normalisation {method!r}; choose one of {NORMALISATIONS}")
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        return normalise_array(x[:, None], method, reference)[:, 0]
    if x.ndim == 2:
        ref = None if reference is None else np.asarray(reference, dtype=float)[None]
        return normalise_array(x[None], method, ref)[0]
    if method == "none":
        return x.copy()
    if method == "share":
        return x / 100.0
    m, n_rows, _ = x.shape
    obs = ~np.isnan(x)
    c = np.ones((m, n_rows)) if reference is None else np.asarray(reference, dtype=float)
    cw = np.where(obs, c[:, :, None], 0.0)  # reference weight of each observed value
    in_ref = cw > 0
    n = cw.sum(axis=1, keepdims=True)
    with np.errstate(all="ignore"):
        lo = np.where(in_ref, x, np.inf).min(axis=1, keepdims=True)
        hi = np.where(in_ref, x, -np.inf).max(axis=1, keepdims=True)
        constant = ~(hi > lo)
        if method == "minmax":
            out = np.where(constant, 0.5, (x - lo) / (hi - lo))
        elif method == "zscore":
            mean = np.where(in_ref, x * cw, 0.0).sum(axis=1, keepdims=True) / n
            sd = np.sqrt(
                np.where(in_ref, cw * (x - mean) ** 2, 0.0).sum(axis=1, keepdims=True) / (n - 1)
            )
            out = np.where(constant, 0.0, (x - mean) / sd)
        elif method == "rank":
            out = np.where(constant | (n < 2), 0.5, _percentile_rank(x, cw, n))
        else:
            _check_non_negative(np.where(in_ref, x, 0.0))
            out = np.where(constant | (hi == 0), 1.0, x / hi)
    if method != "zscore":
        out = np.clip(out, 0.0, 1.0)
    return np.where(obs, out, np.nan)


def _check_non_negative(x: np.ndarray) -> None:
    """Distance to frontier divides by the best value: refuse negative reference values."""
    if np.any(x < 0):
        bad = np.flatnonzero((x < 0).any(axis=(0, 1))).tolist()
        raise SpecError(
            f"distance to frontier needs non-negative values; column(s) {bad} have negative "
            "values. Fix: use min-max or rank normalisation."
        )


def _percentile_rank(x: np.ndarray, cw: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Percentile rank of each value of x (m, n, k) among the weighted reference values.

    (average rank - 1) / (n - 1), every value counting its weight in ``cw`` (whole numbers, so
    the sums are exact).

    All values are sorted together (reference or not, weight 0 for the others); the values
    below a value are those before its run of ties, the values equal to it its run.
    """
    xt = np.moveaxis(x, 1, 2)  # (m, k, n): sort along the last, contiguous axis
    order = np.argsort(xt, axis=-1)  # NaN sort last
    xs = np.take_along_axis(xt, order, axis=-1)
    ws = np.take_along_axis(np.moveaxis(cw, 1, 2), order, axis=-1)
    cum = np.concatenate([np.zeros(ws.shape[:-1] + (1,)), np.cumsum(ws, axis=-1)], axis=-1)
    size = xs.shape[-1]
    idx = np.arange(size)
    new_run = np.ones(xs.shape, dtype=bool)
    new_run[..., 1:] = xs[..., 1:] != xs[..., :-1]
    start = np.maximum.accumulate(np.where(new_run, idx, 0), axis=-1)
    is_end = np.ones(xs.shape, dtype=bool)
    is_end[..., :-1] = new_run[..., 1:]
    end = np.flip(
        np.minimum.accumulate(np.flip(np.where(is_end, idx + 1, size), axis=-1), axis=-1),
        axis=-1,
    )
    less = np.take_along_axis(cum, start, axis=-1)
    equal = np.take_along_axis(cum, end, axis=-1) - less
    ranked = np.empty(xs.shape)
    np.put_along_axis(ranked, order, (less + (equal - 1) / 2) / (np.moveaxis(n, 1, 2) - 1), axis=-1)
    return np.moveaxis(ranked, 2, 1)


def aggregate_array(
    z: np.ndarray,
    weights: np.ndarray,
    method: str = "arithmetic",
    *,
    reweight: bool = False,
    epsilon: float = EPSILON,
    which: np.ndarray | None = None,
) -> np.ndarray:
    """Weighted aggregate of normalised components for one or many weight vectors at once.

    The one implementation of aggregation (`aggregate`, `egovlib.engine`, the Monte Carlo).

    Parameters
    ----------
    z : array (n, k) or (u, n, k)
        Normalised components; with three dimensions, one matrix per weight vector, or per
        entry of ``which``.
    weights : array (k,) or (d, k)
        Each row sums to one.
    method : {"arithmetic", "geometric"}
        Geometric: prod(v_i ** w_i) over v = epsilon + (1 - epsilon) * z, i.e. components in
        [0, 1] are first put on [epsilon, 1], so a component at its minimum costs a factor
        epsilon ** w_i instead of sending the index to 0.
    reweight : bool
        A country missing a component is aggregated over the components it has, weights
        rescaled to sum to one; otherwise it gets NaN.
    epsilon : float
        Lower end of the geometric scale.
    which : array (d,) of int, optional
        With a three-dimensional ``z``: the matrix each weight row uses (matrices shared by many
        rows are transformed once, and each is multiplied by all its rows at once).

    Returns
    -------
    array (d, n)
    """
    if method not in AGGREGATIONS:
        raise SpecError(f"unknown aggregation {method!r}; choose one of {AGGREGATIONS}")
    w = np.atleast_2d(np.asarray(weights, dtype=float))
    z = np.asarray(z, dtype=float)
    z3 = z[None] if z.ndim == 2 else z
    present = ~np.isnan(z3)
    if method == "geometric":
        if np.any((z3[present] < -1e-12) | (z3[present] > 1 + 1e-12)):
            raise SpecError(
                "geometric aggregation needs components in [0, 1] (min-max, rank or distance "
                "to frontier); z-scores are signed. Fix: change the normalisation."
            )
        # With epsilon 0 a component at 0 has log -inf, and the index is 0 (the geometric
        # mean's value), not a division by zero to warn about.
        with np.errstate(divide="ignore"):
            vals = np.log(epsilon + (1 - epsilon) * np.clip(np.where(present, z3, 1.0), 0, 1))
    else:
        vals = np.where(present, z3, 0.0)
    scored = present.all(axis=2) | (reweight & present.any(axis=2))
    if z.ndim == 3 and which is None:  # one matrix per weight row
        num = np.einsum("dnk,dk->dn", vals, w)
        den = np.einsum("dnk,dk->dn", present, w)
        keep = scored & (den > 0)
    else:  # rows sorted by matrix, so that each matrix meets a contiguous block of weights
        which = np.zeros(len(w), int) if which is None else np.asarray(which)
        order = np.argsort(which, kind="stable")
        ws, wh = w[order], which[order]
        cuts = np.flatnonzero(np.diff(wh)) + 1
        num, den = np.empty((len(w), z3.shape[1])), np.empty((len(w), z3.shape[1]))
        presf = present.astype(float)
        for a, b in zip(np.r_[0, cuts], np.r_[cuts, len(wh)], strict=True):
            num[a:b] = (vals[wh[a]] @ ws[a:b].T).T
            den[a:b] = (presf[wh[a]] @ ws[a:b].T).T
        keep = scored[wh] & (den > 0)
    with np.errstate(all="ignore"):
        out = num / den
    if method == "geometric":
        out = np.exp(out)
    out = np.where(keep, out, np.nan)
    if z.ndim == 3 and which is None:
        return out
    result = np.empty_like(out)
    result[order] = out  # back to the order of the weight rows
    return result


def normalise(df: pd.DataFrame | pd.Series, method: str = "minmax") -> pd.DataFrame | pd.Series:
    """Normalise each column over the countries (rows); missing values stay missing.

    A pandas view of `normalise_array` (same methods and definitions).
    """
    if isinstance(df, pd.Series):
        return normalise(df.to_frame(), method).iloc[:, 0]
    out = normalise_array(df.to_numpy(dtype=float), method)
    return pd.DataFrame(out, index=df.index, columns=df.columns)


def aggregate(
    df: pd.DataFrame,
    weights: Mapping[str, float] | None = None,
    method: str = "arithmetic",
    *,
    epsilon: float = EPSILON,
) -> pd.Series:
    """Weighted aggregate of normalised columns, row by row (a pandas view of `aggregate_array`).

    Parameters
    ----------
    df : DataFrame
        Normalised components in columns.
    weights : mapping of column to weight, optional
        Must cover the columns and sum to 1 (within 1e-9); default equal weights.
    method : {"arithmetic", "geometric"}
        Geometric: components in [0, 1] are put on [epsilon, 1] first (see `aggregate_array`).
        A row with any missing component gives a missing aggregate.
    """
    cols = list(df.columns)
    w = pd.Series(weights if weights is not None else {c: 1 / len(cols) for c in cols}, dtype=float)
    missing = [c for c in cols if c not in w.index]
    extra = [c for c in w.index if c not in cols]
    if missing or extra:
        raise SpecError(
            f"weights must name exactly the components {cols}; missing {missing}, unknown {extra}"
        )
    if abs(w.sum() - 1) > 1e-9:
        raise SpecError(f"weights must sum to 1; they sum to {w.sum():.6f} ({w.to_dict()})")
    out = aggregate_array(
        df[cols].to_numpy(dtype=float), w[cols].to_numpy(), method, epsilon=epsilon
    )
    return pd.Series(out[0], index=df.index)


def un_composite(indicators: pd.DataFrame, weights: Mapping[str, float] | None = None) -> pd.Series:
    """A UN-style component index: z-score each indicator, weighted sum, min-max to [0, 1].

    This is how the UN builds OSI, HCI and TII from their indicators within one edition.
    """
    z = normalise(indicators, "zscore")
    return normalise(aggregate(z, weights, "arithmetic"), "minmax")


def egdi_from_components(osi: pd.Series, hci: pd.Series, tii: pd.Series) -> pd.Series:
    """EGDI = (OSI + HCI + TII) / 3 (UN E-Government Survey, all editions since 2003)."""
    return (osi + hci + tii) / 3


def _as_series(x) -> pd.Series:
    if isinstance(x, pd.Series):
        return x.astype("float64")
    return pd.Series(np.atleast_1d(np.asarray(x, dtype="float64")))
