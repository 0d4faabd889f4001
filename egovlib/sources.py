"""Data catalogue (data/sources.yml), data-root resolution and checksum verification."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from . import config
from .errors import DataError, DataRootNotFound
from .yamltext import parse_yaml

REQUIRED_FIELDS = ("path", "publisher", "title", "url", "licence", "years", "sha256", "reader")

#: Environment variable naming the access log: when it is set, `verified_path` appends one line
#: per data file it hands out (``id<TAB>sha256<TAB>path``). `egov run` gives every kernel a log
#: of its own, so the files a notebook read are recorded where they are read.
ACCESS_LOG_ENV = "EGOV_ACCESS_LOG"


@dataclass(frozen=True)
class SourceFile:
    """One catalogued raw file."""

    id: str
    path: str
    publisher: str
    title: str
    url: str
    licence: str
    years: tuple[int, ...]
    sha256: str
    reader: str | None
    accessed: int | None = None
    editions: tuple[int, ...] = ()
    role: str = "primary"
    notes: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def year_span(self) -> str:
        """Human-readable span of reference years, e.g. ``2018-2024``."""
        ys = sorted(self.years)
        return str(ys[0]) if len(ys) == 1 else f"{ys[0]}-{ys[-1]}"


def load_catalogue(path: Path | str | None = None) -> dict[str, SourceFile]:
    """Read the catalogue of raw files.

    Parameters
    ----------
    path : path, optional
        Catalogue file; default ``data/sources.yml`` (or ``$EGOV_CATALOGUE``).

    Returns
    -------
    dict of str to SourceFile
        Keyed by file id, in catalogue order.

    Raises
    ------
    DataError
        If the catalogue is missing, unreadable or malformed.
    """
    path = Path(path).absolute() if path is not None else config.catalogue_path()
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        from_env = path == config.env_path(config.CATALOGUE_ENV)
        raise DataError(
            path,
            f"cannot read the data catalogue ({exc.strerror or exc})",
            f"set ${config.CATALOGUE_ENV} to the catalogue file, or unset it to use "
            f"{config.CATALOGUE_PATH}"
            if from_env
            else "restore it from git (git checkout -- data/sources.yml)",
        ) from exc
    return _load_catalogue(path, mtime)


@cache
def _load_catalogue(path: Path, _mtime: int) -> dict[str, SourceFile]:
    try:
        doc = parse_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DataError(
            path,
            f"cannot read the data catalogue ({exc.strerror or exc})",
            f"make it readable (chmod a+r {path}) or restore it from git",
        ) from exc
    except yaml.YAMLError as exc:
        raise DataError(
            path, f"the catalogue is not valid YAML ({exc})", "fix the YAML syntax"
        ) from exc
    entries = (doc or {}).get("files")
    if not isinstance(entries, dict) or not entries:
        raise DataError(path, "no `files:` mapping found", "list each raw file under `files:`")
    out: dict[str, SourceFile] = {}
    known = set(SourceFile.__dataclass_fields__)
    for fid, entry in entries.items():
        missing = [f for f in REQUIRED_FIELDS if f not in (entry or {})]
        if missing:
            raise DataError(
                path,
                f"entry `{fid}` lacks field(s) {', '.join(missing)}",
                f"add {', '.join(missing)} to `{fid}` (see the header of the catalogue)",
            )
        years = _parse_years(entry["years"], fid, path)
        out[fid] = SourceFile(
            id=fid,
            path=str(entry["path"]),
            publisher=str(entry["publisher"]),
            title=str(entry["title"]),
            url=str(entry["url"]),
            licence=str(entry["licence"]),
            years=tuple(int(y) for y in years),
            sha256=str(entry["sha256"]).lower(),
            reader=entry["reader"],
            accessed=entry.get("accessed"),
            editions=tuple(int(y) for y in entry.get("editions", ())),
            role=entry.get("role", "primary"),
            notes=str(entry.get("notes", "")),
            extra={k: v for k, v in entry.items() if k not in known},
        )
    return out


def _parse_years(years, fid: str, path: Path) -> tuple[int, ...]:
    """``[2020, 2022]`` lists exact years; ``"1990-2022"`` is a span of every year in between."""
    if isinstance(years, str) and "-" in years:
        lo, hi = (int(y) for y in years.split("-", 1))
        return tuple(range(lo, hi + 1))
    if isinstance(years, int):
        return (years,)
    if isinstance(years, list) and all(isinstance(y, int) for y in years):
        return tuple(years)
    raise DataError(
        path,
        f"entry `{fid}` has years {years!r}",
        "write `years:` as a list of years ([2020, 2022]) or a span (1990-2022)",
    )


def data_root() -> Path:
    """Folder holding the raw files (absolute).

    Tried in order: ``$EGOV_DATA_DIR``, ``data/raw/`` inside the repository (if populated),
    then ``../shared/data/raw/`` beside the repository. A relative ``$EGOV_DATA_DIR`` is
    resolved against the caller's working directory (`config.env_path`).

    Raises
    ------
    DataRootNotFound
        If none of the three holds the files, naming all three and how to fill them.
    """
    given = os.environ.get(config.DATA_DIR_ENV, "").strip()
    root = config.env_path(config.DATA_DIR_ENV)
    if root is not None:
        shown = f"${config.DATA_DIR_ENV}={given!r}" + (
            f" (resolved to {root})" if given != str(root) else ""
        )
        try:
            if root.is_dir() and os.access(root, os.R_OK | os.X_OK):
                return root.resolve()
            problem = (
                ("is not a folder" if root.exists() else "does not exist")
                if not root.is_dir()
                else "cannot be read (permission denied)"
            )
        except OSError as exc:
            problem = f"cannot be read ({exc.strerror or exc})"
        raise DataRootNotFound(
            root,
            f"{shown}: the folder {problem}",
            f"set ${config.DATA_DIR_ENV} to the folder holding the raw files (an absolute "
            "path is safest), or unset it",
        )
    for root in (config.REPO_DATA_DIR, config.SHARED_DATA_DIR):
        if root.is_dir() and any(p.is_dir() for p in root.iterdir()):
            return root.resolve()
    raise DataRootNotFound(
        None,
        "no raw data found. Looked in, in order: "
        f"(1) ${config.DATA_DIR_ENV} (not set), (2) {config.REPO_DATA_DIR} (empty or missing), "
        f"(3) {config.SHARED_DATA_DIR} (missing)",
        f"point ${config.DATA_DIR_ENV} at the data mirror, or copy the mirror's folders into "
        f"{config.REPO_DATA_DIR}, or place the team mirror at {config.SHARED_DATA_DIR}; "
        "data/README.md lists every file and where to download it",
    )


def file_path(source: SourceFile | str, root: Path | None = None) -> Path:
    """Absolute path of a catalogued file; raises if it is missing."""
    src = load_catalogue()[source] if isinstance(source, str) else source
    path = (root or data_root()) / src.path
    try:
        found = path.is_file()
    except OSError as exc:  # e.g. a folder on the way that cannot be entered
        raise _unreadable(path, exc) from exc
    if not found:
        raise DataError(
            path,
            f"catalogued file `{src.id}` is missing from the data root",
            f"download it from {src.url} (see data/README.md) and place it at {src.path}",
        )
    return path


def _unreadable(path: Path, exc: OSError) -> DataError:
    return DataError(
        path,
        f"cannot read the file ({exc.strerror or exc})",
        f"make it readable for this user (chmod a+r {path}), or point ${config.DATA_DIR_ENV} "
        "at a readable copy of the data mirror",
    )


def sha256_of(path: Path) -> str:
    """SHA-256 of a file, cached on (path, size, mtime) so each file is hashed once."""
    st = path.stat()
    return _sha256(str(path), st.st_size, st.st_mtime_ns)


@cache
def _sha256(path: str, _size: int, _mtime: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verified_path(source: SourceFile | str, root: Path | None = None) -> Path:
    """Path of a catalogued file after checking its sha256 against the catalogue.

    Raises
    ------
    DataError
        If the file is missing, unreadable or its checksum differs (an error, never a warning).
    """
    src = load_catalogue()[source] if isinstance(source, str) else source
    path = _checked_path(src, root)
    _FILES_READ[src.id] = None
    log_access(src, src.sha256)  # the file's sha256, just checked against the catalogue's
    return path


def _checked_path(src: SourceFile, root: Path | None) -> Path:
    """`verified_path` without recording the file as read (for up-front checks)."""
    path = file_path(src, root)
    try:
        actual = sha256_of(path)
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    if actual != src.sha256:
        raise DataError(
            path,
            f"checksum mismatch for `{src.id}`: sha256 is {actual}, catalogue says {src.sha256}",
            "restore the original file from the data mirror; if the publisher released a new "
            f"version on purpose, add it as a new entry in {config.catalogue_path()} "
            "with its own sha256",
        )
    return path


#: Ids of the catalogued files verified in this process (insertion-ordered), for the report's
#: list of data sources and licences (`egovlib.report.show_end_matter`).
_FILES_READ: dict[str, None] = {}


def files_read() -> list[str]:
    """Ids of the catalogued files verified (opened) in this process, in catalogue order.

    `verified_path` is the one place raw files are opened, so this is the list of sources a
    notebook read since the process started or since `forget_files_read`.
    """
    return [fid for fid in load_catalogue() if fid in _FILES_READ]


def forget_files_read() -> None:
    """Start a new record for `files_read` (a new notebook in a reused kernel)."""
    _FILES_READ.clear()


def log_access(src: SourceFile, sha256: str) -> None:
    """Append ``id, sha256, path`` of a verified file to ``$EGOV_ACCESS_LOG`` (if it is set)."""
    target = os.environ.get(ACCESS_LOG_ENV)
    if not target:
        return
    # One short line per call, appended and closed at once: nothing is lost if the kernel dies.
    with open(target, "a", encoding="utf-8") as fh:
        fh.write(f"{src.id}\t{sha256}\t{src.path}\n")


def read_access_log(path: Path | str) -> dict[str, str]:
    """The data files recorded in an access log: ``{file id: sha256}`` (empty if there is none).

    Written by `verified_path` when ``$EGOV_ACCESS_LOG`` names ``path``; `egov run` reads it
    after each notebook to record which files that notebook read, with their checksums.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    out: dict[str, str] = {}
    for line in text.splitlines():
        fid, sha, *_ = [*line.split("\t"), "", ""]
        if fid and sha:
            out[fid] = sha
    return out


def check_files(root: Path | None = None) -> list[DataError]:
    """Every catalogued file that cannot be used: missing, unreadable or altered.

    Cheap (each file is hashed once per process), so a batch run calls it before any notebook
    starts: a bad file is reported up front even if no notebook of the run reads it.

    Returns
    -------
    list of DataError
        Empty when every file is present, readable and matches its checksum.
    """
    root = root or data_root()
    problems = []
    for src in load_catalogue().values():
        try:
            _checked_path(src, root)  # not `verified_path`: checking is not reading
        except DataError as exc:
            problems.append(exc)
    return problems


def require_files(root: Path | None = None) -> None:
    """Raise one `DataError` naming every catalogued file that cannot be used (`check_files`)."""
    problems = check_files(root)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise DataError(
            ", ".join(str(p.file) for p in problems),
            f"{len(problems)} catalogued files cannot be used: "
            + "; ".join(f"{Path(p.file or '').name}: {p.problem}" for p in problems),
            " / ".join(dict.fromkeys(p.fix for p in problems)),
        )


def files_for_reader(reader: str) -> list[SourceFile]:
    """Catalogue entries parsed by one reader, in catalogue order."""
    return [s for s in load_catalogue().values() if s.reader == reader]


def availability_statement() -> str:
    """The data availability statement (data/README.md), generated from the catalogue."""
    cat = load_catalogue()
    lines = [
        "# Data availability statement",
        "",
        "Generated from `data/sources.yml` by `egov data statement` (a test keeps them in sync).",
        "No raw file is committed to this repository. egovlib reads them from the data root:",
        "`$EGOV_DATA_DIR`, else `data/raw/` (if populated), else `../shared/data/raw/`. To rebuild",
        "the data root elsewhere, download each file below from its source and place it at the",
        "path shown; `egov data verify` checks every sha256. Provenance of each copy (repository,",
        "commit, quirks) is in the mirror's `PROVENANCE.md`.",
        "",
        "| file (path in the data root) | publisher | source | reference years | licence / terms "
        "| accessed | read by |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in cat.values():
        reader = f"`{s.reader}`" if s.reader else "not read"
        if s.role != "primary":
            reader += f" ({s.role})"
        lines.append(
            f"| `{s.path}` | {s.publisher} | {s.url} | {s.year_span} | {s.licence} "
            f"| {s.accessed or ''} | {reader} |"
        )
    unread = [s for s in cat.values() if not s.reader]
    if unread:
        lines += ["", "Files catalogued but not read, and why:", ""]
        lines += [f"- `{s.path}`: {s.notes}" for s in unread]
    return "\n".join(lines) + "\n"
