"""One reader per source: raw file -> tidy, validated table, cached as parquet by checksum.

The registry and the loading code live in `egovlib.readers.registry` (below `countries`); the
reader modules register themselves there when `readers()` first imports them.
"""

from __future__ import annotations

from .registry import (
    READER_MODULES,
    Reader,
    Variable,
    clear_memory_cache,
    forget_derived,
    fresh_tables,
    load_all,
    load_derived,
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
    "forget_derived",
    "fresh_tables",
    "load_all",
    "load_derived",
    "load_table",
    "readers",
    "register",
    "validate",
    "variables",
]
