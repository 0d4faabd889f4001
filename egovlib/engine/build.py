"""Build an index from its spec and data, and compare two builds (one sign convention).

`evaluate` is the one computation: it builds a spec for many sets of choices at once (weights,
normalisation, aggregation, imputation, vintage, bootstrap reference), vectorised over the
choices. `build` is `evaluate` for the spec's own choices, with the build log, the imputed
cells and the normalised components kept (COINr's build log); `Built.regen` rebuilds with
fields changed; `compare` says who moves where (positive shift = moves up).
"""

from __future__ import annotations

import functools
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
    """Raw values (``matrix``) after imputation and orientation, and which cells were imputed."""

    matrix: np.ndarray
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
    components observed. ``reference`` may be one replicate (n,) or several (B, n): ``matrix``
    and ``imputed`` are then (B, n, k), one per replicate, computed together. ``raw`` and
    ``codes`` (the vintage's matrix and the group codes) may be passed to skip their lookup.
    """
    if raw is None:
        raw = data.matrix(spec.variables, max_age).to_numpy(float)
    observed = ~np.isnan(raw)
    many = reference is not None and np.ndim(reference) == 2
    in_ref = np.ones((1, len(raw)), bool) if reference is None else np.atleast_2d(reference) > 0
    values = np.repeat(raw[None], len(in_ref), axis=0)
    imputed = np.zeros(values.shape, bool)
    if impute != "none":
        codes = data.groups(impute) if codes is None else codes
        eligible = observed.mean(axis=1) >= spec.min_coverage - 1e-12
        for j in np.flatnonzero((~observed).any(axis=0)):
            need = eligible & ~observed[:, j]
            for g in np.unique(codes[need & (codes >= 0)]):
                # the group's observed values, sorted; per replicate, the median of those in
                # its reference: the mean of the middle one or two (as numpy.median)
                pool = np.flatnonzero((codes == g) & observed[:, j])
                pool = pool[np.argsort(raw[pool, j], kind="stable")]
                v = raw[pool, j]
                cum = np.cumsum(in_ref[:, pool], axis=1)
                count = cum[:, -1] if len(pool) else np.zeros(len(in_ref), int)
                has = np.flatnonzero(count > 0)
                if not len(has):
                    continue
                lo = np.argmax(cum[has] >= ((count[has] - 1) // 2 + 1)[:, None], axis=1)
                hi = np.argmax(cum[has] >= (count[has] // 2 + 1)[:, None], axis=1)
                fill = np.flatnonzero(need & (codes == g))
                values[np.ix_(has, fill, [j])] = ((v[lo] + v[hi]) / 2)[:, None, None]
                imputed[np.ix_(has, fill, [j])] = True
    for k, c in enumerate(spec.components):
        if c.direction == -1:
            col = values[:, :, k]
            values[:, :, k] = (
                np.nanmax(col, axis=1, keepdims=True) + np.nanmin(col, axis=1, keepdims=True) - col
            )
    if not many:
        values, imputed = values[0], imputed[0]
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
    if references is None:
        if (np.asarray(choices.boot) >= 0).any():
            raise ValueError(
                "choices draw bootstrap replicates (boot >= 0) but no `references` were given. "
                "Fix: pass the replicates of the reference countries (see `monte_carlo`)."
            )
        references = np.ones((0, len(data.countries)))
    # Each build's (vintage, imputation, bootstrap, normalisation) as one integer code; the
    # combinations present, as plain tuples (indexing a pandas MultiIndex per row is slow).
    parts = [choices.max_age, choices.impute, choices.boot, choices.normalisation]
    part_codes, levels = zip(
        *(pd.factorize(np.asarray(c, dtype=object)) for c in parts), strict=True
    )
    dims = [len(lev) for lev in levels]
    present, codes = np.unique(np.ravel_multi_index(part_codes, dims), return_inverse=True)
    uniques = [
        tuple(lev[i] for lev, i in zip(levels, idx, strict=True))
        for idx in zip(*np.unravel_index(present, dims), strict=True)
    ]
    raws = {a: data.matrix(spec.variables, int(a)).to_numpy(float) for a in levels[0]}
    groups = {g: data.groups(g) for g in levels[1]}

    # Imputed values depend on the bootstrap only through the group medians: without
    # imputation every bootstrap replicate shares one prepared matrix; with it, the replicates
    # of one (vintage, imputation) are prepared together.
    def prepared_key(u: tuple) -> tuple:
        max_age, impute, boot, _ = u
        return max_age, impute, boot if impute != "none" else -1

    ones = np.ones(len(data.countries))
    matrices: dict[tuple, np.ndarray] = {}
    for max_age, impute in dict.fromkeys(u[:2] for u in uniques):
        boots = sorted({prepared_key(u)[2] for u in uniques if u[:2] == (max_age, impute)})
        refs = np.stack([ones if b < 0 else references[b] for b in boots])
        prep = prepare(
            spec, data, impute, int(max_age), refs, raw=raws[max_age], codes=groups[impute]
        )
        for b, m in zip(boots, prep.matrix, strict=True):
            matrices[(max_age, impute, b)] = m
    # One normalisation call per method, over every (vintage, imputation, bootstrap) at once.
    stack: list[np.ndarray | None] = [None] * len(uniques)
    for norm in dict.fromkeys(u[3] for u in uniques):
        which = [i for i, u in enumerate(uniques) if u[3] == norm]
        x = np.stack([matrices[prepared_key(uniques[i])] for i in which])
        ref = np.stack([ones if uniques[i][2] < 0 else references[uniques[i][2]] for i in which])
        for i, z in zip(which, normalise_array(x, norm, ref), strict=True):
            stack[i] = z
    d, n = len(choices), len(data.countries)
    scores = np.full((d, n), np.nan)
    reweight = spec.otherwise == "reweight"
    # per aggregation, each component matrix times all the weight rows that use it
    for agg in dict.fromkeys(choices.aggregation):
        rows = np.flatnonzero(choices.aggregation == agg)
        used, inverse = np.unique(codes[rows], return_inverse=True)
        scores[rows] = aggregate_array(
            np.stack([stack[u] for u in used]),
            choices.weights[rows],
            agg,
            reweight=reweight,
            which=inverse,
        )
    if spec.rescale == "minmax":
        with np.errstate(all="ignore"):
            lo = np.nanmin(scores, axis=1, keepdims=True)
            hi = np.nanmax(scores, axis=1, keepdims=True)
            scores = np.where(hi > lo, (scores - lo) / (hi - lo), 0.5)
    return scores


def implied_egdi(spec: IndexSpec, data: IndexData, scores: np.ndarray) -> np.ndarray:
    """EGDI with ``spec.replaces`` swapped for ``scores`` (d, n).

    The EGDI itself for an EGDI spec; the published components' mean for a spec that replaces
    nothing.
    """
    if spec.family == "egdi":
        return scores
    parts = {c: data.frame[c].to_numpy(float)[None, :] for c in EGDI_COMPONENTS}
    if spec.replaces is None:  # the published mean, unscored where the index is unscored
        return (parts["osi"] + parts["hci"] + parts["tii"]) / 3 + 0 * scores
    parts[spec.replaces] = scores
    # (OSI + HCI + TII) / 3 in that order (so ranks tie exactly as `build`'s), in one buffer
    out = np.add(parts["osi"], parts["hci"])
    out += parts["tii"]
    out /= 3
    return out


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

    @functools.cached_property
    def evaluable(self) -> bool:
        """False when none of the spec's new components has an observed value.

        Kept once computed (reports ask it dozens of times); a build is not edited in place.
        """
        new = self.spec.new_components
        if not new:
            return True
        cols = self.observed.columns.get_indexer(new)
        if (cols < 0).any():  # as the DataFrame lookup did: a missing column is an error
            raise KeyError(f"{[v for v, c in zip(new, cols, strict=True) if c < 0]} not in index")
        return bool(self.observed.to_numpy(bool)[:, cols].any())

    @property
    def reweighted(self) -> pd.Series:
        """Countries scored over fewer components than the spec has (weights rescaled)."""
        have = (self.observed | self.imputed).all(axis=1)
        return self.scores.notna() & ~have

    def imputed_names(self) -> pd.Series:
        """Per country, the labels of its imputed components joined ("" if none).

        Computed once per build (every `compare` asks for it); each call returns a copy, so a
        caller that edits it does not change the next call's.
        """
        return self._imputed_names.copy()

    @functools.cached_property
    def _imputed_names(self) -> pd.Series:
        labels = [self.spec.labels[v] for v in self.imputed.columns]
        imp = self.imputed.to_numpy(bool)
        # most countries have nothing imputed: join labels only for the rows that do
        names = np.full(len(imp), "", dtype=object)
        for i in np.flatnonzero(imp.any(axis=1)):
            names[i] = ", ".join(lab for lab, m in zip(labels, imp[i], strict=True) if m)
        return pd.Series(names, index=self.imputed.index, dtype=object)

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
    z = normalise_array(prep.matrix, spec.normalisation)
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
        f"aggregation: {method_words(spec.aggregation)}; a country still missing a component "
        + ("after imputation " if spec.impute != "none" else "")
        + "is "
        + (
            "scored on the components it has (weights rescaled)"
            if spec.otherwise == "reweight"
            else "not scored"
        ),
        "rescaling: "
        + ("min-max to [0, 1] within the edition" if spec.rescale == "minmax" else "none"),
        f"scored: {int(scores.notna().sum())} of {len(idx)} countries",
    ]
    values = pd.DataFrame(prep.matrix, index=idx, columns=cols)
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
    idx = sa.index
    country = a.data.frame["country"].reindex(idx)
    rank_a = ra.reindex(idx).array
    rank_b = rb.reindex(idx).array
    # The order of ``sort_values(["rank_a", "country"], kind="stable")`` (missing ranks last,
    # then names A-Z, then the given order) by one numpy lexsort: pandas' multi-key sort of a
    # string column took most of this function, which reports call hundreds of times.
    names = country.to_numpy(dtype=object, na_value=None)
    known = np.array([n is not None for n in names], dtype=bool)
    name_code = np.full(len(names), len(names), dtype=np.int64)
    if known.any():
        _, name_code[known] = np.unique(names[known].astype(str), return_inverse=True)
    rank_key = rank_a.to_numpy(dtype=float, na_value=np.inf)
    order = np.lexsort((name_code, rank_key))
    out = pd.DataFrame(
        {
            "country": country.array.take(order),
            "score_a": sa.to_numpy(float)[order],
            "score_b": sb.reindex(idx).to_numpy(float)[order],
            "rank_a": rank_a.take(order),
            "rank_b": rank_b.take(order),
            "shift": (rank_a - rank_b).astype("Int64").take(order),
        },
        index=idx.take(order),
    )
    # assigned as a Series, so it stays an object column (a dict entry would infer strings)
    out["imputed"] = b.imputed_names().reindex(idx).fillna("").take(order)
    return out


def draw_ranks(scores: np.ndarray) -> np.ndarray:
    """Ranks of every row (build) of a (d, n) score array (`egovlib.indices.rank_rows`)."""
    return rank_rows(scores)


def nominal_scores(builds: Mapping[str, Built], target: str = "index") -> pd.DataFrame:
    """Scores of several builds side by side (columns = spec names)."""
    return pd.DataFrame({n: (b.scores if target == "index" else b.egdi) for n, b in builds.items()})
