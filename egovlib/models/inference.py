"""Contrasts between code levels, multiplicity-adjusted p-values and equivalence bounds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import SpecError
from .estimation import Fit, critical_value
from .specs import Hypothesis, codes, primary_family


def adjust_pvalues(p: list[float] | np.ndarray | pd.Series, method: str = "holm") -> np.ndarray:
    """Multiplicity-adjusted p-values for one family of tests.

    Parameters
    ----------
    p : array of float
        Unadjusted p-values (NaN entries are left out of the family and stay NaN).
    method : str
        ``"holm"``: Holm's step-down adjustment (controls the family-wise error rate: the
        chance of any false positive in the family). ``"bh"``: Benjamini-Hochberg step-up
        adjustment (controls the false discovery rate: the expected share of false positives
        among the results called significant).

    Returns
    -------
    ndarray
        Adjusted p-values, in the input order, capped at 1.
    """
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = np.isfinite(p)
    q = p[ok]
    m = len(q)
    if m == 0:
        return out
    order = np.argsort(q, kind="stable")
    ranked = q[order]
    if method == "holm":
        adj = np.maximum.accumulate((m - np.arange(m)) * ranked)
    elif method == "bh":
        adj = np.minimum.accumulate(m / np.arange(m, 0, -1) * ranked[::-1])[::-1]
    else:
        raise SpecError(f"unknown adjustment {method!r}. Fix: use 'holm' or 'bh'")
    res = np.empty(m)
    res[order] = np.minimum(adj, 1.0)
    out[ok] = res
    return out


def equivalence_bound(
    estimate: float, se: float, *, alpha: float = 0.05, df: float | None = None
) -> float:
    """The smallest effect size the data rule out, in either direction.

    Two one-sided tests (TOST) at level ``alpha`` reject every effect whose absolute size is
    at least the returned bound, i.e. the larger absolute end of the ``1 - 2 alpha`` (90%)
    confidence interval: ``max(|estimate - q se|, |estimate + q se|)`` with ``q`` the
    ``1 - alpha`` quantile of the t (``df``) or normal distribution.
    """
    q = stats.t.ppf(1 - alpha, df) if df else stats.norm.ppf(1 - alpha)
    return float(max(abs(estimate - q * se), abs(estimate + q * se)))


@dataclass(frozen=True)
class Contrast:
    """One contrast between two levels of a coded term in one fit."""

    variable: str
    high: float
    low: float
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p: float
    df: float | None


def contrast(fit: Fit, variable: str, high: float, low: float) -> Contrast | None:
    """The difference in the outcome between two levels of a coded term (``high - low``).

    With its standard error, 95% interval and p-value; None if a level is absent from the sample.

    A level against the reference level is one coefficient; two non-reference levels are the
    difference of their coefficients (variance from the fit's covariance matrix).
    """
    arrays = fit.estimates
    if not fit.ok or arrays is None or variable not in fit.dummies:
        return None
    coding = codes()[variable]
    col = {lv: c for c, lv in fit.dummies[variable].items()}

    def weight(level: float) -> dict[str, float] | None:
        if level == coding.reference:
            return {}
        return {col[level]: 1.0} if level in col else None

    hi, lo = weight(high), weight(low)
    if hi is None or lo is None:
        return None
    # the fit's arrays (`Fit.estimates`), not its tables: this runs thousands of times in the
    # specification curve, which never builds the tables
    names = arrays.terms
    pos = {c: i for i, c in enumerate(names)}
    w = np.zeros(len(names))
    for c, v in hi.items():
        w[pos[c]] += v
    for c, v in lo.items():
        w[pos[c]] -= v
    est = float(w @ arrays.estimate)
    se = float(np.sqrt((w @ arrays.cov) @ w))
    df = fit.stats.get("df_resid")
    q = critical_value(df)
    z = est / se if se > 0 else np.nan
    p = 2 * (stats.t.sf(abs(z), df) if df else stats.norm.sf(abs(z)))
    return Contrast(variable, high, low, est, se, est - q * se, est + q * se, float(p), df)


def primary_table(fit: Fit, hyps: tuple[Hypothesis, ...] | list[Hypothesis]) -> pd.DataFrame:
    """The primary family in one fit.

    One row per hypothesis with its contrast, the unadjusted and adjusted p-values
    (`primary_family`: Holm or Benjamini-Hochberg), whether it passes at the family's alpha, and the
    equivalence bound.

    Returns
    -------
    DataFrame
        ``id, name, variable, contrast, estimate, se, ci_low, ci_high, p, p_adj, adjust,
        significant, bound, n``.
    """
    method, alpha = primary_family()
    rows = []
    for h in hyps:
        c = contrast(fit, h.variable, *h.contrast)
        rows.append(
            {
                "id": h.id,
                "name": h.name,
                "variable": h.variable,
                "contrast": h.contrast_words,
                "estimate": c.estimate if c else np.nan,
                "se": c.se if c else np.nan,
                "ci_low": c.ci_low if c else np.nan,
                "ci_high": c.ci_high if c else np.nan,
                "p": c.p if c else np.nan,
                "bound": equivalence_bound(c.estimate, c.se, alpha=alpha, df=c.df) if c else np.nan,
                "n": fit.n,
            }
        )
    out = pd.DataFrame(rows)
    out["p_adj"] = adjust_pvalues(out["p"], method)
    out["adjust"] = method
    out["significant"] = out["p_adj"] < alpha
    return out
