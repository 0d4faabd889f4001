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


NORMALISATIONS = ("minmax", "zscore", "rank", "distance_to_frontier")
AGGREGATIONS = ("arithmetic", "geometric")


def level_group(egdi: pd.Series | np.ndarray | float) -> pd.Series:
    """EGDI level group: Very High >= 0.75, High >= 0.50, Middle >= 0.25, else Low.

    Missing EGDI (not assessed) gives a missing group.
    """
    s = _as_series(egdi)
    out = pd.Series(pd.NA, index=s.index, dtype="object")
    for name, lo in reversed(LEVEL_THRESHOLDS):
        out[s >= lo] = name
    return pd.Series(pd.Categorical(out, categories=LEVEL_ORDER, ordered=True), index=s.index)


def rating_class(egdi: pd.Series | np.ndarray | float) -> pd.Series:
    """Rating class within the level group (e.g. VH, V3, V2, V1 within Very High).

    Each group spans 0.25 of EGDI and is cut into four classes of width 0.0625; the top class of
    a group starts at ``threshold + 0.1875``. An EGDI of exactly 1 is VH.
    """
    s = _as_series(egdi)
    out = pd.Series(pd.NA, index=s.index, dtype="object")
    for group, lo in LEVEL_THRESHOLDS:
        classes = RATING_CLASSES[group]
        for k, name in enumerate(classes):  # k = 0 is the top class
            c_lo = lo + (3 - k) * 0.0625
            c_hi = lo + (4 - k) * 0.0625
            mask = (s >= c_lo) & ((s < c_hi) | ((k == 0) & (group == "Very High")))
            out[mask & out.isna()] = name
    return pd.Series(pd.Categorical(out, categories=RATING_ORDER, ordered=True), index=s.index)


def rank_desc(scores: pd.Series) -> pd.Series:
    """Rank 1 = highest score; ties share the best rank (1, 2, 2, 4); missing stays unranked.

    This reproduces the published EGDI ranks of every edition from the full-precision EGDI,
    except four tied pairs in 2020 that the UN ranked apart.
    """
    return scores.rank(method="min", ascending=False).astype("Int64")


def normalise(df: pd.DataFrame | pd.Series, method: str = "minmax") -> pd.DataFrame | pd.Series:
    """Normalise each column over the countries (rows); missing values stay missing.

    Parameters
    ----------
    df : DataFrame or Series
        Indicators in columns, higher = better (flip a "lower is better" indicator first).
    method : {"minmax", "zscore", "rank", "distance_to_frontier"}
        ``minmax``: (x - min) / (max - min) in [0, 1]. ``zscore``: (x - mean) / sd (sample sd).
        ``rank``: percentile rank in [0, 1] ((rank - 1) / (n - 1), ties averaged).
        ``distance_to_frontier``: x / max (share of the best performer; needs x >= 0).
        A constant column carries no information: every country gets the midpoint of the range
        (0.5 for minmax and rank, 0 for zscore, 1 for distance to frontier).
    """
    if method not in NORMALISATIONS:
        raise SpecError(f"unknown normalisation {method!r}; choose one of {NORMALISATIONS}")
    if isinstance(df, pd.Series):
        return normalise(df.to_frame(), method).iloc[:, 0]
    out = {}
    for col in df.columns:
        x = df[col].astype(float)
        lo, hi = x.min(), x.max()
        constant = not (hi > lo)
        if method == "minmax":
            out[col] = x * 0 + 0.5 if constant else (x - lo) / (hi - lo)
        elif method == "zscore":
            out[col] = x * 0 if constant else (x - x.mean()) / x.std(ddof=1)
        elif method == "rank":
            n = x.notna().sum()
            out[col] = (
                x * 0 + 0.5 if constant or n < 2 else (x.rank(method="average") - 1) / (n - 1)
            )
        else:
            if lo < 0:
                raise SpecError(
                    f"distance to frontier needs non-negative values; column {col!r} "
                    f"has minimum {lo}"
                )
            out[col] = x * 0 + 1.0 if constant or hi == 0 else x / hi
    return pd.DataFrame(out, index=df.index)


def aggregate(
    df: pd.DataFrame, weights: Mapping[str, float] | None = None, method: str = "arithmetic"
) -> pd.Series:
    """Weighted aggregate of normalised columns, row by row.

    Parameters
    ----------
    df : DataFrame
        Normalised components in columns.
    weights : mapping of column to weight, optional
        Must cover the columns and sum to 1 (within 1e-9); default equal weights.
    method : {"arithmetic", "geometric"}
        Geometric: prod(x_i ** w_i); needs x >= 0, and any zero component gives 0 (no
        compensation). A row with any missing component gives a missing aggregate (handle
        missing data before aggregating, e.g. with `egovlib.variants`).
    """
    if method not in AGGREGATIONS:
        raise SpecError(f"unknown aggregation {method!r}; choose one of {AGGREGATIONS}")
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
    x = df[cols].astype(float)
    if method == "arithmetic":
        return (x * w[cols]).sum(axis=1, min_count=len(cols)).where(x.notna().all(axis=1))
    if (x < 0).any().any():
        bad = x.columns[(x < 0).any()].tolist()
        raise SpecError(
            f"geometric aggregation needs non-negative components; {bad} have "
            "negative values (use minmax, rank or distance-to-frontier normalisation)"
        )
    return (
        np.exp((np.log(x.where(x > 0)) * w[cols]).sum(axis=1, min_count=len(cols)))
        .where(~(x == 0).any(axis=1), 0.0)
        .where(x.notna().all(axis=1))
    )


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
