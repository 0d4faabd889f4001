"""The output folder: where each report set goes, the lock, and publication that loses nothing.

Rules (docs/runner.md, "Safety"):

- The runner replaces only folders it made: a report set is recognised by its
  ``manifest.json`` (written by `egov run`); anything else is refused with a message, never
  deleted or renamed.
- One run at a time per output folder: ``OUT/.egov-run.lock`` is locked with ``flock`` for the
  whole run (the kernel releases it when the process dies, however it dies), so a second run
  exits with a message naming the first (or waits, with ``--wait``). Leftover build folders are
  removed only by the lock holder, so a live run's build is never touched.
- A set is built in ``OUT/.build-*`` (same file system) and swapped in with one atomic
  ``renameat2(RENAME_EXCHANGE)``; notebooks not run this time, other report sets inside the
  year folder and files a user put there are carried over (hard links).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import json
import os
import re
import secrets
import shutil
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .. import config
from ..errors import EgovError
from .manifest import MANIFEST, read_manifest, write_json

LOCK_NAME = ".egov-run.lock"
BUILD_PREFIX = ".build-"
OLD_PREFIX = ".egov-old-"
BUILD_MARKER = ".egov-build"
#: The index pages of a set (``index.html`` and one per language, e.g. ``index.ar.html``).
_INDEX_PAGE = re.compile(r"^index(\.[a-z]{2,3})?\.html$")
#: Names a report set may not take (the default set is the year's folder itself).
RESERVED_SET_NAMES = ("default", "index", "manifest")
_SET_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
_FAILED = re.compile(r"^(?P<base>.+)\.failed-(?P<stamp>\d{8}T\d{6}Z)(?:-\w+)?$")


# ------------------------------------------------------------------ layout
def check_set_name(name: str, source: str = "--name") -> str:
    """A report-set name usable as a folder name (letters, digits, ``_``, ``-``)."""
    if not _SET_NAME.match(name) or name.isdigit() or name.lower() in RESERVED_SET_NAMES:
        raise EgovError(
            f"{source}: {name!r} cannot name a report set folder. Fix: use letters, digits, "
            "`_` and `-`, starting with a letter (not default, index or manifest), e.g. "
            "--name maghreb_2022"
        )
    return name


def set_dir(out: Path, year: int, name: str = "") -> Path:
    """``OUT/<year>/`` for the default set, ``OUT/<year>/<name>/`` for a named one."""
    return out / str(year) / name if name else out / str(year)


def unique_name(parent: Path, base: str, stamp: str) -> Path:
    """``parent/<base>.failed-<stamp>-<random>``: never an existing folder."""
    while True:
        p = parent / f"{base}.failed-{stamp}-{secrets.token_hex(3)}"
        if not p.exists():
            return p


def is_ours(folder: Path) -> bool:
    """True for a folder made by `egov run` (it holds a manifest written by the runner)."""
    return read_manifest(folder) is not None


def check_out_dir(out: Path) -> Path:
    """The output folder, resolved, after refusing places a run must never write into.

    Raises
    ------
    EgovError
        For the file-system root, the home folder, the repository or data folder (or any
        folder holding them), a file, or a folder that cannot be written.
    """
    out = Path(out).expanduser().resolve()
    protected = {
        Path("/"),
        Path.home().resolve(),
        config.REPO_ROOT.resolve(),
        config.NOTEBOOKS_DIR.resolve(),
        config.PACKAGE_DIR.resolve(),
    }
    with contextlib.suppress(EgovError, OSError):
        from ..sources import data_root

        protected.add(data_root().resolve())
    if out in protected or any(p.is_relative_to(out) for p in protected if p != Path("/")):
        raise EgovError(
            f"--out {out}: report sets would be written among unrelated files (it is or holds "
            "the file-system root, your home folder, the repository or the data). Fix: choose "
            "a folder of their own, e.g. --out outputs or --out /tmp/egov-reports"
        )
    if out.exists() and not out.is_dir():
        raise EgovError(
            f"--out {out}: is a file, not a folder. Fix: give a folder (it is created if missing)"
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EgovError(
            f"--out {out}: cannot create the folder ({exc.strerror}). Fix: choose a writable folder"
        ) from exc
    if not os.access(out, os.W_OK | os.X_OK):
        raise EgovError(
            f"--out {out}: the folder is not writable. Fix: choose a writable folder or fix its "
            "permissions"
        )
    return out


def os_error(exc: OSError, what: Path | str, out: Path) -> EgovError:
    """A one-line error for a file-system failure while writing reports."""
    if exc.errno == errno.ENOSPC or exc.errno == errno.EDQUOT:
        free = ""
        with contextlib.suppress(OSError):
            st = os.statvfs(out)
            free = f" ({st.f_bavail * st.f_frsize / 2**20:.0f} MB free now)"
        return EgovError(
            f"{what}: the disk is full{free}; the run's partial output was removed and nothing "
            f"was published. Fix: free space on the disk holding {out} (or use another --out) "
            "and rerun"
        )
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return EgovError(
            f"{what}: cannot write ({exc.strerror}). Fix: choose a writable --out or fix its "
            "permissions"
        )
    return EgovError(f"{what}: {exc.strerror or exc}. Fix: check the folder {out} and rerun")


# ------------------------------------------------------------------ the lock
@dataclass
class OutputLock:
    """An exclusive ``flock`` on ``OUT/.egov-run.lock`` for the whole run."""

    out: Path
    fd: int | None = None

    def acquire(self, wait: bool = False, command: str = "") -> None:
        """Take the lock, or raise `EgovError` naming its holder (``wait``: block until free)."""
        path = self.out / LOCK_NAME
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise os_error(exc, path, self.out) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                os.close(fd)
                raise os_error(exc, path, self.out) from exc
            holder = _read_holder(fd)
            if not wait:
                os.close(fd)
                raise EgovError(
                    f"{self.out}: another egov run is writing report sets here ({holder}). "
                    "Fix: wait for it to finish, pass --wait to queue behind it, or use "
                    "another --out"
                ) from None
            print(f"egov run: waiting for the run writing to {self.out} ({holder})", flush=True)
            fcntl.flock(fd, fcntl.LOCK_EX)
        # Who holds the lock, for the message a second run prints.
        info = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": command,
        }
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
        self.fd = fd

    def release(self) -> None:
        """Let the lock go (closing the descriptor releases the flock)."""
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self.fd, 0)
            os.close(self.fd)  # closing the descriptor releases the flock
            self.fd = None


def _read_holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "details unknown"
    return f"pid {info.get('pid')} on {info.get('host')}, started {info.get('started')}" + (
        f": `{info['command']}`" if info.get("command") else ""
    )


# ------------------------------------------------------------------ leftovers (lock held)
def sweep_leftovers(out: Path) -> list[str]:
    """Deal with what killed runs left in ``out`` (call only while holding the lock).

    A build folder (it carries the runner's marker) is deleted: with the lock held, its run is
    over. A set moved aside by an interrupted fallback publication is put back if its place is
    empty, else deleted. Folders without the marker are never touched.
    """
    done = []
    for p in sorted(out.glob(BUILD_PREFIX + "*")) + sorted(out.glob(OLD_PREFIX + "*")):
        marker = p / BUILD_MARKER
        if not p.is_dir() or not marker.is_file():
            continue
        try:
            info = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            info = {}
        restore = info.get("restore_to")
        if p.name.startswith(OLD_PREFIX) and restore and not (out / restore).exists():
            marker.unlink()
            os.replace(p, out / restore)
            done.append(f"restored {restore}")
        else:
            shutil.rmtree(p, ignore_errors=True)
            done.append(f"removed {p.name}")
    return done


# ------------------------------------------------------------------ building a set
def new_build(out: Path, year: int, name: str, stamp: str) -> Path:
    """An empty build folder for one set, marked as the runner's."""
    label = f"{year}-{name}" if name else str(year)
    build = out / f"{BUILD_PREFIX}{label}-{stamp}-{secrets.token_hex(3)}"
    build.mkdir()
    write_json(
        build / BUILD_MARKER, {"dest": str(set_dir(Path(""), year, name)), "pid": os.getpid()}
    )
    return build


def link_file(src: Path, dst: Path) -> None:
    """Hard-link ``src`` to ``dst`` (a copy where links are not possible)."""
    try:
        os.link(src, dst)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
            raise
        shutil.copy2(src, dst)


def link_tree(src: Path, dst: Path) -> None:
    """A copy of folder ``src`` at ``dst`` made of hard links."""
    shutil.copytree(src, dst, copy_function=lambda s, d: link_file(Path(s), Path(d)))


def carry_over(
    old: Path,
    build: Path,
    keep_notebooks: set[str],
    manifest: dict | None,
    subfolders: bool = True,
) -> list[str]:
    """Bring into ``build`` what the published ``old`` set holds that this run does not replace.

    Kept: the files of notebooks in ``keep_notebooks``; any file the runner did not write (a
    user's file); with ``subfolders``, every sub-folder (the year's other report sets and their
    failed runs). Returns the names of the user files carried over.
    """
    if not old.is_dir():
        return []
    owner: dict[str, str] = {}  # file name -> the notebook it belongs to
    for e in (manifest or {}).get("notebooks", []):
        for fname in (f"{e['name']}.ipynb", f"{e['name']}.html", *(e.get("outputs") or {})):
            owner[fname] = e["name"]
    foreign = []
    for p in sorted(old.iterdir()):
        if (build / p.name).exists() or p.name.startswith("."):
            continue
        if p.is_dir():
            keep = subfolders
        elif p.name in owner:
            keep = owner[p.name] in keep_notebooks
        else:  # not a notebook's: the runner's index pages and manifest, or a user's file
            keep = not _INDEX_PAGE.match(p.name) and p.name != MANIFEST
            foreign += [p.name] if keep else []
        if keep:
            (link_tree if p.is_dir() else link_file)(p, build / p.name)
    return foreign


# ------------------------------------------------------------------ publication
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two folders (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    return fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE) == 0


def publish_dir(build: Path, dest: Path) -> Path:
    """Make ``build`` the published ``dest`` in one step; the old set is removed afterwards.

    ``dest`` is never missing or half-written: a first publication is one ``rename``; a
    replacement is an atomic exchange of the two folders (Linux), or else two renames with the
    previous set kept aside (marked, and put back by the next run if this one dies in between).
    """
    with contextlib.suppress(FileNotFoundError):
        (build / BUILD_MARKER).unlink()
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(build, dest)
        return dest
    if _exchange(build, dest):
        shutil.rmtree(build, ignore_errors=True)  # `build` now holds the previous set
        return dest
    out = build.parent
    old = out / f"{OLD_PREFIX}{secrets.token_hex(4)}"
    os.replace(dest, old)
    write_json(old / BUILD_MARKER, {"restore_to": str(dest.relative_to(out))})
    os.replace(build, dest)
    shutil.rmtree(old, ignore_errors=True)
    return dest


def fail_dir(build: Path, out: Path, year: int, name: str, stamp: str) -> Path:
    """Keep a failed run's build for the analyst as ``<set>.failed-<stamp>-<random>``."""
    with contextlib.suppress(FileNotFoundError):
        (build / BUILD_MARKER).unlink()
    if name:
        parent, base = set_dir(out, year), name
        ensure_year_dir(out, year)
    else:
        parent, base = out, str(year)
    target = unique_name(parent, base, stamp)
    os.replace(build, target)
    return target


def ensure_year_dir(out: Path, year: int) -> Path:
    """``OUT/<year>/`` for named sets when the year has no default set yet (marked as ours)."""
    folder = set_dir(out, year)
    if not folder.exists():
        folder.mkdir(parents=True)
        write_json(
            folder / MANIFEST,
            {
                "generator": "egov run",
                "format": 2,
                "kind": "year",
                "survey_edition": year,
                "status": "no default set",
                "notebooks": [],
            },
        )
    return folder


def failed_runs(parent: Path, base: str) -> list[Path]:
    """``<base>.failed-*`` folders in ``parent`` made by the runner, newest first."""
    found = [
        p
        for p in parent.glob(f"{base}.failed-*")
        if p.is_dir() and _FAILED.match(p.name) and is_ours(p)
    ]
    return sorted(found, key=lambda p: p.name, reverse=True)
