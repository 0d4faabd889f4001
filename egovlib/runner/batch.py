"""The batch: check everything, reuse what has not changed, execute the rest, publish per set."""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .. import config
from ..errors import EgovError, SpecError
from . import cache, publish
from .execute import NotebookJob, NotebookResult
from .manifest import build_manifest, git_info, notebook_entry, read_manifest, write_json
from .params import (
    check_countries,
    load_params,
    load_schema,
    notebook_info,
    plan_parameters,
)

#: Default time limit of one notebook (whole notebook, seconds).
DEFAULT_TIMEOUT = 900
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"


@dataclass(frozen=True)
class RunOptions:
    """Everything `egov run` was asked to do (built by `egovlib.cli` from the command line)."""

    year: int | None = None
    all_years: bool = False
    notebooks: list[str] | None = None
    params: Path | None = None
    name: str | None = None
    jobs: int | None = None
    out: Path | None = None
    show_code: bool = False
    timeout: float = DEFAULT_TIMEOUT
    force: bool = False
    profile: bool = False
    wait: bool = False
    kernels: str = "fork"
    pdf: bool = False
    notebooks_dir: Path | None = None
    command: str = ""
    progress: bool | None = None
    #: The arguments after ``egov`` exactly as given, and the folder they were given in.
    argv: tuple[str, ...] = ()
    cwd: str = ""


@dataclass
class YearRun:
    """The outcome of one report set (an edition, default or named parameters)."""

    year: int
    results: list[NotebookResult] = field(default_factory=list)
    published: Path | None = None
    failed_dir: Path | None = None
    set_name: str = ""
    publish_s: float = 0.0
    up_to_date: bool = False  # every notebook unchanged: the published set was left as it is

    @property
    def ok(self) -> bool:
        """True when every notebook of this set ran (or was reused) without error."""
        return bool(self.results) and all(r.status == "ok" for r in self.results)


@dataclass
class BatchReport:
    """What a batch did: its sets, and where the time went (for ``--profile``)."""

    runs: list[YearRun]
    phases: dict = field(default_factory=dict)
    jobs: int = 0
    jobs_note: str = ""
    kernels: dict = field(default_factory=dict)


# ------------------------------------------------------------------ selection
def discover_notebooks(folder: Path | None = None) -> list[Path]:
    """The numbered notebooks ``NN_name.ipynb`` of ``folder`` (default ``notebooks/``), sorted.

    Every one is read, so that a half-saved notebook stops the run with a clear message.
    """
    folder = Path(folder or config.NOTEBOOKS_DIR)
    found = sorted(p.resolve() for p in folder.glob(NOTEBOOK_GLOB))
    if not found:
        raise EgovError(
            f"{folder}: no notebooks named NN_name.ipynb. Fix: run from the repository or "
            "pass the right folder"
        )
    for nb in found:
        notebook_info(nb)
    return found


def select_notebooks(available: list[Path], wanted: list[str] | None) -> list[Path]:
    """Pick notebooks by number (``1``, ``01``), full name (``01_data_overview``) or name part.

    Raises
    ------
    EgovError
        For a name that matches no notebook (or several), listing the valid names.
    """
    if not wanted:
        return available
    chosen: list[Path] = []
    for raw in wanted:
        for item in (s.strip() for s in raw.split(",")):
            if not item:
                continue
            key = item.removesuffix(".ipynb")
            hits = [
                p
                for p in available
                if key == p.stem
                or (key.isdigit() and int(key) == int(p.stem[:2]))
                or key == p.stem[3:]
            ]
            if len(hits) != 1:
                hits = [p for p in available if key in p.stem] if not hits else hits
            if len(hits) != 1:
                what = "matches several notebooks" if hits else "is not a notebook"
                raise EgovError(
                    f"--notebooks {item!r} {what}. Valid: "
                    f"{', '.join(p.stem for p in available)} (or their numbers)"
                )
            if hits[0] not in chosen:
                chosen.append(hits[0])
    return sorted(chosen)


def catalogue_editions() -> list[int]:
    """Survey editions declared in the catalogue (``editions:`` of the EGDI files).

    Read without loading any table, so `egov run` decides what to do in a fraction of a second;
    `egov data verify` checks that the files hold exactly these editions.
    """
    from ..sources import load_catalogue

    found = {
        y
        for s in load_catalogue().values()
        if s.reader == "egdi" and s.role == "primary"
        for y in s.editions
    }
    if found:
        return sorted(found)
    from ..panel import editions

    return editions()


def resolve_years(year: int | None, all_years: bool) -> list[int]:
    """Editions to run: all, the one asked for (checked), or the latest."""
    valid = catalogue_editions()
    if all_years:
        if year is not None:
            raise EgovError("use either --year or --all-years, not both")
        return valid
    if year is None:
        return [valid[-1]]
    if int(year) not in valid:
        raise EgovError(
            f"{year} is not a survey edition. Valid editions: {', '.join(map(str, valid))}. "
            "A new edition is added with one entry in data/sources.yml "
            "(docs/runner.md: 'A new survey year')."
        )
    return [int(year)]


# ------------------------------------------------------------------ helpers
#: Environment variables that change what a run reads or writes (recorded in the manifest).
RUN_ENV_PREFIXES = ("EGOV_", "TMPDIR")


def invocation(opts: RunOptions) -> dict:
    """How the run was started: its arguments, folder and the variables that change it.

    With the command line (``opts.command``, ready to paste in a shell) this is what
    rerunning the same command exactly needs: relative paths are relative to ``cwd``.
    """
    env = {
        k: v
        for k, v in sorted(os.environ.items())
        if k.startswith(RUN_ENV_PREFIXES) and k != "EGOV_ACCESS_LOG"
    }
    return {
        "argv": ["egov", *opts.argv],
        "cwd": opts.cwd or os.getcwd(),
        "environment_variables": env,
    }


def _years_label(years: list[int]) -> str:
    return str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"


def _entry_result(e: dict, year: int, cached: bool) -> NotebookResult:
    """A result rebuilt from a manifest entry (a reused or kept notebook)."""
    return NotebookResult(
        name=e["name"],
        year=year,
        status=e.get("status", "ok"),
        duration_s=float(e.get("duration_s", 0)),
        parameters=e.get("parameters", {}),
        parameter_words=dict(e.get("parameters_in_words") or {}),
        error=e.get("error", ""),
        data_files=dict(e.get("data_files") or {}),
        stderr_outputs=int(e.get("stderr_outputs", 0)),
        kernel=e.get("kernel", ""),
        slowest_cells=[(c["cell"], c["seconds"]) for c in e.get("slowest_cells", [])],
        title=e.get("title", ""),
        timings=dict(e.get("timings_s") or {}),
        memory_mb=dict(e.get("memory_mb") or {}),
        outputs=dict(e.get("outputs") or {}),
        cached=cached,
        executed_at=e.get("executed_at", ""),
        cache_key=e.get("cache_key", ""),
        git_commit=e.get("git_commit", ""),
    )


def measured_memory_mb(out: Path) -> tuple[float | None, float | None]:
    """Memory one notebook and the kernel server needed in earlier runs into ``out`` (MB).

    Returns ``(per notebook, server)``: the largest kernel growth beyond the server it was
    forked from plus the largest worker, with 25 % head room, and the largest server; None
    for what no manifest in ``out`` recorded.
    """
    kernel, worker, server, measured = 0.0, 0.0, 0.0, False
    for m_path in list(out.glob("*/manifest.json")) + list(out.glob("*/*/manifest.json")):
        m = read_manifest(m_path.parent)
        if not m:
            continue
        # manifests of earlier versions of the runner record other shapes (e.g. "kernels" as
        # a sentence): only the current shape is a measurement
        kernels = m.get("kernels")
        k = kernels if isinstance(kernels, dict) else {}
        base = float(k.get("server_rss_mb") or 0)
        server = max(server, base)
        if k.get("mode") != "fork":
            base = 0.0
        for e in m.get("notebooks", []):
            mem = e.get("memory_mb") if isinstance(e, dict) else None
            mem = mem if isinstance(mem, dict) else {}
            if mem.get("kernel_peak"):  # (a small kernel may stay below its server's RSS)
                kernel, measured = max(kernel, float(mem["kernel_peak"]) - base), True
            if mem.get("worker_peak"):
                worker = max(worker, float(mem["worker_peak"]))
    # 25 % head room: other parameters, other data
    per_job = math.ceil((kernel + worker) * 1.25) if measured else None
    return per_job, (math.ceil(server) if server else None)


#: Execution times of notebooks in earlier runs on this machine, in any output folder (in the
#: cache folder): a run whose output folder has no published set still starts its longest
#: notebooks first.
DURATIONS_FILE = "notebook_durations.json"


def known_durations() -> dict[tuple[int, str], float]:
    """Seconds each (edition, notebook) took to execute when last run on this machine."""
    try:
        doc = json.loads((config.cache_dir() / DURATIONS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out = {}
    for key, seconds in doc.items() if isinstance(doc, dict) else ():
        year, _, name = str(key).partition("/")
        if year.isdigit() and name and isinstance(seconds, int | float):
            out[(int(year), name)] = float(seconds)
    return out


def remember_durations(results: list[NotebookResult]) -> None:
    """Add the execution times of ``results`` (executed, not reused) to `known_durations`."""
    ran = {(r.year, r.name): r.duration_s for r in results if r.status == "ok" and not r.cached}
    if not ran:
        return
    doc = {f"{y}/{n}": s for (y, n), s in {**known_durations(), **ran}.items()}
    path = config.cache_dir() / DURATIONS_FILE
    with contextlib.suppress(OSError):  # only a scheduling hint: a read-only cache is no error
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(doc, indent=0, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)


# ------------------------------------------------------------------ the batch
@dataclass
class Plan:
    """A checked request: what to run, where, with which parameters."""

    opts: RunOptions
    nb_dir: Path
    available: list[Path]
    notebooks: list[Path]
    years: list[int]
    params: dict[Path, dict]
    set_name: str
    out: Path


def plan_run(opts: RunOptions) -> Plan:
    """Check the whole request before anything is written.

    Options, notebooks, editions, parameters (against the schema), data files and the output
    folder; the first problem raises `EgovError` (one line with the fix).
    """
    if not (isinstance(opts.timeout, (int, float)) and math.isfinite(opts.timeout)):
        raise EgovError(
            f"--timeout {opts.timeout}: not a finite number of seconds. Fix: e.g. --timeout 900"
        )
    if opts.timeout <= 0:
        raise EgovError(f"--timeout {opts.timeout:g}: must be a positive number of seconds")
    if opts.jobs is not None and opts.jobs < 1:
        raise EgovError(f"--jobs {opts.jobs}: must be at least 1")
    if opts.pdf:  # fail before any notebook runs, not after the batch
        from .pdf import find_chromium

        find_chromium()
    nb_dir = Path(opts.notebooks_dir or config.NOTEBOOKS_DIR).resolve()
    available = discover_notebooks(nb_dir)
    notebooks = select_notebooks(available, opts.notebooks)
    years = resolve_years(opts.year, opts.all_years)
    where = str(opts.params) if opts.params else "parameters"
    schema = load_schema(nb_dir)
    common, per = load_params(opts.params)
    params = plan_parameters(notebooks, common, per, where, available=available, schema=schema)
    check_countries(params, schema, where)
    if opts.name:
        set_name = publish.check_set_name(opts.name)
    elif opts.params:
        set_name = publish.check_set_name(Path(opts.params).stem, f"--params {opts.params}")
    else:
        set_name = ""
    latest = catalogue_editions()[-1]
    no_year = [nb.stem for nb in notebooks if "year" not in notebook_info(nb).parameters]
    other = [y for y in years if y != latest]
    if no_year and other:
        raise SpecError(
            f"{', '.join(no_year)} has no `year` parameter, so it cannot make a report for "
            f"{', '.join(map(str, other))} (it would show {latest} content under that edition). "
            "Fix: add `year = None` to its parameters cell and use it, or run it without --year"
        )
    from ..sources import require_files

    require_files()  # every catalogued file: present, readable, unaltered (even if unused)
    out = publish.check_out_dir(opts.out or config.OUTPUTS_DIR)
    from .index import is_our_index

    if not is_our_index(out / "index.html"):
        raise EgovError(
            f"{out / 'index.html'}: exists and was not written by egov run; the run would "
            "replace it. Fix: move it away or choose another --out"
        )
    return Plan(opts, nb_dir, available, notebooks, years, params, set_name, out)


def run_batch(opts: RunOptions) -> BatchReport:
    """Execute the notebooks for each edition and publish each report set without losing work.

    Returns
    -------
    BatchReport
        Per set: results, the published folder or the ``.failed-*`` folder; timings.

    Raises
    ------
    EgovError
        For anything the user must fix (one line with the fix): bad parameters, editions,
        notebooks, data, output folder, a run already writing there, a full disk.
    pool.Interrupted
        On Ctrl-C or SIGTERM (nothing is published; temporary folders are removed).
    """
    from .pool import interruptible

    t0 = time.monotonic()
    plan = plan_run(opts)
    batch = _Batch(plan, t0)
    batch.phases["check"] = time.monotonic() - t0
    lock = publish.OutputLock(plan.out)
    lock.acquire(wait=opts.wait, command=opts.command)
    try:
        with interruptible():
            publish.sweep_leftovers(plan.out)
            for y in plan.years:
                for folder in {
                    publish.set_dir(plan.out, y, plan.set_name),
                    publish.set_dir(plan.out, y),
                }:
                    if folder.exists() and not publish.is_ours(folder):
                        raise EgovError(
                            f"{folder}: exists and was not made by egov run (no manifest.json "
                            "of its own); the run would replace it. Fix: move it away or "
                            "choose another --out"
                        )
            return batch.run()
    except OSError as exc:
        batch.discard_builds()
        raise publish.os_error(exc, exc.filename or plan.out, plan.out) from exc
    except BaseException:
        batch.discard_builds()  # an interrupted run leaves the published sets untouched
        raise
    finally:
        lock.release()


class _Batch:
    """One batch after its checks: reuse, execute, publish (the lock is held by the caller)."""

    def __init__(self, plan: Plan, t0: float):
        from .. import __version__

        self.plan, self.opts, self.t0 = plan, plan.opts, t0
        self.version = __version__
        self.phases: dict[str, float] = {}
        self.builds: dict[int, Path] = {}
        self.started = datetime.now(UTC)
        self.stamp = self.started.strftime("%Y%m%dT%H%M%SZ")
        self.git = git_info()
        self.runs = {y: YearRun(y, set_name=plan.set_name) for y in plan.years}
        self.old = {y: read_manifest(self.dest(y)) for y in plan.years}
        self.keys: dict[tuple[int, str], str] = {}

    def dest(self, year: int) -> Path:
        return publish.set_dir(self.plan.out, year, self.plan.set_name)

    def old_set(self, year: int) -> dict | None:
        m = self.old.get(year)
        return m if m and m.get("kind", "set") == "set" else None

    def discard_builds(self) -> None:
        for b in self.builds.values():
            shutil.rmtree(b, ignore_errors=True)
        self.builds.clear()

    def run(self) -> BatchReport:
        from .pool import plan_jobs

        t = time.monotonic()
        todo = self.reuse_or_plan()
        self.phases["cache"] = time.monotonic() - t
        per_job, server = measured_memory_mb(self.plan.out)
        jp = plan_jobs(self.opts.jobs, len(todo), per_job, server_mb=server)
        if jp.note:
            print(f"egov run: {jp.note}", file=sys.stderr)
        t = time.monotonic()
        kernels_info = self.execute(todo, jp.jobs) if todo else {}
        self.phases["execute"] = time.monotonic() - t
        t = time.monotonic()
        self.publish_all(jp.jobs, kernels_info)
        self.phases["publish"] = time.monotonic() - t
        self.phases["wall"] = time.monotonic() - self.t0
        return BatchReport(list(self.runs.values()), self.phases, jp.jobs, jp.note, kernels_info)

    # -- which notebooks to execute
    def reuse_or_plan(self) -> list[NotebookJob]:
        """Reuse the unchanged notebooks; return the others as jobs, longest first.

        A notebook whose inputs are unchanged is hard-linked from the published set into the
        build; the order of the jobs follows the last run's durations.
        """
        plan, opts = self.plan, self.opts
        run_date = self.started.strftime("%Y-%m-%d %H:%M UTC")
        todo: list[NotebookJob] = []
        previous: dict[tuple[int, str], float] = {}
        for y in plan.years:
            self.builds[y] = publish.new_build(plan.out, y, plan.set_name, self.stamp)
            old_entries = {e["name"]: e for e in (self.old_set(y) or {}).get("notebooks", [])}
            for nb in plan.notebooks:
                takes_year = "year" in notebook_info(nb).parameters
                p = {**({"year": y} if takes_year else {}), **plan.params.get(nb, {})}
                key = cache.notebook_key(nb, p, {"show_code": opts.show_code, "pdf": opts.pdf})
                self.keys[(y, nb.stem)] = key
                e = old_entries.get(nb.stem)
                if e:
                    previous[(y, nb.stem)] = float(e.get("duration_s") or 0)
                if not opts.force and e and cache.reusable(e, self.dest(y), key):
                    for fname in e["outputs"]:
                        publish.link_file(self.dest(y) / fname, self.builds[y] / fname)
                    self.runs[y].results.append(_entry_result(e, y, cached=True))
                    continue
                facts = [("Survey edition", str(y))]
                if plan.set_name:
                    facts.append(("Report set", plan.set_name.replace("_", " ")))
                facts += [
                    ("Run date", run_date),
                    ("Git commit", self.git["label"]),
                ]  # + the parameters in words, by the worker (naming countries imports pandas)
                todo.append(
                    NotebookJob(
                        source=nb,
                        output=self.builds[y] / nb.name,
                        year=y,
                        parameters=p,
                        timeout=opts.timeout,
                        facts=tuple(facts),
                        show_code=opts.show_code,
                        pdf=opts.pdf,
                        version=self.version,
                        set_name=plan.set_name,
                    )
                )
        # Longest first (durations of the published set, else of earlier runs on this machine),
        # so that no long notebook starts last; unknown ones first, newest editions first: they
        # have the most data to analyse.
        known = known_durations()
        todo.sort(
            key=lambda j: (
                -previous.get(
                    (j.year, j.source.stem), known.get((j.year, j.source.stem), math.inf)
                ),
                -j.year,
            )
        )
        return todo

    # -- execution
    def execute(self, todo: list[NotebookJob], n_jobs: int) -> dict:
        """Run ``todo`` on a pool; results go into the runs. Returns the kernel server's facts."""
        from tqdm.auto import tqdm

        from .kernels import PREIMPORTS, fork_is_safe
        from .pool import Pool

        opts = self.opts
        sources = {j.source for j in todo}
        # Imported before a notebook starts: modules every notebook of the batch imports anyway,
        # and egovlib's own modules any of them imports (importing them sets no state a notebook
        # could see; tests/test_runner.py checks it).
        imports = [set(notebook_info(s).imports) for s in sources]
        common_imports = set.intersection(*imports) | {
            m for nb in imports for m in nb if m.split(".")[0] == "egovlib"
        }
        has_brief = any("egovlib.brief" in nb for nb in imports)
        if has_brief:
            # The set's index pages will need the brief's module: import it now, while the
            # kernel server warms up (a CPU is mostly idle then), not after the last notebook.
            _preload_brief()
        mode = opts.kernels if opts.kernels == "spawn" or fork_is_safe() else "spawn"
        years = sorted({j.year for j in todo})
        executed_at = self.started.isoformat(timespec="seconds")
        bar = tqdm(
            total=len(todo),
            unit="nb",
            desc=f"egov run {_years_label(years)}",
            disable=None if opts.progress is None else not opts.progress,
            file=sys.stderr,
        )

        def on_result(job: NotebookJob, res: NotebookResult) -> None:
            res.cache_key = self.keys[(job.year, job.source.stem)]
            res.executed_at = executed_at
            res.git_commit = self.git["label"]
            res.set_name = job.set_name
            self.runs[job.year].results.append(res)
            bar.set_postfix_str(f"{res.name} {job.year}: {res.status}")
            bar.update()
            if res.status != "ok":
                bar.write(f"FAILED {job.year} {res.name}: {res.error}")

        try:
            with Pool(
                jobs=n_jobs,
                total=len(todo),
                notebooks_dir=self.plan.nb_dir,
                preimports=[*PREIMPORTS, *sorted(common_imports)],
                mode=mode,
                # the brief's pages are written by the worker that exports it
                export_imports=["egovlib.brief"] if has_brief else [],
            ) as pool:
                pool.run(todo, on_result)
                return pool.info()
        finally:
            bar.close()

    # -- publication
    def publish_all(self, n_jobs: int, kernels_info: dict) -> None:
        """Publish every set whose notebooks all succeeded; keep the others as failed runs."""
        from .index import write_top_index, write_year_index

        remember_durations([r for run in self.runs.values() for r in run.results])
        run_facts = self._run_facts(n_jobs, kernels_info)
        wall = time.monotonic() - self.t0
        touched = [y for y, run in self.runs.items() if self._publish_set(y, run, run_facts, wall)]
        for y in touched:
            write_year_index(self.plan.out, y, self.version)
        if touched or not (self.plan.out / "index.html").exists():
            write_top_index(self.plan.out, self.version)

    def _run_facts(self, n_jobs: int, kernels_info: dict) -> dict:
        """Facts of the batch that go into every set's manifest."""
        opts = self.opts
        return {
            "command": opts.command,
            "invocation": invocation(opts),
            "jobs": n_jobs,
            "timeout_s": opts.timeout,
            "show_code": opts.show_code,
            "pdf": opts.pdf,
            "forced": opts.force,
            "params_file": str(opts.params) if opts.params else None,
            "params_file_sha256": _sha_or_none(opts.params),
            "kernels": {
                "mode": kernels_info.get("mode", ""),
                "policy": "a new kernel for every notebook, started ahead by a pre-warmed server",
                "server_rss_mb": kernels_info.get("rss_mb"),
                "warm_up_s": kernels_info.get("warm_up_s"),
            },
            "git": self.git,
        }

    def _keep_earlier(self, year: int, run: YearRun, old: dict | None) -> set[str]:
        """Add the set's notebooks that are not part of this run (kept as published).

        A subset run updates only its own notebooks; a full run drops notebooks that no longer
        exist in the notebooks folder.
        """
        ran = {r.name for r in run.results}
        current = {nb.stem for nb in self.plan.available}
        keep = set()
        for e in (old or {}).get("notebooks", []):
            if e["name"] not in ran and (self.opts.notebooks or e["name"] in current):
                keep.add(e["name"])
                kept = _entry_result(e, year, cached=True)
                kept.kept = True
                run.results.append(kept)
        order = {nb.stem: i for i, nb in enumerate(self.plan.available)}
        run.results.sort(key=lambda r: order.get(r.name, 99))
        return keep

    def _publish_set(self, year: int, run: YearRun, run_facts: dict, wall: float) -> bool:
        """Publish (or keep as failed) one set; False if it was already up to date."""
        from .index import write_set_index
        from .pool import signals_deferred

        t0, build, old, dest = (
            time.monotonic(),
            self.builds[year],
            self.old_set(year),
            self.dest(year),
        )
        keep = self._keep_earlier(year, run, old)
        names = [r.name for r in run.results]
        if old and all(r.cached for r in run.results) and names == _names(old):
            # Nothing changed (like `make`: nothing to be done): the set stays as it is.
            shutil.rmtree(self.builds.pop(year), ignore_errors=True)
            run.published, run.up_to_date = dest, True
            run.publish_s = time.monotonic() - t0
            return False
        publish.carry_over(dest, build, keep, old, subfolders=False)
        if any("No space left" in r.error or "Errno 28" in r.error for r in run.results):
            raise OSError(errno.ENOSPC, "No space left on device", str(build))
        manifest = build_manifest(
            year=year,
            set_name=self.plan.set_name,
            entries=[notebook_entry(r) for r in run.results],
            started=self.started,
            wall_s=wall,
            run=run_facts,
        )
        for r in run.results:  # a data file changed during the run: its readers failed
            if manifest["data_problems"] and r.status == "ok" and not r.cached:
                r.status, r.error = "failed", "; ".join(manifest["data_problems"])
        write_json(build / "manifest.json", manifest)
        ok = run.ok and manifest["status"] == "ok"
        if ok:  # the year's other report sets stay inside the year's folder
            for sub in sorted(p for p in dest.glob("*") if p.is_dir() and p.name[0] != "."):
                publish.link_tree(sub, build / sub.name)
        write_set_index(build, self.version, failed=not ok)
        with signals_deferred():  # the swap and the rename are not interrupted half-way
            if ok and self.plan.set_name:
                publish.ensure_year_dir(self.plan.out, year)
            if ok:
                run.published = publish.publish_dir(build, dest)
            else:
                run.failed_dir = publish.fail_dir(
                    build, self.plan.out, year, self.plan.set_name, self.stamp
                )
            del self.builds[year]
        run.publish_s = time.monotonic() - t0
        return True


def _preload_brief() -> None:
    """Import `egovlib.brief` in a background thread (once), while the kernels warm up and run.

    A set with a brief renders its index pages with it; the import takes seconds that would
    otherwise come after the last notebook.
    """
    if "egovlib.brief" in sys.modules or _PRELOAD:
        return
    import importlib
    import threading

    _PRELOAD.append(
        threading.Thread(
            target=importlib.import_module,
            args=("egovlib.brief",),
            name="egov-preload",
            daemon=True,
        )
    )
    _PRELOAD[0].start()


_PRELOAD: list = []


def _names(manifest: dict) -> list[str]:
    return [e["name"] for e in manifest.get("notebooks", [])]


def _sha_or_none(path) -> str | None:
    from ..sources import sha256_of

    with contextlib.suppress(OSError, TypeError):
        return sha256_of(Path(path))
    return None


# ------------------------------------------------------------------ the terminal
def results_table(runs: list[YearRun]) -> str:
    """A plain-text summary of a batch (one line per notebook), for the terminal."""
    lines = []
    for run in runs:
        label = f"{run.year}" + (f" {run.set_name}" if run.set_name else "")
        for r in run.results:
            how = "reused" if r.cached else f"{r.duration_s:7.1f} s"
            if r.kept:
                how = "kept"
            lines.append(
                f"{label}  {r.name:32} {r.status:8} {how:>9}" + (f"  {r.error}" if r.error else "")
            )
        where = run.published or run.failed_dir
        verdict = "published" if run.published else "NOT published (last good set kept)"
        if run.up_to_date:
            verdict = "up to date (no input changed; nothing executed or rewritten)"
        lines.append(f"{label}: {verdict} -> {where}")
    return "\n".join(lines)


def profile_table(report: BatchReport) -> str:
    """Where the time went (``egov run --profile``): per notebook and per phase, seconds."""
    head = (
        f"{'edition':8} {'notebook':28} {'how':7} {'kernel wait':>11} {'execution':>10} "
        f"{'(its CPU)':>9} {'export':>7} {'publish':>8}"
    )
    lines = ["", "Profile (seconds; publish = the report set's, shared by its notebooks)", head]
    lines.append("-" * len(head))
    for run in report.runs:
        for r in run.results:
            tm = r.timings or {}
            wait = ex = cpu = exp = 0.0
            how = ("kept" if r.kept else "reused") if r.cached else "ran"
            if not r.cached:
                wait, ex = tm.get("kernel_wait", 0), tm.get("execution", 0)
                cpu = tm.get("kernel_cpu") or 0
                exp = tm.get("export", 0) + tm.get("finalise", 0)
            lines.append(
                f"{run.year:<8} {r.name[:28]:28} {how:7} {wait:11.2f} {ex:10.2f} {cpu:9.2f} "
                f"{exp:7.2f} {run.publish_s:8.2f}"
            )
    ph = report.phases
    k = report.kernels
    lines.append(
        "phases: "
        + ", ".join(f"{name} {ph[name]:.2f}" for name in ("check", "cache", "execute", "publish"))
        + f"; wall {ph.get('wall', 0):.2f}; workers {report.jobs}"
        + (
            f"; kernel server ({k.get('mode')}) warm-up {k.get('warm_up_s')} s, "
            f"{k.get('rss_mb')} MB, {k.get('kernels_started')} kernels"
            if k
            else "; nothing executed"
        )
    )
    return "\n".join(lines)
