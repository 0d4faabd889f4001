"""Parquet cache of reader tables: verified on every read, rebuilt when damaged, never required.

A cached table is stored as ``<reader>-<key>-<digest>.parquet``: ``key`` hashes the reader's
code and its raw files' checksums, ``digest`` is the first 16 hex digits of the parquet file's
own sha256. A file whose bytes no longer match its digest (truncated, altered, half-written) is
deleted and the table is rebuilt from the raw files. A cache folder that cannot be used (not
writable, a file, on a full disk) only makes loading slower: tables are then parsed from the raw
files every time, and one warning says so and how to fix it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

import pandas as pd

from .. import config

log = logging.getLogger(__name__)

_DIGEST_CHARS = 16
_warned: set[str] = set()


def _warn_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        log.warning(message)


def _unusable(folder: Path, exc: BaseException) -> None:
    _warn_once(
        f"folder:{folder}",
        f"cache folder {folder} cannot be used ({type(exc).__name__}: {exc}); tables are parsed "
        "from the raw files without a cache (same results, slower). Fix: set "
        f"${config.CACHE_DIR_ENV} to a writable folder, or make {folder} a writable folder.",
    )


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:_DIGEST_CHARS]


def read(name: str, key: str) -> pd.DataFrame | None:
    """The cached table of reader ``name`` for ``key``, or None (absent, unusable or damaged).

    A damaged file is deleted (with a warning naming it) so that the caller rebuilds it.
    """
    folder = config.cache_dir()
    try:
        candidates = sorted(folder.glob(f"{name}-{key}-*.parquet"))
    except OSError as exc:
        _unusable(folder, exc)
        return None
    for path in candidates:
        expected = path.stem.rsplit("-", 1)[-1]
        try:
            if _digest(path) != expected:
                raise ValueError("its bytes do not match the checksum in its name")
            return pd.read_parquet(path)
        except FileNotFoundError:  # replaced by another process meanwhile
            continue
        except Exception as exc:  # a damaged parquet file raises many types (pyarrow, OSError)
            log.warning(
                "cache file %s is damaged (%s); it is deleted and the table rebuilt from the "
                "raw files",
                path,
                exc,
            )
            try:
                path.unlink()
            except OSError as unlink_exc:
                _unusable(folder, unlink_exc)
    return None


def write(name: str, key: str, table: pd.DataFrame) -> None:
    """Store ``table`` atomically (temp file, then rename); other versions of ``name`` go.

    Any failure (read-only folder, a file in the way, a full disk) leaves no partial file and
    only a warning: the cache is an optimisation.
    """
    folder = config.cache_dir()
    tmp: str | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}-", suffix=".tmp")
        os.close(fd)
        table.to_parquet(tmp, index=False)
        path = folder / f"{name}-{key}-{_digest(Path(tmp))}.parquet"
        os.replace(tmp, path)
        tmp = None
        for old in folder.glob(f"{name}-*.parquet"):  # one live cache file per reader
            if old != path:
                old.unlink(missing_ok=True)
    except OSError as exc:
        _unusable(folder, exc)
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
