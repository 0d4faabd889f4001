"""Reader registry and table loading: raw file -> parse -> validate -> (cached) tidy table.

This module sits below `egovlib.countries` and imports nothing that imports it: the reader
modules (which use `countries`) are imported by name, on first use, by `readers()`.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd
import pandera.errors
import pandera.pandas as pa

from .. import config, sources
from ..errors import DataError, EgovError
from ..schemas import LONG, PLAUSIBLE_RANGE_CHECK, PlausibleRange, long_schema, plausible_range
from ..sources import SourceFile
from . import cache as parquet_cache

#: Modules that register readers; imported by name by `readers()`.
READER_MODULES = (
    "un_egov",
    "metadata",
    "gtmi",
    "ai",
    "education",
    "ict",
)


@dataclass(frozen=True)
class Variable:
    """Metadata of one covariate a long-format reader produces.

    Attributes
    ----------
    name : str
        Value of the ``variable`` column, e.g. ``"hdr_mys"``.
    label : str
        Human label for tables and axes, e.g. ``"Mean years of schooling"``.
    unit : str
        Unit for axes, e.g. ``"years"``, ``"% of population"``, ``"score 0-100"``.
    theme : str
        ``education``, ``ict``, ``income``, ``govtech``, ``ai``, ``skills``, ``population``.
    inputs_of : tuple of str
        Indices this variable (or its close proxy) feeds in the UN method, e.g.
        ``("hci", "egdi")`` for schooling: used by the circularity guard of the models.
    comparable_over_time : bool
        False where the publisher warns against comparing editions (e.g. Oxford GAIRI).
    notes : str
        Caveats (vintage breaks, scale changes, proxies).
    valid_range : PlausibleRange, optional
        Values the variable can take; default the range of its unit (`schemas.UNIT_RANGES`).
    components : tuple of str
        For a composite (an index built from other covariates): the covariates it is built
        from, as published (e.g. the GTMI CGSI from government cloud and the service bus). The
        models refuse a spec that holds a composite beside one of its components.
        A value outside is refused at load.
    """

    name: str
    label: str
    unit: str
    theme: str
    inputs_of: tuple[str, ...] = ()
    comparable_over_time: bool = True
    notes: str = ""
    reader: str = ""
    valid_range: PlausibleRange | None = None
    components: tuple[str, ...] = ()

    @property
    def plausible_range(self) -> PlausibleRange:
        """The range every value must lie in (own ``valid_range``, else its unit's)."""
        rng = plausible_range(self.unit, self.valid_range)
        if rng is None:  # register() refuses such a variable, so this is a direct construction
            raise EgovError(f"variable {self.name!r} has no plausible range")
        return rng


@dataclass(frozen=True)
class Reader:
    """A registered reader: name, parse function and the schema its output must satisfy."""

    name: str
    parse: Callable[[list[tuple[SourceFile, Path]]], pd.DataFrame]
    schema: pa.DataFrameSchema
    description: str
    variables: tuple[Variable, ...] = ()


_REGISTRY: dict[str, Reader] = {}


def register(
    name: str, schema: pa.DataFrameSchema, description: str, variables: tuple[Variable, ...] = ()
):
    """Decorator registering ``fn(files) -> DataFrame`` as the reader called ``name``.

    ``files`` is the list of ``(SourceFile, verified path)`` whose catalogue entry has
    ``reader: name``, in catalogue order. Long-format readers (schema `schemas.LONG`) declare
    the `Variable` s they produce; the output is checked to contain exactly those, each value
    inside its variable's plausible range.

    Raises
    ------
    EgovError
        A declared variable has neither a ``valid_range`` nor a unit listed in
        `schemas.UNIT_RANGES`.
    """

    def wrap(fn):
        vs = tuple(Variable(**{**v.__dict__, "reader": name}) for v in variables)
        no_range = [v for v in vs if plausible_range(v.unit, v.valid_range) is None]
        if no_range:
            raise EgovError(
                f"reader {name!r}: variable(s) {[v.name for v in no_range]} have no plausible "
                f"range (units {sorted({v.unit for v in no_range})}). Fix: give each a "
                "`valid_range=PlausibleRange(lo, hi)` or add its unit to UNIT_RANGES in "
                "egovlib/schemas.py"
            )
        checked = schema
        if vs and schema is LONG:
            checked = long_schema({v.name: v.plausible_range for v in vs})
        _REGISTRY[name] = Reader(name, fn, checked, description, vs)
        return fn

    return wrap


def variables() -> dict[str, Variable]:
    """Every covariate produced by a long-format reader, by name."""
    out: dict[str, Variable] = {}
    for r in readers().values():
        for v in r.variables:
            if v.name in out:
                raise EgovError(
                    f"variable {v.name!r} declared by readers {out[v.name].reader!r} "
                    f"and {r.name!r}; names must be unique"
                )
            out[v.name] = v
    return out


def readers() -> dict[str, Reader]:
    """All registered readers, by name."""
    for mod in READER_MODULES:
        importlib.import_module(f"{__package__}.{mod}")
    return dict(_REGISTRY)


#: Files whose content decides what a reader produces (besides the raw files): a change to any
#: of them invalidates the parquet cache. Read as bytes, never imported.
FINGERPRINT_FILES = (
    *(f"readers/{m}.py" for m in ("registry", "parsing", *READER_MODULES)),
    "schemas.py",
    "countries.py",
    "country_overrides.yml",
    "judgements/egdi_departures.yml",
    "judgements/egdi_anomalies.yml",
)


@cache
def _code_fingerprint() -> str:
    """Hash of the code a cached table depends on, so a code change invalidates the cache."""
    h = hashlib.sha256()
    # Readers share helpers across modules, so every reader module counts, not only its own.
    for rel in FINGERPRINT_FILES:
        h.update(rel.encode())
        h.update((config.PACKAGE_DIR / rel).read_bytes())
    return h.hexdigest()


def load_table(name: str, *, use_cache: bool = True) -> pd.DataFrame:
    """Load one reader's validated table (from the parquet cache when the inputs are unchanged).

    Parameters
    ----------
    name : str
        Reader name, e.g. ``"egdi"``, ``"countries"``, ``"wdi"`` (see `readers()`).
    use_cache : bool
        Use the in-memory and parquet caches (``$EGOV_CACHE_DIR``, default ``.cache/egovlib``).
        False parses and validates the raw files afresh and leaves the caches untouched
        (``egov data verify`` does so: it never trusts a cache).

    Raises
    ------
    DataError
        If a file is missing, unreadable, altered (checksum) or malformed, or a value is
        implausible; nothing is cached then.
    """
    regs = readers()
    if name not in regs:
        raise EgovError(f"unknown reader {name!r}; known readers: {', '.join(sorted(regs))}")
    reader = regs[name]
    # Called through the module: a batch run records the files each notebook reads by wrapping
    # `sources.verified_path` (runner.execute).
    files = [(src, sources.verified_path(src)) for src in sources.files_for_reader(name)]
    if not files:
        raise DataError(
            config.CATALOGUE_PATH,
            f"no catalogue entry has `reader: {name}`",
            f"add the file(s) for `{name}` to data/sources.yml",
        )
    if not use_cache:
        return _parse(reader, files)
    return _cached(name, files, lambda: _parse(reader, files))


def load_derived(name: str, reader: str, build: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """A table computed from one reader's files, cached like that reader's table.

    For a derivation too slow to repeat in every report (e.g. the comparison of the EGDI
    cross-check files with the primary ones): ``build()`` runs once per change of the code
    (`FINGERPRINT_FILES`: keep ``build`` in a reader module) or of the checksums of the files of
    ``reader``, each of which is verified and recorded as read on every call, as `load_table`
    does. ``name`` names the cached table; it must not be a reader's name (the parquet cache
    keeps one file per name).
    """
    if name in readers():
        raise EgovError(f"load_derived: {name!r} is a reader's name; give the table its own name")
    files = [(src, sources.verified_path(src)) for src in sources.files_for_reader(reader)]
    return _cached(name, files, build)


def _cached(
    name: str, files: list[tuple[SourceFile, Path]], build: Callable[[], pd.DataFrame]
) -> pd.DataFrame:
    """``build()``'s table from memory or the parquet cache, keyed on the code and ``files``."""
    key = hashlib.sha256(
        "|".join([name, _code_fingerprint(), *(f"{s.id}:{s.sha256}" for s, _ in files)]).encode()
    ).hexdigest()[:20]
    if _FRESH:
        if key not in _FRESH_MEMORY:
            _FRESH_MEMORY[key] = build()
        return _FRESH_MEMORY[key].copy()
    if key not in _MEMORY:
        table = parquet_cache.read(name, key)
        if table is None:
            table = build()
            parquet_cache.write(name, key, table)
        _MEMORY[key] = table
    return _MEMORY[key].copy()


_MEMORY: dict[str, pd.DataFrame] = {}
#: Tables parsed inside `fresh_tables()` (kept apart, forgotten when it ends).
_FRESH_MEMORY: dict[str, pd.DataFrame] = {}
_FRESH = False
_generation = 0


def generation() -> int:
    """Counter that changes whenever tables held in memory are forgotten.

    Functions that cache something derived from a table (`countries.country_table`, ...) key
    their cache on it, so they never serve a table from before `clear_memory_cache` or from
    outside `fresh_tables`.
    """
    return _generation


def _forget() -> None:
    global _generation
    _generation += 1
    _FRESH_MEMORY.clear()


@contextmanager
def fresh_tables() -> Iterator[None]:
    """Inside this block every table is parsed from the raw files, never from a cache.

    No parquet file is read or written and no table loaded before the block is used, also for
    the tables a reader uses itself (the country table behind name matching). ``egov data
    verify`` runs in it: a check never trusts a cache.
    """
    global _FRESH
    before = _FRESH
    _FRESH = True
    _forget()
    try:
        yield
    finally:
        _FRESH = before
        _forget()


def load_all(*, fresh: bool = False) -> dict[str, pd.DataFrame | EgovError]:
    """Every reader's table, or the `EgovError` that loading it raised, by reader name.

    Parameters
    ----------
    fresh : bool
        Parse every raw file afresh (`fresh_tables`) instead of using the caches.
    """
    out: dict[str, pd.DataFrame | EgovError] = {}
    with fresh_tables() if fresh else nullcontext():
        for name in sorted(readers()):
            try:
                out[name] = load_table(name)
            except EgovError as exc:
                out[name] = exc
    return out


def _parse(reader: Reader, files: list) -> pd.DataFrame:
    table = validate(reader.parse(files), reader.schema, files)
    if reader.variables:
        declared = {v.name for v in reader.variables}
        produced = set(table["variable"].unique())
        if produced != declared:
            raise EgovError(
                f"reader {reader.name!r} produced variables {sorted(produced - declared)} "
                f"it does not declare, or lacks declared {sorted(declared - produced)}; "
                "fix its `variables=` in register()"
            )
    return table


def validate(
    df: pd.DataFrame, schema: pa.DataFrameSchema, files: list[tuple[SourceFile, Path]]
) -> pd.DataFrame:
    """Validate with pandera; a failure becomes a `DataError` naming file(s), column and rows.

    ``files`` are the reader's ``(SourceFile, path)`` pairs: a failing row's ``source`` id names
    its file; without one, every file is named.
    """
    paths = {src.id: path for src, path in files}
    try:
        out = schema.validate(df, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        ranges = (schema.metadata or {}).get("ranges", {})
        lines, culprits, seen = [], [], set()
        for rec in fc.to_dict("records"):
            idx = rec.get("index")
            row = df.loc[idx] if idx is not None and idx in df.index else None
            if rec["check"] == PLAUSIBLE_RANGE_CHECK or "plausible range" in str(rec["check"]):
                if idx in seen or row is None:  # one failure per column of the row: say it once
                    continue
                seen.add(idx)
                v = row["variable"]
                rng = ranges.get(v)
                lines.append(
                    f"`{v}` = {float(row['value'])!r} for {row['iso3']} {row['year']} "
                    f"(file={row.get('source', '?')}) is outside its plausible range "
                    f"{rng if rng is not None else '(no range declared)'}"
                )
            else:
                ident = (
                    f" (iso3={row['iso3']}, year={row['year']}, file={row.get('source', '?')})"
                    if row is not None and "iso3" in df.columns
                    else ""
                )
                lines.append(
                    f"column `{rec['column']}` check {rec['check']}: "
                    f"value {rec['failure_case']!r}{ident}"
                )
            if row is not None and str(row.get("source")) in paths:
                culprits.append(paths[str(row["source"])])
        shown = lines[:8]
        more = f"; and {len(lines) - 8} more" if len(lines) > 8 else ""
        fix = (
            "restore the file(s) from the data mirror; if the source changed on purpose, "
            "update its reader and the schema in egovlib/schemas.py"
        )
        if seen:
            fix = (
                "restore the file(s) from the data mirror or correct the value from the "
                "publisher's data; if such a value is genuinely published, widen the variable's "
                "`valid_range` in its reader (egovlib/readers/) with a comment saying why"
            )
        raise DataError(
            ", ".join(str(p) for p in dict.fromkeys(culprits or paths.values())),
            f"{len(lines)} schema violation(s): " + "; ".join(shown) + more,
            fix,
        ) from exc
    return out.reset_index(drop=True)


def clear_memory_cache() -> None:
    """Forget tables held in memory (the parquet cache on disk is kept)."""
    _MEMORY.clear()
    _forget()


def forget_derived() -> None:
    """Forget what was built from the tables (country table, aliases ...), keep the tables.

    The next use rebuilds them through `load_table`, which checks and records the files read:
    the kernel server calls this after loading the tables its kernels inherit, so that a parse
    that needed the country table leaves no ready-made copy a notebook would use unrecorded.
    """
    _forget()
