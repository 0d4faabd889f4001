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


def cache_dir() -> Path:
    """Parquet cache folder: ``$EGOV_CACHE_DIR``, else ``<repo>/.cache/egovlib``."""
    env = os.environ.get(CACHE_DIR_ENV)
    return Path(env) if env else REPO_ROOT / ".cache" / "egovlib"
