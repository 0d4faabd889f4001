"""Monte Carlo over spec fields and data, with first- and total-order sensitivity indices.

`monte_carlo(built, {field: alternatives})` varies the fields of a built index (weights,
normalisation and aggregation, imputation, vintage) and its data (a bootstrap of the reference
countries), in a Saltelli design: two independent samples A and B of every factor, and for each
factor a sample A_B(i) that takes that factor from B and the rest from A (N (D + 2) builds in
all, D factors). Every build is a draw from the joint distribution of the choices, so rank
intervals use all of them; the sensitivity indices compare the paired builds:

* first order ``S_i = mean(y_B (y_ABi - y_A)) / V`` (Saltelli et al. 2010): the share of the
  output variance due to factor i alone;
* total order ``ST_i = mean((y_A - y_ABi)^2) / (2 V)`` (Jansen 1999): the share due to factor i
  with all its interactions; ``ST_i >= S_i`` up to sampling error,

with ``V`` the variance of y over A and B (y standardised first, as in SALib), and y **one
defined metric**: the mean absolute rank shift of all countries from their nominal ranks (COINr's
``get_sensitivity``). The estimators
are the ones in SALib (`SALib.analyze.sobol`); `tests/test_uncertainty.py` checks them against it.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import SpecError
from ..indices import rank_rows
from .build import Built, Choices, categorical_items, evaluate, implied_egdi
from .spec import IMPUTATIONS, method_words

#: Fields the Monte Carlo can vary, and what each alternative is.
FIELDS = {
    "weights": "relative spread: each weight times 1 + U(-spread, spread), then renormalised",
    "normalisation": "normalisations (list)",
    "aggregation": "aggregations (list; geometric never with z-scores or binary items)",
    "impute": "imputation groups (list; 'none' = no imputation)",
    "max_age": "maximum ages of the vintage rule in years (list)",
    "bootstrap": "number of bootstrap replicates of the reference countries (int)",
}

#: Factor names in reports.
FACTOR_LABELS = {
    "weights": "weights",
    "method": "normalisation and aggregation",
    "impute": "imputation",
    "max_age": "data vintage",
    "bootstrap": "reference countries (bootstrap)",
}


@dataclass
class MonteCarlo:
    """Result of `monte_carlo`.

    Attributes
    ----------
    built : Built
        The nominal build.
    choices : Choices
        The choices of every build (rows of the Saltelli design, A then B then each A_B(i)).
    factors : list of str
        The factors varied, in design order.
    n_base : int
        N, the size of A and B.
    scores : ndarray (builds, countries)
        The index in every build.
    settings : dict
        The arguments of the run.

    The ranks of the index and of the implied EGDI in every build (`ranks`, ``index_ranks``,
    ``egdi_ranks``) are computed when first asked for and kept.
    """

    built: Built
    choices: Choices
    factors: list[str]
    n_base: int
    scores: np.ndarray
    settings: dict = field(default_factory=dict)
    _ranks: dict = field(default_factory=dict, repr=False)

    @property
    def countries(self) -> pd.Index:
        """ISO3 codes, the column order of the rank arrays."""
        return self.built.data.countries

    def ranks(self, target: str = "egdi") -> np.ndarray:
        """Rank array (builds, countries) of ``"egdi"`` (the implied EGDI) or ``"index"``."""
        if target not in ("egdi", "index"):
            raise SpecError(f"target must be 'egdi' or 'index', not {target!r}")
        if target not in self._ranks:
            s = self.scores
            if target == "egdi":
                s = implied_egdi(self.built.spec, self.built.data, s)
            self._ranks[target] = rank_rows(s)
        return self._ranks[target]

    @property
    def index_ranks(self) -> np.ndarray:
        """Ranks of the index in every build."""
        return self.ranks("index")

    @property
    def egdi_ranks(self) -> np.ndarray:
        """Ranks of the implied EGDI in every build."""
        return self.ranks("egdi")

    def nominal(self, target: str = "egdi") -> np.ndarray:
        """Nominal ranks of the target (float, NaN = unranked)."""
        r = self.built.egdi_ranks if target == "egdi" else self.built.ranks
        return r.astype("float").to_numpy()


def _method_pairs(built: Built, norms: Sequence[str], aggs: Sequence[str]) -> list[tuple]:
    """Valid (normalisation, aggregation) pairs.

    A geometric mean needs components on [0, 1] (not z-scores, not values as published) and no
    binary or ordinal items.
    """
    cats = categorical_items(built.spec, built.data)
    pairs = []
    for a in aggs:
        for m in norms:
            if a == "geometric" and (m in ("zscore", "none", "share") or cats):
                continue
            pairs.append((m, a))
    if not pairs:
        raise SpecError(
            f"no valid normalisation/aggregation among {list(norms)} x {list(aggs)}. Fix: add "
            "the arithmetic mean or a normalisation onto [0, 1]."
        )
    return pairs


def _weights_spread(alternatives: Mapping[str, Any]) -> float | None:
    """The relative spread of the weights (``{"weights": 0.25}``), None if they do not vary."""
    if not alternatives.get("weights"):
        return None
    spread = float(alternatives["weights"])
    if not 0 < spread < 1:
        raise SpecError(f"weights spread must be in (0, 1), not {spread}")
    return spread


def _listed_options(built: Built, alternatives: Mapping[str, Any]) -> dict[str, list]:
    """The alternatives of the fields given as lists (imputation, maximum age), checked."""
    options: dict[str, list] = {}
    for f, valid in (("impute", IMPUTATIONS), ("max_age", None)):
        if f not in alternatives:
            continue
        opts = list(dict.fromkeys(alternatives[f]))
        if valid is not None and (bad := [o for o in opts if o not in valid]):
            raise SpecError(f"{f} alternatives {bad} unknown; choose among {valid}")
        if f == "max_age" and (bad := [o for o in opts if o not in built.data.by_age]):
            raise SpecError(
                f"max_age alternatives {bad} were not loaded. Fix: "
                f"index_data(..., max_ages=[{built.spec.max_age}, {', '.join(map(str, bad))}])"
            )
        options[f] = opts
    return options


def _factors(
    built: Built, alternatives: Mapping[str, Any]
) -> tuple[list[str], dict[str, int], dict[str, list]]:
    """The factors that vary, their number of design columns, and every field's options."""
    spec = built.spec
    factors: list[str] = []
    width: dict[str, int] = {}
    options: dict[str, list] = {}
    if _weights_spread(alternatives) is not None:
        factors.append("weights")
        width["weights"] = len(spec.components)
    if "normalisation" in alternatives or "aggregation" in alternatives:
        norms = list(alternatives.get("normalisation") or [spec.normalisation])
        aggs = list(alternatives.get("aggregation") or [spec.aggregation])
        options["method"] = _method_pairs(built, norms, aggs)
        if len(options["method"]) > 1:
            factors.append("method")
    for f, opts in _listed_options(built, alternatives).items():
        options[f] = opts
        if len(opts) > 1:
            factors.append(f)
    if alternatives.get("bootstrap"):
        options["bootstrap"] = list(range(int(alternatives["bootstrap"])))
        factors.append("bootstrap")
    for f in factors:
        width.setdefault(f, 1)
    return factors, width, options


def _saltelli(
    factors: list[str], width: dict[str, int], n_base: int, rng: np.random.Generator
) -> np.ndarray:
    """Saltelli's design of uniform numbers: A, B, then A with each factor's columns from B."""
    cols = sum(width.values())
    a = rng.random((n_base, cols))
    b = rng.random((n_base, cols))
    blocks = [a, b] if factors else [a]
    start = 0
    for f in factors:
        ab = a.copy()
        ab[:, start : start + width[f]] = b[:, start : start + width[f]]
        blocks.append(ab)
        start += width[f]
    return np.vstack(blocks)


def _set_factor(
    ch: Choices, f: str, uf: np.ndarray, options: dict[str, list], spec, spread: float | None
) -> None:
    """Set factor ``f`` of every draw from its columns ``uf`` of the design."""
    if f == "weights":
        assert spread is not None  # "weights" is a factor only with a spread
        w = spec.weights * (1 + spread * (2 * uf - 1))
        ch.weights = w / w.sum(axis=1, keepdims=True)
        return
    pick = (uf[:, 0] * len(options[f])).astype(int).clip(0, len(options[f]) - 1)
    if f == "method":
        pairs = np.array(options["method"], dtype=object)
        ch.normalisation, ch.aggregation = pairs[pick, 0], pairs[pick, 1]
    elif f == "bootstrap":
        ch.boot = pick
    else:
        setattr(ch, f, np.asarray(options[f], dtype=object)[pick])


def _set_unvaried(ch: Choices, factors: list[str], options: dict[str, list], rows: int) -> None:
    """A field given a single alternative takes it in every draw (it is not a factor)."""
    if "method" in options and "method" not in factors:
        ch.normalisation[:] = options["method"][0][0]
        ch.aggregation[:] = options["method"][0][1]
    for f in ("impute", "max_age"):
        if f in options and f not in factors:
            setattr(ch, f, np.full(rows, options[f][0], dtype=object))


def design_choices(
    built: Built,
    alternatives: Mapping[str, Any],
    n_draws: int,
    rng: np.random.Generator,
) -> tuple[Choices, list[str], int, dict]:
    """Map a Saltelli design of uniform numbers onto the spec's choices.

    Normalisation and aggregation form one factor ("method") of their valid pairs, because a
    geometric mean is not defined for every normalisation and Sobol factors must be
    independent. ``alternatives`` is as in `monte_carlo`.
    """
    spec = built.spec
    unknown = sorted(set(alternatives) - set(FIELDS))
    if unknown:
        raise SpecError(f"cannot vary {unknown}; fields that can vary: {', '.join(FIELDS)}")
    spread = _weights_spread(alternatives)
    factors, width, options = _factors(built, alternatives)
    d = len(factors)
    n_base = max(n_draws // (d + 2), 2) if d else n_draws
    u = _saltelli(factors, width, n_base, rng)
    rows = len(u)
    ch = Choices.nominal(spec, rows)
    start = 0
    for f in factors:
        _set_factor(ch, f, u[:, start : start + width[f]], options, spec, spread)
        start += width[f]
    _set_unvaried(ch, factors, options, rows)
    ch.max_age = ch.max_age.astype(int)
    return ch, factors, n_base, options


def monte_carlo(
    built: Built,
    alternatives: Mapping[str, Any],
    n_draws: int = 10_000,
    seed: int = 12345,
) -> MonteCarlo:
    """Rebuild ``built`` ``n_draws`` times with its fields and data varied.

    Parameters
    ----------
    built : Built
        The nominal build (`egovlib.engine.build`).
    alternatives : mapping
        ``{field: alternatives}`` (see `FIELDS`), e.g. ``{"weights": 0.25, "normalisation":
        ["minmax", "rank"], "aggregation": ["arithmetic", "geometric"], "impute": ["none",
        "income_group"], "max_age": [5, 3, 10], "bootstrap": 30}``.
    n_draws : int
        Builds in all (rounded down to N (D + 2)).
    seed : int
        Seed of the design and of the bootstrap (same seed, same numbers).

    Returns
    -------
    MonteCarlo
    """
    if n_draws < 1:
        raise SpecError(f"n_draws must be >= 1, not {n_draws}")
    rng = np.random.default_rng(seed)
    choices, factors, n_base, options = design_choices(built, alternatives, n_draws, rng)
    refs = None
    if "bootstrap" in options:
        n = len(built.data.countries)
        refs = rng.multinomial(n, np.full(n, 1 / n), size=len(options["bootstrap"]))
    scores = evaluate(built.spec, built.data, choices, refs)
    settings = {
        "n_draws": len(choices),
        "n_base": n_base,
        "seed": seed,
        "alternatives": dict(alternatives),
        "options": options,
    }
    return MonteCarlo(
        built=built,
        choices=choices,
        factors=factors,
        n_base=n_base,
        scores=scores,
        settings=settings,
    )


# --------------------------------------------------------------------------------------------
# Summaries
# --------------------------------------------------------------------------------------------


def percentiles(a: np.ndarray, q: Sequence[float], *, whole: bool = False) -> np.ndarray:
    """`numpy.nanpercentile` of each column of ``a`` (builds, countries), faster.

    The same numbers: columns without a missing value (nearly all) go through
    `numpy.percentile` on contiguous rows; only the others pay for the NaN-aware version.
    ``whole=True`` says every value is a whole number (ranks, rank changes): the percentiles
    are then read off per-column counts of each value (`whole_percentiles`), without sorting.
    """
    a = np.asarray(a, dtype=float)
    if whole:
        return whole_percentiles(a, q)
    out = np.full((len(q), a.shape[1]), np.nan)
    gaps = np.isnan(a).any(axis=0)
    if (~gaps).any():
        out[:, ~gaps] = np.percentile(np.ascontiguousarray(a[:, ~gaps].T), q, axis=1)
    if gaps.any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a country never ranked: NaN
            out[:, gaps] = np.nanpercentile(a[:, gaps], q, axis=0)
    return out


#: Above this many distinct whole values per column, counting costs more than sorting.
_MAX_WHOLE_SPAN = 100_000


def whole_percentiles(a: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """`numpy.nanpercentile` (linear method) of each column of whole numbers, by counting.

    Bit for bit the numbers numpy gives: the order statistics it interpolates between are read
    off the cumulative count of each value in the column (exact for whole numbers), and the
    interpolation repeats numpy's own arithmetic (``numpy.lib._function_base_impl._lerp``:
    ``a + (b - a) * g``, or ``b - (b - a) * (1 - g)`` when ``g >= 0.5``). For 10,000 builds of
    193 ranks this replaces three partial sorts of two million values by one count.
    """
    a = np.asarray(a, dtype=float)
    out = np.full((len(q), a.shape[1]), np.nan)
    if a.size == 0 or np.isnan(a).all():
        return out
    lo, hi = np.nanmin(a), np.nanmax(a)
    span = int(hi - lo) + 2  # one more bin per column for the missing values
    shifted = a - lo
    missing = np.isnan(a)
    with np.errstate(invalid="ignore"):  # NaN casts to an arbitrary integer: replaced below
        code = shifted.astype(np.int64)
    if span > _MAX_WHOLE_SPAN or np.any((code != shifted) & ~missing):
        return percentiles(a, q)  # not whole numbers after all: the sorting path
    code[missing] = span - 1
    n_cols = a.shape[1]
    code += np.arange(n_cols) * span  # one bin range per column
    counts = np.bincount(code.ravel(), minlength=n_cols * span).reshape(n_cols, span)
    cum = np.cumsum(counts[:, :-1], axis=1)  # cum[j, v]: values of column j at most lo + v
    m = cum[:, -1]  # values per column

    def order_stat(k: np.ndarray) -> np.ndarray:
        """The k-th smallest value (0-based) of each column."""
        return lo + np.argmax(cum > k[:, None], axis=1).astype(float)

    has = m > 0
    for i, frac in enumerate(np.true_divide(np.asarray(q, dtype=float), 100)):
        virtual = (m - 1) * frac  # numpy's linear method: (n - 1) * q
        prev = np.floor(virtual)
        last = virtual >= m - 1  # numpy takes the last value (both neighbours)
        prev_i = np.where(last, m - 1, prev).astype(np.int64)
        next_i = np.where(last, m - 1, prev + 1).astype(np.int64)
        gamma = virtual - np.where(last, -1, prev)  # as numpy: its index there is -1
        below, above = order_stat(np.where(has, prev_i, 0)), order_stat(np.where(has, next_i, 0))
        diff = above - below
        value = below + diff * gamma
        upper = gamma >= 0.5
        value[upper] = (above - diff * (1 - gamma))[upper]
        out[i] = np.where(has, value, np.nan)
    return out


def rank_intervals(
    mc: MonteCarlo, target: str = "egdi", lower: float = 5, upper: float = 95
) -> pd.DataFrame:
    """Per country: nominal rank, median rank and the ``lower``-``upper`` percentile interval.

    Returns
    -------
    DataFrame
        Index iso3: ``country, nominal, median, lower, upper, width``, sorted by nominal rank.
    """
    r = mc.ranks(target)
    q = percentiles(r, [lower, 50, upper], whole=True)
    out = pd.DataFrame(
        {
            "country": mc.built.data.frame["country"],
            "nominal": mc.nominal(target),
            "median": q[1],
            "lower": q[0],
            "upper": q[2],
        },
        index=mc.countries,
    )
    out["width"] = out["upper"] - out["lower"]
    return out.sort_values(["nominal", "median"], kind="stable")


def shift_interval(
    mc: MonteCarlo, baseline: pd.Series, target: str = "egdi", lower=5, upper=95
) -> pd.DataFrame:
    """Rank change from ``baseline`` ranks in every build: nominal, median and interval.

    Positive = moves up. Returns index iso3: ``baseline, nominal, median, lower, upper`` and
    ``finding`` (the interval excludes 0: the shift is larger than its uncertainty).
    """
    base = baseline.reindex(mc.countries).astype("float").to_numpy()
    shifts = base[None, :] - mc.ranks(target)
    q = percentiles(shifts, [lower, 50, upper], whole=True)
    out = pd.DataFrame(
        {
            "baseline": base,
            "nominal": base - mc.nominal(target),
            "median": q[1],
            "lower": q[0],
            "upper": q[2],
        },
        index=mc.countries,
    )
    out["finding"] = (out["lower"] > 0) | (out["upper"] < 0)
    return out


def output_metric(mc: MonteCarlo, target: str = "egdi") -> np.ndarray:
    """The one metric of the sensitivity analysis, per build.

    The mean absolute rank shift of all ranked countries from their nominal ranks.
    """
    nominal = mc.nominal(target)
    ok = ~np.isnan(nominal)
    r = mc.ranks(target)
    dev = np.abs(r - nominal) if ok.all() else np.abs(r[:, ok] - nominal[ok])
    return np.nanmean(dev, axis=1) if np.isnan(dev).any() else dev.mean(axis=1)


def sobol_indices(y: np.ndarray, n_base: int, n_factors: int) -> pd.DataFrame:
    """First- and total-order indices from outputs of a Saltelli design (A, B, A_B(1..D)).

    Parameters
    ----------
    y : array (N (D + 2),)
        Outputs in design order: N rows of A, N of B, then N of each A_B(i).
    n_base, n_factors : int
        N and D.

    Returns
    -------
    DataFrame
        ``first_order, total_order`` per factor (rows in design order).
    """
    y = np.asarray(y, dtype=float)
    if len(y) != n_base * (n_factors + 2):
        raise SpecError(
            f"y has {len(y)} values; a design with N={n_base}, D={n_factors} has "
            f"{n_base * (n_factors + 2)}"
        )
    if y.std() > 0:  # standardised over all builds, as SALib does: same indices, less noise
        y = (y - y.mean()) / y.std()
    ya, yb = y[:n_base], y[n_base : 2 * n_base]
    yab = y[2 * n_base :].reshape(n_factors, n_base)
    v = np.var(np.concatenate([ya, yb]))
    if v == 0:
        return pd.DataFrame({"first_order": np.zeros(n_factors), "total_order": 0.0})
    s1 = np.mean(yb * (yab - ya), axis=1) / v
    st = 0.5 * np.mean((ya - yab) ** 2, axis=1) / v
    return pd.DataFrame({"first_order": s1, "total_order": st})


def sensitivity(mc: MonteCarlo, target: str = "egdi") -> pd.DataFrame:
    """First- and total-order indices of each factor on the mean absolute rank shift.

    Returns
    -------
    DataFrame
        ``factor`` (words), ``first_order``, ``total_order``, ``interactions`` (total - first),
        sorted by total order; empty if nothing varies.
    """
    if not mc.factors:
        return pd.DataFrame(columns=["factor", "first_order", "total_order", "interactions"])
    s = sobol_indices(output_metric(mc, target), mc.n_base, len(mc.factors))
    s.insert(0, "factor", [FACTOR_LABELS[f] for f in mc.factors])
    s["interactions"] = (s["total_order"] - s["first_order"]).clip(lower=0)
    return s.sort_values("total_order", ascending=False, ignore_index=True)


def design_text(mc: MonteCarlo) -> str:
    """The Monte Carlo design in words (draws, factors and their alternatives)."""
    opts, alt = mc.settings["options"], mc.settings["alternatives"]
    parts = []
    if "weights" in mc.factors:
        parts.append(f"each weight varied by up to ±{float(alt['weights']):.0%} (renormalised)")
    if "method" in opts and len(opts["method"]) > 1:
        parts.append(
            "normalisation and aggregation among "
            + "; ".join(f"{method_words(n)} with {method_words(a)}" for n, a in opts["method"])
        )
    if "impute" in opts and len(opts["impute"]) > 1:
        parts.append(
            "imputation by "
            + ", ".join("none" if g == "none" else method_words(g) for g in opts["impute"])
        )
    if "max_age" in opts and len(opts["max_age"]) > 1:
        parts.append("data no older than " + ", ".join(f"{a}" for a in opts["max_age"]) + " years")
    if "bootstrap" in opts:
        parts.append(
            f"{len(opts['bootstrap'])} bootstrap resamples of the countries that set the "
            "normalisation and the group medians"
        )
    return (
        f"{mc.settings['n_draws']:,} builds of the index, each with its own random draw of the "
        f"choices (seed {mc.settings['seed']}): " + "; ".join(parts) + "."
    )
