"""Project paths, derived from the package location (never typed by hand)."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
CATALOGUE_PATH = REPO_ROOT / "data" / "sources.yml"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
OUTPUTS_DIR = REPO_ROOT / "outputs"
PARAMS_DIR = REPO_ROOT / "notebooks" / "params"

#: Data-root candidates, in the order they are tried (see `egovlib.sources.data_root`).
DATA_DIR_ENV = "EGOV_DATA_DIR"
REPO_DATA_DIR = REPO_ROOT / "data" / "raw"
SHARED_DATA_DIR = REPO_ROOT.parent / "shared" / "data" / "raw"

CACHE_DIR_ENV = "EGOV_CACHE_DIR"
CATALOGUE_ENV = "EGOV_CATALOGUE"

#: Environment variables that hold a path; a relative one is made absolute (see `env_path`).
PATH_ENVS = (DATA_DIR_ENV, CACHE_DIR_ENV, CATALOGUE_ENV)


def env_path(name: str) -> Path | None:
    """The path in environment variable ``name``, absolute; None if unset or empty.

    A relative path is resolved against the caller's working directory: the process's own, or,
    when the path exists only there, the shell's (``$PWD``; a Jupyter kernel runs in the
    notebook's folder, not where ``jupyter lab`` was started). The variable is then rewritten
    as the absolute path, so that processes started later (notebook kernels of ``egov run``,
    which run in the notebooks' folder) see the same folder.
    """
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_absolute():
        here = Path.cwd() / path
        shell = Path(os.environ["PWD"]) / path if os.path.isabs(os.environ.get("PWD", "")) else None
        path = shell if shell is not None and not here.exists() and shell.exists() else here
        path = Path(os.path.normpath(path))
        os.environ[name] = str(path)
    return path


def absolute_env_paths() -> None:
    """Make every path variable of `PATH_ENVS` absolute now (before starting child processes)."""
    for name in PATH_ENVS:
        env_path(name)


def catalogue_path() -> Path:
    """The data catalogue: ``$EGOV_CATALOGUE``, else ``data/sources.yml`` in the repository."""
    return env_path(CATALOGUE_ENV) or CATALOGUE_PATH


def cache_dir() -> Path:
    """Parquet cache folder: ``$EGOV_CACHE_DIR``, else ``<repo>/.cache/egovlib``."""
    return env_path(CACHE_DIR_ENV) or REPO_ROOT / ".cache" / "egovlib"
