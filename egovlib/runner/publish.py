"""Run manifest, atomic publication of a report set, and the top-level index of years."""

from __future__ import annotations

import ctypes
import ctypes.util
import html
import json
import os
import platform
import re
import shutil
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from .. import config
from ..sources import sha256_of

#: Packages whose versions go into the manifest (what the numbers depend on).
PACKAGES = (
    "egovlib",
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "linearmodels",
    "matplotlib",
    "seaborn",
    "pandera",
    "pyarrow",
    "openpyxl",
    "pycountry",
    "papermill",
    "nbconvert",
    "nbclient",
    "ipykernel",
    "jupyter_client",
)
_BUILD = re.compile(r"^\.build-(\d+)-\w+-(\d+)$")


def git_commit_label() -> str:
    """Short commit of the repository, with ``+changes`` if tracked files differ from it."""
    info = git_info()
    if not info["commit"]:
        return "unknown (not a git checkout)"
    return info["commit"][:10] + (" +uncommitted changes" if info["dirty"] else "")


def git_info() -> dict:
    """``{"commit": sha or None, "dirty": bool}`` of the repository holding egovlib."""

    def git(*args):
        return subprocess.run(
            ["git", "-C", str(config.REPO_ROOT), *args],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )

    try:
        head = git("rev-parse", "HEAD")
        if head.returncode != 0:
            return {"commit": None, "dirty": None}
        dirty = git(
            "status",
            "--porcelain",
            "--untracked-files=no",
            "--",
            "egovlib",
            "notebooks",
            "data/sources.yml",
        )
        return {"commit": head.stdout.strip(), "dirty": bool(dirty.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def data_file_records(used: dict[str, list[str]]) -> tuple[list[dict], list[str]]:
    """Checksums of the data files the notebooks read, re-verified against the catalogue.

    Returns the records and a list of problems (a file changed or vanished during the run).
    """
    from ..sources import data_root, load_catalogue

    cat = load_catalogue()
    root = data_root()
    records, problems = [], []
    for fid in sorted(used):
        src = cat.get(fid)
        if src is None:
            problems.append(f"{fid}: read by {used[fid]} but no longer in the catalogue")
            continue
        path = root / src.path
        actual = sha256_of(path) if path.is_file() else None
        if actual != src.sha256:
            problems.append(
                f"{fid} ({src.path}): sha256 {actual} differs from the catalogue's "
                f"{src.sha256}; the file changed during the run"
            )
        records.append(
            {
                "id": fid,
                "path": src.path,
                "sha256": actual,
                "catalogue_sha256": src.sha256,
                "verified": actual == src.sha256,
                "publisher": src.publisher,
                "used_by": sorted(used[fid]),
            }
        )
    return records, problems


def package_versions() -> dict[str, str]:
    """Installed versions of the packages the results depend on."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def write_manifest(
    build: Path,
    *,
    year: int,
    results: list,
    started: datetime,
    wall_s: float,
    jobs: int,
    timeout: float,
    show_code: bool,
    params_file: str | None,
    commit: str,
    isolate: bool = False,
) -> dict:
    """Write ``manifest.json`` into a build folder and return it.

    It records the parameters of each notebook, the git commit, the sha256 of every data file
    the notebooks read (verified again against the catalogue), package versions, start time,
    durations, and the sha256 of every published file.
    """
    from ..sources import data_root

    used: dict[str, list[str]] = {}
    for r in results:
        for fid in r.data_files:
            used.setdefault(fid, []).append(r.name)
    data_files, problems = data_file_records(used)
    outputs = {
        p.name: sha256_of(p)
        for p in sorted(build.iterdir())
        if p.suffix in (".ipynb", ".html", ".xlsx", ".pdf")
    }
    manifest = {
        "survey_edition": year,
        "status": "ok" if all(r.status == "ok" for r in results) and not problems else "failed",
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_time_s": round(wall_s, 2),
        "jobs": jobs,
        "timeout_s": timeout,
        "show_code": show_code,
        "kernels": "one per notebook" if isolate else "reused per worker after a success",
        "params_file": params_file,
        "git": {**git_info(), "label": commit},
        "data_root": str(data_root()),
        "catalogue": str(Path(os.environ.get("EGOV_CATALOGUE") or config.CATALOGUE_PATH)),
        "notebooks": [
            {
                "name": r.name,
                "status": r.status,
                "duration_s": r.duration_s,
                "error": r.error,
                "parameters": r.parameters,
                "data_files": sorted(r.data_files),
                "stderr_outputs": r.stderr_outputs,
                "kernel": r.kernel,
                "slowest_cells": [{"cell": i, "seconds": d} for i, d in r.slowest_cells],
                "notebook": f"{r.name}.ipynb",
                "report": f"{r.name}.html",
            }
            for r in results
        ],
        "data_files": data_files,
        "data_problems": problems,
        "packages": package_versions(),
        "outputs_sha256": outputs,
    }
    (build / "manifest.json").write_text(
        json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8"
    )
    return manifest


# ------------------------------------------------------------------ atomic publication
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two directories (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    rc = fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return rc == 0


def publish_dir(build: Path, dest: Path) -> Path:
    """Make ``build`` the published ``dest`` in one step; the old set is removed afterwards.

    ``dest`` is never missing or half-written: a first publication is one ``rename``; a
    replacement is an atomic exchange of the two folders (Linux), or else two renames with the
    previous set kept as ``dest.previous-*`` until the new one is in place.
    """
    if not dest.exists():
        os.replace(build, dest)
        return dest
    if _exchange(build, dest):
        shutil.rmtree(build, ignore_errors=True)  # `build` now holds the previous set
        return dest
    old = dest.with_name(f"{dest.name}.previous-{os.getpid()}")
    os.replace(dest, old)
    os.replace(build, dest)
    shutil.rmtree(old, ignore_errors=True)
    return dest


def remove_stale_builds(out: Path) -> None:
    """Delete build folders of runs that were killed (their process no longer exists)."""
    for p in out.glob(".build-*"):
        m = _BUILD.match(p.name)
        if m and not _pid_alive(int(m.group(2))):
            shutil.rmtree(p, ignore_errors=True)
    for p in out.glob("*.previous-*"):  # a fallback publication interrupted between renames
        dest = out / p.name.split(".previous-")[0]
        if not dest.exists():
            os.replace(p, dest)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_top_index(out: Path, version: str) -> None:
    """``out/index.html``: links to every published year and every kept failed run."""
    from .html import report_css

    rows = []
    for p in sorted(out.iterdir(), key=lambda p: p.name, reverse=True):
        if not p.is_dir() or not (p / "index.html").is_file() or p.name.startswith("."):
            continue
        try:
            m = json.loads((p / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            m = {}
        n = len(m.get("notebooks", []))
        ok = sum(nb.get("status") == "ok" for nb in m.get("notebooks", []))
        status = m.get("status", "?")
        rows.append(
            f'<tr><td><a href="{html.escape(p.name)}/index.html">{html.escape(p.name)}</a></td>'
            f'<td><span class="egov-status egov-status-{html.escape(status)}">'
            f"{html.escape(status)}</span></td><td>{ok} of {n}</td>"
            f"<td>{html.escape(str(m.get('started', '')))}</td>"
            f"<td>{html.escape(str(m.get('git', {}).get('label', '')))}</td></tr>"
        )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>egovlib reports</title>
<style type="text/css">{report_css()}</style></head>
<body class="egov-index"><header class="egov-header">
<div class="egov-kicker">UN E-Government Survey &middot; egovlib reports</div>
<h1 class="egov-title">Report sets by survey edition</h1>
<p class="egov-small">Folders named <code>YEAR.failed-TIMESTAMP</code> are runs that failed; the
published <code>YEAR</code> folder still holds the last good set.</p></header>
<main><table><thead><tr><th>Folder</th><th>Status</th><th>Notebooks OK</th><th>Started</th>
<th>Git commit</th></tr></thead><tbody>
{chr(10).join(rows)}
</tbody></table></main>
<footer class="egov-footer">Generated by <code>egov run</code> (egovlib {html.escape(version)}).
</footer></body></html>
"""
    tmp = out / ".index.html.tmp"
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, out / "index.html")
