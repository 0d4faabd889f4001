"""Shared fixtures: real data from the mirror, and temp data dirs for bad-input tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from egovlib import readers
from egovlib.sources import data_root, load_catalogue


@pytest.fixture(scope="session")
def egdi():
    """The full EGDI panel (all editions) from the real data."""
    from egovlib import load_egdi_panel

    return load_egdi_panel()


@pytest.fixture
def temp_data(tmp_path, monkeypatch):
    """A writable copy of the data root plus a copy of the catalogue, both in a temp dir.

    Yields a helper with ``root`` (data dir), ``catalogue`` (path), ``cache`` (parquet dir),
    ``path(file_id)`` (the file's temp copy), ``edit(file_id, old, new)`` (replace text in it and
    re-record its checksum) and ``set_sha(file_id)`` (record the new checksum in the temp
    catalogue so that a content error, not the checksum, is tested). Caches go to a temp dir
    too, so nothing from a bad file reaches the real cache.
    """
    import yaml

    from egovlib.sources import sha256_of

    root = tmp_path / "raw"
    src_root = data_root()
    shutil.copytree(
        src_root, root, ignore=shutil.ignore_patterns("*.md"), copy_function=shutil.copy
    )
    for p in root.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    cat_path = tmp_path / "sources.yml"
    from egovlib import config

    shutil.copy(config.CATALOGUE_PATH, cat_path)
    monkeypatch.setenv("EGOV_DATA_DIR", str(root))
    monkeypatch.setenv("EGOV_CATALOGUE", str(cat_path))
    monkeypatch.setenv("EGOV_CACHE_DIR", str(tmp_path / "cache"))
    readers.clear_memory_cache()

    class TempData:
        def __init__(self):
            self.root, self.catalogue, self.cache = root, cat_path, tmp_path / "cache"

        def path(self, file_id: str) -> Path:
            return root / load_catalogue()[file_id].path

        def set_sha(self, file_id: str) -> None:
            doc = yaml.safe_load(cat_path.read_text())
            doc["files"][file_id]["sha256"] = sha256_of(self.path(file_id))
            cat_path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))

        def edit(self, file_id: str, old: str, new: str, count: int = 1) -> None:
            p = self.path(file_id)
            text = p.read_text(encoding="utf-8")
            assert old in text, f"{old!r} not in {p}"
            p.write_text(text.replace(old, new, count), encoding="utf-8")
            self.set_sha(file_id)

    yield TempData()
    readers.clear_memory_cache()


def run_real_batch(tmp_path_factory) -> Path:
    """Run every notebook in notebooks/ for 2024 once per test session; return the output folder.

    The reports are in ``<folder>/2024/`` (index.html, NN_*.ipynb, NN_*.html, manifest.json) and
    the batch's exit status in ``<folder>/rc``. Shared by the runner, browser and personal-data
    tests (through the `real_batch` fixture), so the batch runs once, not once per test file.
    """
    from egovlib import cli

    out = tmp_path_factory.getbasetemp() / "egov-real-batch"
    marker = out / "rc"
    if not marker.exists():
        out.mkdir(parents=True, exist_ok=True)
        rc = cli.main(["run", "--out", str(out), "--year", "2024"])
        marker.write_text(str(rc))
    return out


@pytest.fixture(scope="session")
def real_batch(tmp_path_factory) -> Path:
    """Output folder of the real 2024 batch (see `run_real_batch`); reports in ``2024/``."""
    return run_real_batch(tmp_path_factory)
