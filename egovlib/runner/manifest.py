"""The run manifest (``manifest.json`` of a report set): what ran, with what, from which data."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from .. import config
from ..sources import data_root, load_catalogue, sha256_of
from .cache import environment

#: Written into every manifest; a folder whose manifest says so was made by `egov run`.
GENERATOR = "egov run"
MANIFEST = "manifest.json"
#: Largest git diff stored in a manifest (a bigger one is cut, and the manifest says so).
MAX_DIFF_BYTES = 2_000_000


def git(*args: str) -> subprocess.CompletedProcess | None:
    """Run git in the repository holding egovlib (None when git is unavailable)."""
    try:
        return subprocess.run(
            ["git", "-C", str(config.REPO_ROOT), *args],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None


def git_info(with_diff: bool = True) -> dict:
    """Commit, whether tracked files differ from it, and (if they do) the diff.

    Returns ``{"commit": sha or None, "dirty": bool or None, "label": str, "diff": str}``.
    """
    head = git("rev-parse", "HEAD")
    if head is None or head.returncode != 0:
        return {"commit": None, "dirty": None, "label": "unknown (not a git checkout)"}
    commit = head.stdout.strip()
    status = git("status", "--porcelain", "--untracked-files=no")
    dirty = bool(status and status.stdout.strip())
    info = {
        "commit": commit,
        "dirty": dirty,
        "label": commit[:10] + (" +uncommitted changes" if dirty else ""),
    }
    if dirty and with_diff:
        diff = git("diff", "HEAD", "--no-color")
        text = diff.stdout if diff is not None else ""
        if len(text.encode()) > MAX_DIFF_BYTES:
            text = text.encode()[:MAX_DIFF_BYTES].decode(errors="ignore")
            info["diff_truncated_at_bytes"] = MAX_DIFF_BYTES
        info["diff"] = text
    return info


def git_commit_label() -> str:
    """Short commit of the repository, with ``+uncommitted changes`` if tracked files differ."""
    return git_info(with_diff=False)["label"]


def data_file_records(
    used: dict[str, dict[str, str]], fresh: set[str] | None = None
) -> tuple[list[dict], list[str]]:
    """Records of the data files the notebooks read, re-hashed now.

    Each is compared with the checksum the notebook saw and with the catalogue.

    ``used`` maps file id -> {notebook name: sha256 seen by it}; ``fresh`` names the notebooks
    executed in this run (default all): only their reads can reveal a file that changed during
    the run. Returns the records and those problems.
    """
    cat = load_catalogue()
    root = data_root()
    records, problems = [], []
    for fid in sorted(used):
        src = cat.get(fid)
        if src is None:
            problems.append(f"{fid}: read by {sorted(used[fid])} but no longer in the catalogue")
            continue
        path = root / src.path
        try:
            actual = sha256_of(path)
        except OSError:
            actual = None
        seen = {sha for nb, sha in used[fid].items() if fresh is None or nb in fresh}
        if seen and (actual != src.sha256 or seen - {actual}):
            problems.append(
                f"{src.path}: sha256 {actual} now, {sorted(seen)} when read, {src.sha256} in "
                "the catalogue; the file changed during the run. Fix: restore it and rerun"
            )
        records.append(
            {
                "id": fid,
                "path": src.path,
                "sha256": actual,
                "catalogue_sha256": src.sha256,
                "verified": actual == src.sha256 and not seen - {actual},
                "read_with_sha256": {
                    nb: sha for nb, sha in sorted(used[fid].items()) if sha != actual
                },
                "publisher": src.publisher,
                "licence": src.licence,
                "used_by": sorted(used[fid]),
            }
        )
    return records, problems


def notebook_entry(r, html_title: str = "") -> dict:
    """The manifest entry of one notebook result (`execute.NotebookResult`)."""
    return {
        "name": r.name,
        "title": r.title or html_title or r.name,
        "status": r.status,
        "cached": r.cached,
        "executed_at": r.executed_at,
        "duration_s": r.duration_s,
        "timings_s": r.timings,
        "error": r.error,
        "parameters": r.parameters,
        "parameters_in_words": r.parameter_words,
        "data_files": dict(sorted(r.data_files.items())),
        "stderr_outputs": r.stderr_outputs,
        "kernel": r.kernel,
        "memory_mb": r.memory_mb,
        "slowest_cells": [{"cell": i, "seconds": d} for i, d in r.slowest_cells],
        "notebook": f"{r.name}.ipynb",
        "report": f"{r.name}.html",
        "outputs": r.outputs,
        "cache_key": r.cache_key,
        "git_commit": r.git_commit,
        "kept_from_earlier_run": r.kept,
    }


def build_manifest(
    *,
    year: int,
    set_name: str,
    entries: list[dict],
    started: datetime,
    wall_s: float,
    run: dict,
) -> dict:
    """The manifest of one report set (its ``entries`` already merged with kept ones).

    ``run`` holds the facts shared by every set of the batch: command line, jobs, timeout,
    kernels, git, parameters file.
    """
    used: dict[str, dict[str, str]] = {}
    for e in entries:
        for fid, sha in (e.get("data_files") or {}).items():
            used.setdefault(fid, {})[e["name"]] = sha
    fresh = {e["name"] for e in entries if not e.get("cached")}
    data_files, problems = data_file_records(used, fresh)
    ok = all(e["status"] == "ok" for e in entries) and not problems and bool(entries)
    catalogue = Path(os.environ.get("EGOV_CATALOGUE") or config.CATALOGUE_PATH)
    return {
        "generator": GENERATOR,
        "format": 2,
        "kind": "set",
        "survey_edition": year,
        "set": set_name or "default",
        "status": "ok" if ok else "failed",
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_time_s": round(wall_s, 2),
        **run,
        "data_root": str(data_root()),
        "catalogue": str(catalogue),
        "catalogue_sha256": sha256_of(catalogue) if catalogue.is_file() else None,
        "notebooks": entries,
        "data_files": data_files,
        "data_problems": problems,
        "environment": environment(),
        "outputs_sha256": {
            f: sha for e in entries for f, sha in sorted((e.get("outputs") or {}).items())
        },
    }


def write_json(path: Path, doc: dict) -> None:
    """Write JSON atomically (a temporary file renamed over the target)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_manifest(folder: Path) -> dict | None:
    """A folder's manifest if it is one written by `egov run` (older runs included), else None."""
    try:
        doc = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict):
        return None
    if doc.get("generator") == GENERATOR:
        return doc
    # Manifests written before the generator field: recognised by their own fields.
    if {"survey_edition", "outputs_sha256", "notebooks"} <= set(doc):
        return doc
    return None


def now_utc() -> str:
    """The current UTC time, ISO format to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")
