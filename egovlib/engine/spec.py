"""One index specification type: components, normalisation, weights, aggregation, missing data.

Every index the project builds is an `IndexSpec`: the UN's own EGDI and HCI, alternative EGDI
methods, the HCI rebuilt from proxies of its inputs, and proposals for a revised HCI. Named specs
live in ``egovlib/judgements/index_specs.yml``, each with a citation. A variant is the same spec
with a field changed (`IndexSpec.replace`, in the spirit of COINr's edit-the-log-and-``Regen``),
and `variants_of` spells out every combination of a few field alternatives.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from ..errors import SpecError
from ..indices import AGGREGATIONS, NORMALISATIONS
from ..judgements import judgement_path
from ..vocabulary import EGDI_COMPONENTS, INDICES
from ..yamltext import parse_yaml

SPECS_PATH = judgement_path("index_specs")

#: Country groups whose median may replace a missing value ("none": no imputation).
IMPUTATIONS = ("none", "region", "subregion", "income_group")
ROLES = ("published", "method", "recipe", "proposal")
FAMILIES = ("egdi", "hci", "osi", "tii")
WEIGHT_TOLERANCE = 1e-9

#: Reader-facing words for method ids.
METHOD_WORDS = {
    "none": "as published",
    "minmax": "min-max",
    "zscore": "z-score",
    "rank": "percentile rank",
    "distance_to_frontier": "distance to frontier",
    "share": "percentage / 100",
    "arithmetic": "arithmetic mean",
    "geometric": "geometric mean",
    "region": "region median",
    "subregion": "subregion median",
    "income_group": "income-group median",
}


def method_words(name) -> str:
    """Reader-facing words for a method id (``METHOD_WORDS``); other ids with spaces for ``_``."""
    return METHOD_WORDS.get(name, str(name).replace("_", " "))


@dataclass(frozen=True)
class Component:
    """One component of an index.

    Attributes
    ----------
    variable : str
        A published index column (``osi``, ``hci``, ...) or a covariate (`egovlib.variables()`).
    weight : float
        Nominal weight; the weights of a spec sum to one.
    direction : {1, -1}
        1 = higher is better; -1 = lower is better (flipped as ``max + min - x``).
    label : str
        Short label for tables and prose.
    """

    variable: str
    weight: float
    direction: int = 1
    label: str = ""

    def __post_init__(self):
        if self.direction not in (1, -1):
            raise SpecError(
                f"component {self.variable!r}: direction must be 1 or -1, not "
                f"{self.direction!r}. Fix: 1 = higher is better, -1 = lower is better."
            )
        if isinstance(self.weight, bool) or not isinstance(self.weight, int | float):
            raise SpecError(f"component {self.variable!r}: weight {self.weight!r} is not a number")
        if self.weight < 0:
            raise SpecError(f"component {self.variable!r}: weight must be >= 0, not {self.weight}")

    @property
    def name(self) -> str:
        """The label, or the variable if there is none."""
        return self.label or self.variable


@dataclass(frozen=True)
class IndexSpec:
    """How an index is built from its components (steps in OECD/JRC Handbook order).

    Attributes
    ----------
    name : str
        Identifier (the YAML key).
    label : str
        Title for tables, figures and prose.
    family : {"egdi", "hci", "osi", "tii"}
        The UN index this spec builds or stands in for.
    role : {"published", "method", "recipe", "proposal"}
        ``published``: the UN index as published (identity); ``method``: the UN components
        combined another way; ``recipe``: the UN formula on public proxies of its inputs;
        ``proposal``: a proposed revision.
    components : tuple of Component
        Their weights sum to one.
    normalisation : str
        One of `egovlib.indices.NORMALISATIONS`.
    aggregation : {"arithmetic", "geometric"}
        A geometric mean always works on components put on [epsilon, 1]
        (`egovlib.indices.aggregate_array`); it is refused for z-scores and for specs with
        binary or ordinal items (`egovlib.engine.build` checks the data).
    rescale : {"none", "minmax"}
        Min-max the aggregate to [0, 1] within the edition (the UN does this for the HCI).
    impute : {"none", "region", "subregion", "income_group"}
        A missing value is replaced by the median of the country's group (flagged as imputed).
    min_coverage : float
        Share of the components a country must have observed to be imputed.
    otherwise : {"reweight", "missing"}
        A country still lacking a component is aggregated over what it has (weights rescaled)
        or left unscored.
    max_age : int
        Vintage rule: the latest value with a reference year at or before ``edition - 1`` and
        no older than ``max_age`` years before that (the shared rule of `egovlib.panel`).
    replaces : str or None
        The EGDI component this index replaces in the implied EGDI (e.g. ``"hci"``).
    editions : tuple of int
        Editions the spec applies to (empty: all).
    citation : str
        Where the formula, or the proposal, comes from.
    description, proxy_note, data_needed : str
        Prose for the report: what it is, how honest the proxies are, what data the UN would
        need from Member States.
    """

    name: str
    label: str
    family: str
    role: str
    components: tuple[Component, ...]
    citation: str
    normalisation: str = "minmax"
    aggregation: str = "arithmetic"
    rescale: str = "minmax"
    impute: str = "none"
    min_coverage: float = 1.0
    otherwise: str = "reweight"
    max_age: int = 5
    replaces: str | None = None
    editions: tuple[int, ...] = ()
    description: str = ""
    proxy_note: str = ""
    data_needed: str = ""

    def __post_init__(self):
        where = f"index spec {self.name!r}"
        self._check_components(where)
        self._check_choices(where)

    def _check_components(self, where: str) -> None:
        """A citation, at least one component, no component twice, weights summing to 1."""
        if not self.citation:
            raise SpecError(f"{where}: no citation. Fix: say where the formula comes from.")
        if not self.components:
            raise SpecError(f"{where}: needs at least one component")
        names = [c.variable for c in self.components]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise SpecError(f"{where}: component(s) {dupes} listed twice")
        total = sum(c.weight for c in self.components)
        if abs(total - 1) > WEIGHT_TOLERANCE:
            raise SpecError(
                f"{where}: weights must sum to 1; they sum to {total:.6g} "
                f"({dict(zip(names, self.weights.tolist(), strict=True))}). Fix the weights."
            )

    def _check_choices(self, where: str) -> None:
        """Every construction choice is a known one, and the choices fit together."""
        for field, value, allowed in (
            ("family", self.family, FAMILIES),
            ("role", self.role, ROLES),
            ("normalisation", self.normalisation, NORMALISATIONS),
            ("aggregation", self.aggregation, AGGREGATIONS),
            ("rescale", self.rescale, ("none", "minmax")),
            ("impute", self.impute, IMPUTATIONS),
            ("otherwise", self.otherwise, ("reweight", "missing")),
        ):
            if value not in allowed:
                raise SpecError(f"{where}: {field} {value!r} unknown. Fix: use one of {allowed}.")
        if self.aggregation == "geometric" and self.normalisation in ("zscore", "none"):
            raise SpecError(
                f"{where}: a geometric mean needs components on [0, 1]; "
                f"{self.normalisation!r} does not give that. Fix: min-max, rank or distance "
                "to frontier."
            )
        if not 0 < self.min_coverage <= 1:
            raise SpecError(f"{where}: min_coverage must be in (0, 1], not {self.min_coverage}")
        if isinstance(self.max_age, bool) or not isinstance(self.max_age, int) or self.max_age < 0:
            raise SpecError(f"{where}: max_age must be a whole number of years >= 0")
        if self.replaces not in (None, *EGDI_COMPONENTS):
            raise SpecError(f"{where}: replaces must be one of {EGDI_COMPONENTS} or null")

    @property
    def variables(self) -> list[str]:
        """Component variables, in order."""
        return [c.variable for c in self.components]

    @property
    def weights(self) -> np.ndarray:
        """Nominal weights, in component order."""
        return np.array([float(c.weight) for c in self.components])

    @property
    def labels(self) -> dict[str, str]:
        """``{variable: label}``."""
        return {c.variable: c.name for c in self.components}

    @property
    def new_components(self) -> list[str]:
        """Components other than the published index the spec replaces (a proposal's items)."""
        return [v for v in self.variables if v != self.replaces]

    @property
    def covariates(self) -> list[str]:
        """Components that are covariates, not published index columns."""
        return [v for v in self.variables if v not in INDICES]

    def applies_to(self, year: int) -> bool:
        """Whether the spec is meant for edition ``year``."""
        return not self.editions or int(year) in self.editions

    def replace(self, **changes) -> IndexSpec:
        """The same spec with fields changed (COINr: edit the log, then regenerate).

        ``weights`` may be given as a sequence (component order) or a mapping by variable;
        ``name`` and ``label`` follow the change unless given.
        """
        if "weights" in changes:
            w = changes.pop("weights")
            if isinstance(w, Mapping):
                w = [w[v] for v in self.variables]
            changes["components"] = tuple(
                dataclasses.replace(c, weight=float(x))
                for c, x in zip(self.components, w, strict=True)
            )
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise SpecError(f"index spec {self.name!r} has no field(s) {unknown}")
        return dataclasses.replace(self, **changes)


def variants_of(spec: IndexSpec, alternatives: Mapping[str, Sequence]) -> list[IndexSpec]:
    """Every valid combination of the field alternatives, as specs named by what changed.

    A combination the spec refuses (a geometric mean of z-scores) is left out.
    """
    fields = list(alternatives)
    out = []
    for combo in itertools.product(*(alternatives[f] for f in fields)):
        change = dict(zip(fields, combo, strict=True))
        words = ", ".join(method_words(v) for v in combo)
        try:
            out.append(spec.replace(name=words, label=words, role="method", **change))
        except SpecError:
            continue
    return out


# --------------------------------------------------------------------------------------------
# Reading specs from YAML
# --------------------------------------------------------------------------------------------

_FIELDS = {f.name for f in dataclasses.fields(IndexSpec)} - {"name"}


def spec_from_dict(name: str, entry: Mapping, file: Path | str | None = None) -> IndexSpec:
    """An `IndexSpec` from one YAML entry; errors name the file, the entry and the fix."""
    where = f"{file}, spec {name!r}" if file else f"spec {name!r}"
    if not isinstance(entry, Mapping):
        raise SpecError(f"{where}: must be a mapping of fields. Fix: write `field: value` pairs.")
    unknown = sorted(set(entry) - _FIELDS)
    if unknown:
        raise SpecError(f"{where}: unknown field(s) {unknown}. Fix: use only {sorted(_FIELDS)}.")
    comps = entry.get("components")
    if not isinstance(comps, list) or not comps:
        raise SpecError(f"{where}: `components` must be a list of {{variable, weight, ...}}")
    try:
        kw = dict(entry)
        kw["components"] = tuple(Component(**c) for c in comps)
        kw["editions"] = tuple(int(y) for y in entry.get("editions") or ())
        kw.setdefault("label", name)
        return IndexSpec(name=name, **kw)
    except (TypeError, SpecError) as exc:
        raise SpecError(f"{where}: {exc}") from None


def known_variables() -> list[str]:
    """Names a component may use: published index columns and every loadable covariate."""
    from ..panel import covariate_catalogue

    return sorted({*INDICES, *covariate_catalogue()})


def load_specs(path: Path | str | None = None, *, check: bool = True) -> dict[str, IndexSpec]:
    """Named index specs from YAML (default ``egovlib/judgements/index_specs.yml``).

    Parameters
    ----------
    path : path, optional
        A YAML file with a top-level ``specs:`` mapping of name -> fields.
    check : bool
        Refuse a component variable that no reader produces, listing the known ones.
    """
    path = Path(path) if path is not None else SPECS_PATH
    try:
        stat = path.stat()
    except OSError as exc:
        raise SpecError(f"{path}: cannot be read ({exc}). Fix: restore it from git.") from None
    # a new dict each call (its specs are frozen), so a caller's edits stay its own
    specs = dict(_parse_specs(str(path), stat.st_mtime_ns, stat.st_size))
    if check:
        known = set(known_variables())
        for s in specs.values():
            bad = [v for v in s.variables if v not in known]
            if bad:
                raise SpecError(
                    f"{path}, spec {s.name!r}: unknown variable(s) {bad}. Known variables: "
                    f"{', '.join(sorted(known))}. Fix the name, or add a reader that makes it."
                )
    return specs


@functools.lru_cache(maxsize=16)
def _parse_specs(path: str, _mtime_ns: int, _size: int) -> tuple[tuple[str, IndexSpec], ...]:
    """The specs of a YAML file, parsed once per version of the file (reports load them often)."""
    try:
        doc = parse_yaml(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SpecError(f"{path}: cannot be read ({exc}). Fix: restore it from git.") from None
    entries = doc.get("specs")
    if not isinstance(entries, Mapping) or not entries:
        raise SpecError(f"{path}: expected a top-level `specs:` mapping of name -> spec")
    return tuple((name, spec_from_dict(name, entry, path)) for name, entry in entries.items())


def select(
    specs: Mapping[str, IndexSpec],
    *,
    role: str | None = None,
    family: str | None = None,
    year: int | None = None,
    names: Iterable[str] | None = None,
) -> list[IndexSpec]:
    """Specs by role, family and edition, in file order; ``names`` are checked, not filtered.

    Raises
    ------
    SpecError
        A name in ``names`` that is not a spec, listing the known ones.
    """
    if names is not None:
        names = list(names)
        unknown = [n for n in names if n not in specs]
        if unknown:
            raise SpecError(f"unknown index spec(s) {unknown}; known: {', '.join(specs)}")
        return [specs[n] for n in names]
    return [
        s
        for s in specs.values()
        if (role is None or s.role == role)
        and (family is None or s.family == family)
        and (year is None or s.applies_to(year))
    ]
