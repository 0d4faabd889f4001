"""JRC-audit checks of an index variant: face validity, effective weights, coverage, concepts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..judgements import load_judgements
from .build import CATEGORICAL_LEVELS, Built, compare

#: A top-10 country moving more places than this under a proposal fails face validity.
MAX_TOP10_MOVE = 5
#: An effective weight above this multiple of the nominal weight is flagged.
EFFECTIVE_WEIGHT_RATIO = 2.0
#: A new item observed for less than this share of assessed countries is not eligible.
MIN_OBSERVED_SHARE = 0.70


@dataclass(frozen=True)
class ItemConcept:
    """What a candidate item measures and where it belongs (``judgements/index_items.yml``)."""

    variable: str
    concept: str
    scale: str
    home: str
    measures: str
    citation: str


def items() -> dict[str, ItemConcept]:
    """The classification of candidate items: human capital or institutional policy."""
    return {i.variable: i for i in load_judgements("index_items", ItemConcept)}


@dataclass
class FaceValidity:
    """Top-of-the-table moves of a variant against a reference build.

    Attributes
    ----------
    table : DataFrame
        The reference top ``n_top``: country, EGDI rank before and after and shift, HCI (index)
        rank before and after and shift, imputed components.
    top10 : DataFrame
        The reference top 10 rows of ``table``.
    flagged : list of str
        ISO3 codes of top-10 countries moving more than ``threshold`` places (EGDI or index).
    threshold : int
    """

    table: pd.DataFrame
    top10: pd.DataFrame
    flagged: list[str]
    threshold: int

    @property
    def passed(self) -> bool:
        """No top-10 country moves more than the threshold."""
        return not self.flagged


def face_validity(
    reference: Built,
    variant: Built,
    n_top: int = 20,
    threshold: int = MAX_TOP10_MOVE,
    *,
    moves: tuple[pd.DataFrame, pd.DataFrame] | None = None,
) -> FaceValidity:
    """Top-``n_top`` reshuffle of the EGDI and of the index, and the top-10 flag.

    The top 10 and top ``n_top`` are those of the reference EGDI; a country of the EGDI top 10
    or of the index's own top 10 that moves more than ``threshold`` places on either ranking
    is flagged.

    ``moves`` may pass ``compare(reference, variant, "egdi")`` and ``compare(reference,
    variant, "index")`` when the caller already has them (`assess_proposals` does), so they
    are not computed twice; they are only read.
    """
    if moves is None:
        moves = compare(reference, variant, "egdi"), compare(reference, variant, "index")
    e, i = moves
    t = pd.DataFrame(
        {
            "country": e["country"],
            "egdi_rank": e["rank_a"],
            "new_egdi_rank": e["rank_b"],
            "egdi_shift": e["shift"],
            "index_rank": i["rank_a"].reindex(e.index),
            "new_index_rank": i["rank_b"].reindex(e.index),
            "index_shift": i["shift"].reindex(e.index),
            "imputed": e["imputed"],
        }
    )
    top = t[t["egdi_rank"] <= n_top].sort_values("egdi_rank", kind="stable")
    top10 = t[t["egdi_rank"] <= 10].sort_values("egdi_rank", kind="stable")
    index_top10 = t[t["index_rank"] <= 10]
    moved = pd.concat([top10, index_top10])
    big = (moved["egdi_shift"].abs() > threshold) | (moved["index_shift"].abs() > threshold)
    flagged = list(dict.fromkeys(moved.index[big.fillna(False).to_numpy(bool)]))
    return FaceValidity(top, top10, flagged, threshold)


def correlation_ratio(y: np.ndarray, x: np.ndarray, degree: int = 3) -> float:
    """Share of the variance of ``y`` explained by ``x`` (Pearson's correlation ratio, eta²).

    E[y | x] is estimated by the group means of ``y`` for an item with few distinct values
    (binary or ordinal: exact), else by a cubic polynomial in ``x`` (Paruolo, Saisana and
    Saltelli 2013 use a smoother; a cubic is enough for the near-monotone relations here).
    """
    ok = ~(np.isnan(x) | np.isnan(y))
    x, y = x[ok], y[ok]
    if len(y) < 5:  # before any variance: numpy warns on an empty or one-value sample
        return float("nan")
    vy = y.var()
    if vy == 0 or x.var() == 0:
        return float("nan")
    levels = np.unique(x)
    if len(levels) <= CATEGORICAL_LEVELS:
        fitted = pd.Series(y).groupby(x).transform("mean").to_numpy()
    else:
        xs = (x - x.mean()) / x.std()
        fitted = np.polyval(np.polyfit(xs, y, degree), xs)
    return float(np.clip(fitted.var() / vy, 0, 1))


def effective_weights(built: Built, ratio: float = EFFECTIVE_WEIGHT_RATIO) -> pd.DataFrame:
    """Each component's share of the index variance beside its nominal weight.

    For each component: the squared Pearson correlation with the index (r²), the correlation
    ratio (eta², `correlation_ratio`) and the **effective weight** = eta² / sum of eta² over the
    components (Paruolo, Saisana and Saltelli 2013: the "importance" a component has, which
    nominal weights do not set when components differ in variance or correlate). Computed over
    the scored countries, components as used (imputed values included).

    Returns
    -------
    DataFrame
        ``component, nominal_weight, r2, eta2, effective_weight, ratio, flag`` (effective weight
        above ``ratio`` x nominal).
    """
    y = built.scores.to_numpy(float)
    rows = []
    for c in built.spec.components:
        x = built.normalised[c.variable].to_numpy(float)
        ok = ~(np.isnan(x) | np.isnan(y))
        r = np.corrcoef(x[ok], y[ok])[0, 1] if ok.sum() > 2 and x[ok].std() > 0 else np.nan
        rows.append(
            {
                "component": c.name,
                "nominal_weight": c.weight,
                "r2": r**2,
                "eta2": correlation_ratio(y, x),
            }
        )
    out = pd.DataFrame(rows)
    total = out["eta2"].sum()
    out["effective_weight"] = out["eta2"] / total if total > 0 else np.nan
    out["ratio"] = out["effective_weight"] / out["nominal_weight"]
    out["flag"] = out["ratio"] > ratio
    return out


def coverage(built: Built, threshold: float = MIN_OBSERVED_SHARE) -> pd.DataFrame:
    """Coverage gate of the new components: observed share of the assessed countries.

    Returns
    -------
    DataFrame
        ``component, variable, observed, imputed, not_scored, share_observed, eligible``,
        ``reference_years`` (years and number of countries), ``concept`` and ``home``
        (`items`). An item observed for less than ``threshold`` of the countries is not
        eligible for a recommended variant.
    """
    concepts = items()
    n = len(built.data.countries)
    rows = []
    for v in built.spec.new_components:
        # numpy, not pandas: called for every proposal of every report (same counts)
        obs = built.observed[v].to_numpy(bool)
        imp = built.imputed[v].to_numpy(bool)
        years = built.ref_years[v].to_numpy(float)[obs]
        years, counts = np.unique(years[~np.isnan(years)].astype(int), return_counts=True)
        item = concepts.get(v)
        rows.append(
            {
                "component": built.spec.labels[v],
                "variable": v,
                "observed": int(obs.sum()),
                "imputed": int(imp.sum()),
                "not_scored": int((~obs & ~imp).sum()),
                "share_observed": np.int64(obs.sum()) / n,
                "eligible": bool(obs.sum() / n >= threshold),
                "reference_years": ", ".join(
                    f"{y} ({k})" for y, k in zip(years.tolist(), counts.tolist(), strict=True)
                )
                or "none",
                "concept": item.concept if item else "not classified",
                "home": item.home if item else "",
            }
        )
    return pd.DataFrame(rows)


def input_gaps(
    recipe: Built, focus: str, reference: pd.Index | list[str], label: str = "top 10"
) -> pd.DataFrame:
    """Why a country's HCI ranks where it does: its inputs against a reference group.

    For each input of the HCI recipe: the focus country's value and whether it was imputed,
    the reference group's mean, both in z-scores, and the cost in index points: the weight times
    the z-score gap, divided by the range of the weighted sum (the recipe's min-max rescale), so
    the costs add up to the recipe's gap between the focus country and the group mean.

    Returns
    -------
    DataFrame
        ``input, focus, imputed, reference_mean, focus_z, reference_z, weight, cost`` sorted by
        cost (most negative first: the input that costs most).
    """
    z = recipe.normalised
    w = pd.Series(recipe.spec.weights, index=recipe.spec.variables)
    raw_sum = (z * w).sum(axis=1, min_count=len(w))
    span = raw_sum.max() - raw_sum.min()
    ref = [r for r in reference if r in z.index and r != focus]
    rows = []
    for v in recipe.spec.variables:
        gap = z.loc[focus, v] - z.loc[ref, v].mean()
        rows.append(
            {
                "input": recipe.spec.labels[v],
                "focus": recipe.inputs.loc[focus, v],
                "imputed": bool(recipe.imputed.loc[focus, v]),
                "reference_mean": recipe.inputs.loc[ref, v].mean(),
                "focus_z": z.loc[focus, v],
                "reference_z": z.loc[ref, v].mean(),
                "weight": w[v],
                "cost": w[v] * gap / span if span > 0 else np.nan,
            }
        )
    return pd.DataFrame(rows).sort_values("cost", ignore_index=True)
