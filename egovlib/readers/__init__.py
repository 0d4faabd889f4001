"""One reader per source: raw file -> tidy, validated table, cached as parquet by checksum."""

from __future__ import annotations

import hashlib
import importlib
import inspect
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd
import pandera.errors
import pandera.pandas as pa

from .. import config
from ..errors import DataError, EgovError
from ..sources import SourceFile, files_for_reader, verified_path

log = logging.getLogger(__name__)

#: Modules that register readers; imported lazily by `load_table`.
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
    components : tuple of str
        For a composite (an index built from other covariates): the covariates it is built
        from, as published (e.g. the GTMI CGSI from government cloud and the service bus). The
        models refuse a spec that holds a composite beside one of its components.
    """

    name: str
    label: str
    unit: str
    theme: str
    inputs_of: tuple[str, ...] = ()
    comparable_over_time: bool = True
    notes: str = ""
    reader: str = ""
    components: tuple[str, ...] = ()


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
    the `Variable` s they produce; the output is checked to contain exactly those.
    """

    def wrap(fn):
        vs = tuple(Variable(**{**v.__dict__, "reader": name}) for v in variables)
        _REGISTRY[name] = Reader(name, fn, schema, description, vs)
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
        importlib.import_module(f"{__name__}.{mod}")
    return dict(_REGISTRY)


@cache
def _code_fingerprint() -> str:
    """Hash of the code a cached table depends on, so a code change invalidates the cache."""
    from .. import countries, schemas
    from . import parsing

    h = hashlib.sha256()
    # Readers share helpers across modules, so every reader module counts, not only this one.
    reader_modules = [importlib.import_module(f"{__name__}.{m}") for m in READER_MODULES]
    for mod in (*reader_modules, parsing, schemas, countries):
        h.update(inspect.getsource(mod).encode())
    h.update(countries.OVERRIDES_PATH.read_bytes())
    return h.hexdigest()


def load_table(name: str, *, use_cache: bool = True) -> pd.DataFrame:
    """Load one reader's validated table (from the parquet cache when the inputs are unchanged).

    Parameters
    ----------
    name : str
        Reader name, e.g. ``"egdi"``, ``"countries"``, ``"wdi"`` (see `readers()`).
    use_cache : bool
        Read and write the parquet cache (``$EGOV_CACHE_DIR``, default ``.cache/egovlib``).

    Raises
    ------
    DataError
        If a file is missing, altered (checksum) or malformed; nothing is cached then.
    """
    regs = readers()
    if name not in regs:
        raise EgovError(f"unknown reader {name!r}; known readers: {', '.join(sorted(regs))}")
    reader = regs[name]
    files = [(src, verified_path(src)) for src in files_for_reader(name)]
    if not files:
        raise DataError(
            config.CATALOGUE_PATH,
            f"no catalogue entry has `reader: {name}`",
            f"add the file(s) for `{name}` to data/sources.yml",
        )
    key = hashlib.sha256(
        "|".join([name, _code_fingerprint(), *(f"{s.id}:{s.sha256}" for s, _ in files)]).encode()
    ).hexdigest()[:20]
    if key not in _MEMORY:
        _MEMORY[key] = _load(reader, files, key, use_cache)
    return _MEMORY[key].copy()


_MEMORY: dict[str, pd.DataFrame] = {}


def _load(reader: Reader, files: list, key: str, use_cache: bool) -> pd.DataFrame:
    cache_file = config.cache_dir() / f"{reader.name}-{key}.parquet"
    if use_cache and cache_file.is_file():
        return pd.read_parquet(cache_file)
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
    if use_cache:
        _write_atomic(table, cache_file, reader.name)
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
        lines, culprits = [], []
        for rec in fc.head(8).to_dict("records"):
            idx = rec.get("index")
            row = df.loc[idx] if idx is not None and idx in df.index else None
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
        raise DataError(
            ", ".join(str(p) for p in dict.fromkeys(culprits or paths.values())),
            f"{len(fc)} schema violation(s): " + "; ".join(lines),
            "restore the file(s) from the data mirror; if the source changed on purpose, "
            "update its reader and the schema in egovlib/schemas.py",
        ) from exc
    return out.reset_index(drop=True)


def _write_atomic(df: pd.DataFrame, path: Path, name: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    for old in path.parent.glob(f"{name}-*.parquet"):  # one live cache file per reader
        old.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    df.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def clear_memory_cache() -> None:
    """Forget tables held in memory (the parquet cache on disk is kept)."""
    _MEMORY.clear()
