"""One reader per source: raw file -> tidy, validated table, cached as parquet by checksum.

The registry and the loading code live in `egovlib.readers.registry` (below `countries`); the
reader modules register themselves there when `readers()` first imports them.
"""

from __future__ import annotations

# `egov run` records the files a notebook reads by wrapping `sources.verified_path`, which the
# registry calls through the module; its kernel prologue also wraps this name (kept for it).
from ..sources import verified_path
from .registry import (
    READER_MODULES,
    Reader,
    Variable,
    clear_memory_cache,
    fresh_tables,
    load_all,
    load_table,
    readers,
    register,
    validate,
    variables,
)

__all__ = [
    "READER_MODULES",
    "Reader",
    "Variable",
    "clear_memory_cache",
    "fresh_tables",
    "load_all",
    "load_table",
    "readers",
    "register",
    "validate",
    "variables",
    "verified_path",
]
