"""Build an index from its spec and data, and compare two builds (one sign convention).

`evaluate` is the one computation: it builds a spec for many sets of choices at once (weights,
normalisation, aggregation, imputation, vintage, bootstrap reference), vectorised over the
choices. `build` is `evaluate` for the spec's own choices, with the build log, the imputed
cells and the normalised components kept (COINr's build log); `Built.regen` rebuilds with
fields changed; `compare` says who moves where (positive shift = moves up).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import SpecError
from ..indices import aggregate_array, normalise_array, rank_desc, rank_rows
from ..vocabulary import EGDI_COMPONENTS
from .data import IndexData
from .spec import IndexSpec, method_words

#: An item with at most this many distinct values is binary or ordinal: never geometric.
CATEGORICAL_LEVELS = 3


@dataclass
class Choices:
    """The choices of ``d`` builds of one spec, one row each.

    ``boot`` is the bootstrap replicate of the reference countries (-1: every country once).
    """

    weights: np.ndarray
    normalisation: np.ndarray
    aggregation: np.ndarray
    impute: np.ndarray
    max_age: np.ndarray
    boot: np.ndarray

    @classmethod
    def nominal(cls, spec: IndexSpec, d: int = 1) -> Choices:
        """The spec's own choices, repeated ``d`` times."""
        return cls(
            weights=np.tile(spec.weights, (d, 1)),
            normalisation=np.full(d, spec.normalisation, dtype=object),
            aggregation=np.full(d, spec.aggregation, dtype=object),
            impute=np.full(d, spec.impute, dtype=object),
            max_age=np.full(d, spec.max_age),
            boot=np.full(d, -1),
        )

    def __len__(self) -> int:
        return len(self.boot)


@dataclass
class Prepared:
    """Raw values after imputation and orientation, and which cells were imputed."""

    values: np.ndarray
    imputed: np.ndarray
    observed: np.ndarray


def categorical_items(spec: IndexSpec, data: IndexData) -> list[str]:
    """Binary or ordinal components: integer codes with at most `CATEGORICAL_LEVELS` values."""
    raw = data.matrix(spec.variables, spec.max_age)
    return [
        v
        for v in spec.variables
        if raw[v].nunique() <= CATEGORICAL_LEVELS and (raw[v].dropna() % 1 == 0).all()
    ]


def prepare(
    spec: IndexSpec,
    data: IndexData,
    impute: str,
    max_age: int,
    reference: np.ndarray | None = None,
    *,
    raw: np.ndarray | None = None,
    codes: np.ndarray | None = None,
) -> Prepared:
    """Raw component values under a vintage rule, missing values imputed, lower-is-better flipped.

    Group medians come from the reference countries (all, or a bootstrap draw) with the value
    observed; a country is imputed only if it has at least ``spec.min_coverage`` of the
    components observed. ``raw`` and ``codes`` (the vintage's matrix and the group codes) may be
    passed to skip their lookup.
    """
    if raw is None:
        raw = data.matrix(spec.variables, max_age).to_numpy(float)
    observed = ~np.isnan(raw)
    values = raw.copy()
    imputed = np.zeros_like(observed)
    if impute != "none":
        codes = data.groups(impute) if codes is None else codes
        in_ref = np.ones(len(raw), bool) if reference is None else np.asarray(reference) > 0
        eligible = observed.mean(axis=1) >= spec.min_coverage - 1e-12
        for j in np.flatnonzero((~observed[:, [0]] | ~observed).any(axis=0)):
            need = eligible & ~observed[:, j]
            for g in np.unique(codes[need & (codes >= 0)]):
                pool = raw[(codes == g) & in_ref & observed[:, j], j]
                if len(pool):
                    fill = need & (codes == g)
                    values[fill, j] = np.median(pool)
                    imputed[fill, j] = True
    for j, c in enumerate(spec.components):
        if c.direction == -1:
            col = values[:, j]
            values[:, j] = np.nanmax(col) + np.nanmin(col) - col
    return Prepared(values, imputed, observed)


def evaluate(
    spec: IndexSpec,
    data: IndexData,
    choices: Choices,
    references: np.ndarray | None = None,
) -> np.ndarray:
    """Scores of ``spec`` under each row of ``choices``: an (d builds, n countries) array.

    Parameters
    ----------
    spec : IndexSpec
    data : IndexData
    choices : Choices
    references : array (B, n), optional
        Bootstrap replicates of the reference countries (``choices.boot`` indexes its rows).

    Notes
    -----
    The normalised component matrix depends only on (vintage, imputation, bootstrap,
    normalisation), so it is computed once per combination present; the builds that share it
    are aggregated together in one matrix product (`egovlib.indices.aggregate_array`).
    """
    keys = pd.DataFrame(
        {
            "max_age": choices.max_age,
            "impute": choices.impute,
            "boot": choices.boot,
            "norm": choices.normalisation,
        }
    )
    codes, uniques = pd.factorize(pd.MultiIndex.from_frame(keys))
    prepared: dict[tuple, Prepared] = {}
    raws = {a: data.matrix(spec.variables, int(a)).to_numpy(float) for a in set(keys["max_age"])}
    groups = {g: data.groups(g) for g in set(keys["impute"])}
    stack = []
    for max_age, impute, boot, norm in uniques:
        ref = None if boot < 0 else references[boot]
        key = (max_age, impute, boot)
        if key not in prepared:
            prepared[key] = prepare(
                spec, data, impute, int(max_age), ref, raw=raws[max_age], codes=groups[impute]
            )
        stack.append(normalise_array(prepared[key].values, norm, reference=ref))
    d, n = len(choices), len(data.countries)
    scores = np.full((d, n), np.nan)
    reweight = spec.otherwise == "reweight"
    # one small matrix product per (component matrix, aggregation) instead of a (d, n, k) array
    agg_code, agg_names = pd.factorize(choices.aggregation)
    group = codes * len(agg_names) + agg_code
    order = np.argsort(group, kind="stable")
    bounds = np.flatnonzero(np.diff(group[order])) + 1
    for rows in np.split(order, bounds):
        g = group[rows[0]]
        scores[rows] = aggregate_array(
            stack[g // len(agg_names)],
            choices.weights[rows],
            agg_names[g % len(agg_names)],
            reweight=reweight,
        )
    if spec.rescale == "minmax":
        with np.errstate(all="ignore"):
            lo = np.nanmin(scores, axis=1, keepdims=True)
            hi = np.nanmax(scores, axis=1, keepdims=True)
            scores = np.where(hi > lo, (scores - lo) / (hi - lo), 0.5)
    return scores


def implied_egdi(spec: IndexSpec, data: IndexData, scores: np.ndarray) -> np.ndarray:
    """EGDI with ``spec.replaces`` swapped for ``scores`` (d, n); the EGDI itself for an EGDI
    spec; the published components' mean for a spec that replaces nothing."""
    if spec.family == "egdi":
        return scores
    parts = {c: data.frame[c].to_numpy(float)[None, :] for c in EGDI_COMPONENTS}
    if spec.replaces is not None:
        parts[spec.replaces] = scores
    return (parts["osi"] + parts["hci"] + parts["tii"]) / 3 + 0 * scores


@dataclass
class Built:
    """An index built for one edition (COINr's coin: results plus the log that made them).

    Attributes
    ----------
    spec : IndexSpec
    data : IndexData
    scores : Series
        The index, index iso3 (NaN = unscored).
    ranks : Series (Int64)
        1 = best; ties share the best rank.
    egdi : Series
        The implied EGDI (the EGDI with this index in place of the one it replaces).
    egdi_ranks : Series (Int64)
    inputs : DataFrame
        Component values as used (after imputation; lower-is-better not yet flipped).
    observed, imputed : DataFrame of bool
        Observed raw values; cells filled with a group median.
    normalised : DataFrame
        Components after normalisation (and orientation).
    ref_years : DataFrame
        Reference year of each value (vintage rule).
    log : list of str
        Every step with its arguments.
    """

    spec: IndexSpec
    data: IndexData
    scores: pd.Series
    ranks: pd.Series
    egdi: pd.Series
    egdi_ranks: pd.Series
    inputs: pd.DataFrame
    observed: pd.DataFrame
    imputed: pd.DataFrame
    normalised: pd.DataFrame
    ref_years: pd.DataFrame
    log: list[str] = field(default_factory=list)

    @property
    def year(self) -> int:
        """Survey edition."""
        return self.data.year

    @property
    def evaluable(self) -> bool:
        """False when none of the spec's new components has an observed value."""
        new = self.spec.new_components
        return not new or bool(self.observed[new].any().any())

    @property
    def reweighted(self) -> pd.Series:
        """Countries scored over fewer components than the spec has (weights rescaled)."""
        have = (self.observed | self.imputed).all(axis=1)
        return self.scores.notna() & ~have

    def imputed_names(self) -> pd.Series:
        """Per country, the labels of its imputed components joined ("" if none)."""
        labels = self.spec.labels
        return self.imputed.apply(lambda r: ", ".join(labels[v] for v in r.index[r]), axis=1)

    def regen(self, **changes) -> Built:
        """Rebuild with spec fields changed (`IndexSpec.replace`), same data."""
        return build(self.spec.replace(**changes), self.data)


def build(spec: IndexSpec, data: IndexData) -> Built:
    """Build ``spec`` on ``data`` with the spec's own choices.

    Steps (OECD/JRC Handbook order): the edition's assessed countries; component values under
    the vintage rule; missing values imputed by group median where the spec says so (flagged);
    lower-is-better flipped; normalised; aggregated with the nominal weights (a country missing
    a component is aggregated over what it has, weights rescaled, or left unscored);
    min-max rescaled if asked; ranked.

    Raises
    ------
    SpecError
        A geometric mean over binary or ordinal items, or a spec not meant for the edition.
    """
    if not spec.applies_to(data.year):
        raise SpecError(
            f"index spec {spec.name!r} is for editions {list(spec.editions)}, not {data.year}"
        )
    cats = categorical_items(spec, data) if spec.aggregation == "geometric" else []
    if cats:
        raise SpecError(
            f"index spec {spec.name!r}: a geometric mean over binary or ordinal items {cats} "
            "turns a no into a multiplicative penalty. Fix: use the arithmetic mean."
        )
    idx = data.countries
    prep = prepare(spec, data, spec.impute, spec.max_age)
    z = normalise_array(prep.values, spec.normalisation)
    score = evaluate(spec, data, Choices.nominal(spec))[0]
    egdi = implied_egdi(spec, data, score[None, :])[0]
    cols = spec.variables
    imputed = pd.DataFrame(prep.imputed, index=idx, columns=cols)
    scores = pd.Series(score, index=idx, name=spec.name)
    n_imp = int(imputed.any(axis=1).sum())
    log = [
        *data.log,
        "components: " + ", ".join(f"{c.name} (weight {c.weight:.3g})" for c in spec.components),
        (
            f"imputation: {method_words(spec.impute)} for {n_imp} "
            f"{'country' if n_imp == 1 else 'countries'} ({int(imputed.to_numpy().sum())} "
            f"values), if at least {spec.min_coverage:.0%} of the components are observed"
            if spec.impute != "none"
            else "imputation: none"
        ),
        f"normalisation: {method_words(spec.normalisation)}",
        f"aggregation: {method_words(spec.aggregation)}; a country missing a component is "
        + (
            "scored on the components it has (weights rescaled)"
            if spec.otherwise == "reweight"
            else "not scored"
        ),
        "rescaling: "
        + ("min-max to [0, 1] within the edition" if spec.rescale == "minmax" else "none"),
        f"scored: {int(scores.notna().sum())} of {len(idx)} countries",
    ]
    values = pd.DataFrame(prep.values, index=idx, columns=cols)
    for j, c in enumerate(spec.components):  # report values as measured, not flipped
        if c.direction == -1:
            v = values.iloc[:, j]
            values.iloc[:, j] = v.max() + v.min() - v
    return Built(
        spec=spec,
        data=data,
        scores=scores,
        ranks=rank_desc(scores),
        egdi=pd.Series(egdi, index=idx, name="egdi"),
        egdi_ranks=rank_desc(pd.Series(egdi, index=idx)),
        inputs=values,
        observed=pd.DataFrame(prep.observed, index=idx, columns=cols),
        imputed=imputed,
        normalised=pd.DataFrame(z, index=idx, columns=cols),
        ref_years=data.reference_years(cols, spec.max_age),
        log=log,
    )


def compare(a: Built, b: Built, target: str = "index") -> pd.DataFrame:
    """How countries move from build ``a`` to build ``b`` (COINr's ``compare_coins``).

    Parameters
    ----------
    a, b : Built
        Builds of the same edition (``a`` is the reference, e.g. the published index).
    target : {"index", "egdi"}
        Compare the indices themselves, or the implied EGDI of each.

    Returns
    -------
    DataFrame
        Index iso3: ``country, score_a, score_b, rank_a, rank_b, shift`` and ``imputed`` (the
        labels of ``b``'s imputed components). **shift = rank_a - rank_b: positive means the
        country moves up (a better rank) under b.** Sorted by ``rank_a``.
    """
    if target not in ("index", "egdi"):
        raise SpecError(f"target must be 'index' or 'egdi', not {target!r}")
    if a.year != b.year:
        raise SpecError(f"compare needs one edition; got {a.year} and {b.year}")
    sa, sb = (a.scores, b.scores) if target == "index" else (a.egdi, b.egdi)
    ra, rb = (a.ranks, b.ranks) if target == "index" else (a.egdi_ranks, b.egdi_ranks)
    out = pd.DataFrame(
        {
            "country": a.data.frame["country"],
            "score_a": sa,
            "score_b": sb.reindex(sa.index),
            "rank_a": ra,
            "rank_b": rb.reindex(ra.index),
        }
    )
    out["shift"] = (out["rank_a"] - out["rank_b"]).astype("Int64")
    out["imputed"] = b.imputed_names().reindex(out.index).fillna("")
    return out.sort_values(["rank_a", "country"], kind="stable")


def draw_ranks(scores: np.ndarray) -> np.ndarray:
    """Ranks of every row (build) of a (d, n) score array (`egovlib.indices.rank_rows`)."""
    return rank_rows(scores)


def nominal_scores(builds: Mapping[str, Built], target: str = "index") -> pd.DataFrame:
    """Scores of several builds side by side (columns = spec names)."""
    return pd.DataFrame({n: (b.scores if target == "index" else b.egdi) for n, b in builds.items()})
