"""One typed loader for the judgement tables kept as YAML in ``egovlib/judgements/``.

A judgement table is a small list of facts or choices that the data cannot reveal (documented
method changes, transfer areas of a twinning, membership of regional bodies, ...). Each lives in
its own YAML file with a citation, so it can be read, disputed and changed without touching code:

.. code-block:: yaml

    citation: UN DESA, E-Government Survey 2014, Annex   # default for every entry
    entries:
      - {edition: 2014, index: osi, change: normalisation changed}
      - {edition: 2008, index: hci, change: definition changed, citation: "..."}

`load_judgements` turns the entries into frozen dataclass instances of the caller's type, with
the citation filled in, and refuses a file whose entries miss a field, carry an unknown one, or
hold a value of the wrong type, naming the file, the entry and the fix.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml

from . import config
from .errors import SpecError
from .yamltext import parse_yaml

if TYPE_CHECKING:  # the typeshed protocol every dataclass satisfies (no runtime import)
    from _typeshed import DataclassInstance

JUDGEMENTS_DIR = config.PACKAGE_DIR / "judgements"

T = TypeVar("T", bound="DataclassInstance")


def judgement_path(name: str) -> Path:
    """Path of the judgement table ``name`` (``egovlib/judgements/<name>.yml``)."""
    return JUDGEMENTS_DIR / f"{name}.yml"


def load_judgements(
    name: str, entry_type: type[T], path: Path | str | None = None
) -> tuple[T, ...]:
    """Entries of a judgement table as instances of ``entry_type``.

    Parameters
    ----------
    name : str
        File stem in ``egovlib/judgements/`` (ignored when ``path`` is given, except in errors).
    entry_type : dataclass type
        Frozen dataclass with a ``citation: str`` field; list-valued YAML fields are turned into
        tuples when the annotation is a tuple.
    path : path, optional
        Another file of the same shape (tests, a user's own table).

    Returns
    -------
    tuple of entry_type

    Raises
    ------
    SpecError
        The file is missing or malformed, an entry misses a field or has an unknown one, a value
        has the wrong type, or an entry has no citation (neither its own nor the file's).
    """
    p = Path(path) if path is not None else judgement_path(name)
    return _load(str(p), p.stat().st_mtime_ns if p.exists() else 0, entry_type)


@functools.lru_cache(maxsize=64)
def _load(path: str, _mtime: int, entry_type: type[T]) -> tuple[T, ...]:
    p = Path(path)
    if not p.exists():
        raise SpecError(f"{p}: judgement table not found. Fix: restore it from git.")
    try:
        doc = parse_yaml(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SpecError(f"{p}: not valid YAML ({exc}). Fix: correct the syntax.") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("entries"), list):
        raise SpecError(
            f"{p}: expected a mapping with a list under `entries:` (and an optional default "
            "`citation:`). Fix: follow the layout described in egovlib/judgements.py."
        )
    default_citation = doc.get("citation")
    fields = {f.name: f for f in dataclasses.fields(entry_type)}
    hints = typing.get_type_hints(entry_type)
    required = {
        n
        for n, f in fields.items()
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    out = []
    for i, raw in enumerate(doc["entries"], start=1):
        where = f"{p}, entry {i}"
        if not isinstance(raw, dict):
            raise SpecError(
                f"{where}: expected a mapping, got {raw!r}. Fix: write `key: value` pairs."
            )
        entry = dict(raw)
        if "citation" in fields and not entry.get("citation"):
            if not default_citation:
                raise SpecError(
                    f"{where}: no citation. Fix: add `citation:` to the entry or to the file."
                )
            entry["citation"] = default_citation
        unknown = sorted(set(entry) - set(fields))
        if unknown:
            raise SpecError(
                f"{where}: unknown field(s) {', '.join(unknown)}. "
                f"Fix: use only {', '.join(fields)}."
            )
        missing = sorted(required - set(entry))
        if missing:
            raise SpecError(f"{where}: missing field(s) {', '.join(missing)}. Fix: add them.")
        values = {k: _coerce(v, hints[k], f"{where}, field `{k}`") for k, v in entry.items()}
        out.append(entry_type(**values))
    return tuple(out)


def _coerce(value: Any, hint: Any, where: str) -> Any:
    """``value`` checked against the annotation ``hint`` (lists become tuples)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return _coerce_union(value, hint, where)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise SpecError(f"{where}: expected a list, got {value!r}. Fix: write `[a, b]`.")
        args = typing.get_args(hint)
        inner = args[0] if args else Any
        return tuple(_coerce(v, inner, where) for v in value)
    return _coerce_scalar(value, hint, where)


def _coerce_union(value: Any, hint: Any, where: str) -> Any:
    """``value`` as the first member of the union ``hint`` it fits (None for an Optional)."""
    args = typing.get_args(hint)
    if value is None and type(None) in args:
        return None
    for a in (a for a in args if a is not type(None)):
        try:
            return _coerce(value, a, where)
        except SpecError:
            continue
    raise SpecError(f"{where}: {value!r} is not a {hint}. Fix: correct the value.")


def _coerce_scalar(value: Any, hint: Any, where: str) -> Any:
    """``value`` checked against a plain type; a YAML number may be a float or a string."""
    if hint is Any:
        return value
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if hint is float and is_number:
        return float(value)
    if hint is str and is_number:
        return str(value)
    if isinstance(hint, type) and not isinstance(value, hint):
        raise SpecError(
            f"{where}: expected {hint.__name__}, got {value!r}. Fix: correct the value."
        )
    return value
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if hint is str and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(hint, type) and not isinstance(value, hint):
        raise SpecError(
            f"{where}: expected {hint.__name__}, got {value!r}. Fix: correct the value."
        )
    return value
