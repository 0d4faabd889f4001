"""Incremental reruns: a notebook whose inputs have not changed is not executed again.

A notebook's inputs are its source file, its parameters (with the edition), the report options,
egovlib's code, the environment (the lock file and the installed packages), the catalogue's
description of the data (without the checksums), and the checksums of the data files the
notebook read last time (from its access log). The first six make the *key* recorded in the
manifest; the last is checked file by file, so a changed data file reruns exactly the notebooks
that read it. The executed notebook and report are reused from the published set (verified
against the manifest's checksums), like Quarto's freeze or Jupyter Book's execution cache.
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
import sys
from functools import cache
from importlib import metadata
from pathlib import Path

from .. import config
from ..sources import data_root, load_catalogue, sha256_of

#: Bump when the runner changes what it writes, so older cached outputs are not reused.
CACHE_FORMAT = 2
#: The lock file of the environment (written by `make lock`), if the project has one.
LOCK_FILE = "requirements.lock"


def _h(*parts) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else json.dumps(p, sort_keys=True, default=str).encode())
        h.update(b"\0")
    return h.hexdigest()


@cache
def code_fingerprint() -> str:
    """sha256 over every file of the egovlib package (code, YAML judgements, templates)."""
    h = hashlib.sha256()
    for p in sorted(config.PACKAGE_DIR.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo"):
            h.update(str(p.relative_to(config.PACKAGE_DIR)).encode() + b"\0")
            h.update(p.read_bytes() + b"\0")
    return h.hexdigest()


@cache
def installed_packages() -> dict[str, str]:
    """Every installed distribution: name -> version (sorted by name)."""
    found = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found[name.lower()] = dist.version
    return dict(sorted(found.items()))


#: The explicit conda specification beside it (written with the lock), if the project has one.
CONDA_LOCK_FILE = "environment.lock.yml"


def _normalise(name: str) -> str:
    """A distribution name as pip compares them (PEP 503: ``Jinja2`` is ``jinja2``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_differences(lock: Path, installed: dict[str, str]) -> list[str]:
    """How the installed packages differ from the pins of a pip lock file (``name==version``).

    Returns one line per difference, e.g. ``numpy: locked 2.3.1, installed 2.3.2`` or
    ``scipy: locked 1.16.0, not installed``; an empty list means the environment is exactly
    the locked one for every locked package (a past Monte Carlo reruns exactly only then).
    """
    have = {_normalise(k): v for k, v in installed.items()}
    out = []
    for line in lock.read_text(encoding="utf-8").splitlines():
        pin = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)", line)
        if not pin:
            continue
        name, version = _normalise(pin[1]), pin[2]
        got = have.get(name)
        if got != version:
            out.append(
                f"{name}: locked {version}, " + (f"installed {got}" if got else "not installed")
            )
    return out


@cache
def environment() -> dict:
    """Python, platform, the lock files' sha256 (if any) and the full package list.

    ``lock_differences`` lists every package whose installed version is not the locked one
    (None without a lock file).
    """
    lock = config.REPO_ROOT / LOCK_FILE  # (an absolute LOCK_FILE is used as it is)
    conda = config.REPO_ROOT / CONDA_LOCK_FILE
    packages = installed_packages()
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "executable": sys.executable,
        "lock_file": str(LOCK_FILE) if lock.is_file() else None,
        "lock_sha256": sha256_of(lock) if lock.is_file() else None,
        "lock_differences": lock_differences(lock, packages) if lock.is_file() else None,
        "conda_lock_file": str(CONDA_LOCK_FILE) if conda.is_file() else None,
        "conda_lock_sha256": sha256_of(conda) if conda.is_file() else None,
        "packages": packages,
    }


def environment_fingerprint() -> str:
    """Hash of the environment the numbers depend on (without the interpreter's path)."""
    env = environment()
    return _h({k: v for k, v in env.items() if k != "executable"})


def catalogue_fingerprint() -> str:
    """Hash of the catalogue's descriptions (publishers, years, licences...) without checksums.

    A report lists sources and licences; a changed file is handled file by file instead.
    """
    cat = load_catalogue()
    return _h([{k: v for k, v in vars(s).items() if k != "sha256"} for s in cat.values()])


def notebook_key(source: Path, parameters: dict, report_options: dict) -> str:
    """The cache key of one notebook run, without the data files it reads (checked apart).

    ``report_options`` are the options that change its published files (``show_code``,
    ``pdf``).
    """
    return _h(
        CACHE_FORMAT,
        Path(source).read_bytes(),
        parameters,
        report_options,
        code_fingerprint(),
        environment_fingerprint(),
        catalogue_fingerprint(),
    )


def data_unchanged(recorded: dict[str, str]) -> bool:
    """True if every data file a notebook read still has its checksum (on disk, in catalogue)."""
    cat = load_catalogue()
    root = data_root()
    for fid, sha in recorded.items():
        src = cat.get(fid)
        if src is None or src.sha256 != sha:
            return False
        path = root / src.path
        try:
            if sha256_of(path) != sha:
                return False
        except OSError:
            return False
    return True


def reusable(entry: dict, folder: Path, key: str) -> bool:
    """Whether a published notebook (manifest ``entry`` in ``folder``) can be reused.

    It can when its cache key is ``key``, it succeeded, its data files are unchanged and its
    published files are intact.
    """
    if entry.get("cache_key") != key or entry.get("status") != "ok":
        return False
    outputs = entry.get("outputs") or {}
    if not outputs or not data_unchanged(entry.get("data_files") or {}):
        return False
    for name, sha in outputs.items():
        path = folder / name
        try:
            if not path.is_file() or sha256_of(path) != sha:
                return False
        except OSError:
            return False
    return True
