"""The batch: select notebooks and parameters, execute them in parallel, publish per year."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .. import config
from ..errors import EgovError, SpecError
from . import publish
from .execute import NotebookJob, NotebookResult, execute_notebook, notebook_parameters
from .html import export_html, notebook_title, render_index

log = logging.getLogger(__name__)

#: Default time limit of one notebook (whole notebook, seconds).
DEFAULT_TIMEOUT = 900
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"


@dataclass(frozen=True)
class RenderOptions:
    """What every report of one run shows (computed once, in the parent process)."""

    run_date: str
    commit: str
    show_code: bool
    version: str
    pdf: bool = False  # also print each report to PDF (`egov run --pdf`, runner/pdf.py)


@dataclass
class YearRun:
    """The outcome of one survey year: its results and where the report set went."""

    year: int
    results: list[NotebookResult] = field(default_factory=list)
    published: Path | None = None
    failed_dir: Path | None = None

    @property
    def ok(self) -> bool:
        """True when every notebook of this year ran without error."""
        return bool(self.results) and all(r.status == "ok" for r in self.results)


# ------------------------------------------------------------------ selection
def discover_notebooks(folder: Path | None = None) -> list[Path]:
    """The numbered notebooks ``NN_name.ipynb`` of ``folder`` (default ``notebooks/``), sorted."""
    folder = Path(folder or config.NOTEBOOKS_DIR)
    found = sorted(folder.glob(NOTEBOOK_GLOB))
    if not found:
        raise EgovError(f"no notebooks named NN_name.ipynb in {folder}")
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


def load_params(path: Path | str | None) -> tuple[dict, dict[str, dict]]:
    """Read a parameters file: ``(common parameters, {notebook: its own parameters})``.

    The YAML file maps parameter names to values (lists and dicts allowed) for every notebook;
    an optional ``notebooks:`` mapping gives per-notebook values keyed by name or number.
    """
    if path is None:
        return {}, {}
    import yaml

    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SpecError(f"{path}: cannot read the parameters file ({exc})") from exc
    if not isinstance(doc, dict):
        raise SpecError(f"{path}: expected a mapping `name: value`, got {type(doc).__name__}")
    if "year" in doc:
        raise SpecError(
            f"{path}: `year` is set with --year or --all-years, not in the "
            "parameters file; remove it"
        )
    per = doc.pop("notebooks", None) or {}
    if not isinstance(per, dict) or not all(isinstance(v, dict) for v in per.values()):
        raise SpecError(f"{path}: `notebooks:` must map a notebook name to its parameters")
    return doc, {str(k): v for k, v in per.items()}


def plan_parameters(
    notebooks: list[Path],
    common: dict,
    per_notebook: dict[str, dict],
    params_file: str = "the parameters file",
    available: list[Path] | None = None,
) -> dict[Path, dict]:
    """Parameters to inject into each notebook (without ``year``), checked against its cell.

    A common parameter is injected into the notebooks that declare it. A parameter that no
    notebook in the folder declares (``available``, default ``notebooks``) is an error: a typo
    would otherwise be silently ignored. So is a per-notebook value the notebook does not take.
    Per-notebook entries of notebooks not selected for this run are ignored.
    """
    available = available or notebooks
    declared = {nb: notebook_parameters(nb) for nb in dict.fromkeys([*available, *notebooks])}
    unknown = [k for k in common if not any(k in d for d in declared.values())]
    if unknown:
        listing = "; ".join(f"{nb.stem}: {', '.join(d) or '(none)'}" for nb, d in declared.items())
        raise SpecError(
            f"{params_file}: parameter(s) {unknown} are declared by no notebook. "
            f"Declared parameters: {listing}"
        )
    plan = {nb: {k: v for k, v in common.items() if k in declared[nb]} for nb in notebooks}
    for key, values in per_notebook.items():
        (nb,) = select_notebooks(list(declared), [key])
        bad = [k for k in values if k not in declared[nb] or k == "year"]
        if bad:
            raise SpecError(
                f"{params_file}: `notebooks: {key}` sets {bad}, which {nb.stem} does "
                f"not accept. Its parameters: "
                f"{', '.join(k for k in declared[nb] if k != 'year')}"
            )
        if nb in plan:
            plan[nb].update(values)
    return plan


def resolve_years(year: int | None, all_years: bool) -> list[int]:
    """Editions to run: all, the one asked for (checked), or the latest."""
    from ..panel import check_editions, editions, latest_edition

    if all_years:
        if year is not None:
            raise EgovError("use either --year or --all-years, not both")
        return editions()
    if year is None:
        return [latest_edition()]
    check_editions([year])
    return [int(year)]


# ------------------------------------------------------------------ worker
def run_one(
    job: NotebookJob, render: RenderOptions, facts: list[tuple[str, str]]
) -> NotebookResult:
    """Worker: execute one notebook, then render its HTML report next to it."""
    result = execute_notebook(job)
    facts = [*facts, ("Run time", f"{result.duration_s:.1f} s")]
    try:
        # The brief (00) hands its findings over in its output: its pages in every language
        # (00_brief.html, 00_brief.ar.html) and its data (00_brief.json) are written from them.
        from ..brief import write_brief_pages

        pages = write_brief_pages(job.output, facts=facts, version=render.version)
        if job.output.with_suffix(".html") not in pages:
            export_html(
                job.output,
                job.output.with_suffix(".html"),
                facts=facts,
                year=job.year,
                status=result.status,
                error=result.error,
                show_code=render.show_code,
                version=render.version,
                pdf=render.pdf,
            )
            pages = [job.output.with_suffix(".html")]
    except Exception as exc:  # a broken report is a failed notebook, not a crashed batch
        result.status = "failed"
        result.error = f"HTML export failed: {type(exc).__name__}: {exc}"
        return result
    if render.pdf:  # a PDF of every page (the brief has one per language)
        from .pdf import write_pdf

        try:
            for page in (p for p in pages if p.suffix == ".html"):
                write_pdf(page, page.with_suffix(".pdf"))
        except Exception as exc:  # noqa: BLE001 - reported as the notebook's failure
            result.status = "failed"
            result.error = f"PDF export failed: {exc}"
    return result


def skip_slow_optional_imports() -> None:
    """Keep jsonschema from importing `rfc3987_syntax` (~2 s of grammar building per process).

    nbformat validates notebooks with jsonschema, which imports that optional package only to
    check the ``iri`` string format, which notebook schemas do not use. Called by `egov run` and
    its workers only, never on import of egovlib.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]


def _worker_init() -> None:
    # Import the heavy modules once per worker process, not once per notebook.
    skip_slow_optional_imports()
    import nbconvert  # noqa: F401
    import papermill  # noqa: F401

    logging.getLogger("papermill").setLevel(logging.ERROR)
    logging.getLogger("traitlets").setLevel(logging.ERROR)


def _prefetch_tables() -> None:
    """Parse every reader's table once in the parent so kernels only read the parquet cache."""
    from ..readers import load_table, readers

    for name in sorted(readers()):
        try:
            load_table(name)
        except EgovError as exc:  # the notebooks that need this table will show the error
            log.warning("could not prefetch table %s: %s", name, str(exc).splitlines()[0])


# ------------------------------------------------------------------ the batch
def run_batch(
    *,
    years: list[int],
    notebooks: list[Path],
    params: dict[Path, dict],
    out: Path | None = None,
    jobs: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    show_code: bool = False,
    progress: bool | None = None,
    params_file: str | None = None,
    isolate: bool = False,
    pdf: bool = False,
) -> list[YearRun]:
    """Execute ``notebooks`` for each of ``years`` and publish ``out/<year>/`` atomically.

    Parameters
    ----------
    years : list of int
        Survey editions (already checked).
    notebooks : list of Path
        Notebooks to run, in order.
    params : dict of Path to dict
        Parameters per notebook (``year`` is added per edition).
    out : Path, optional
        Output folder (default ``outputs/``); each year goes to ``out/<year>/``.
    jobs : int, optional
        Worker processes (default: number of CPUs, at most the number of notebooks).
    timeout : float
        Time limit of one notebook, seconds.
    show_code : bool
        Include code cells in the HTML reports.
    progress : bool, optional
        Progress bar (default: only on a terminal).
    isolate : bool
        A new kernel for every notebook (default: each worker reuses its kernel after a
        success, with the namespace and settings reset; see `execute_notebook`).
    pdf : bool
        Also write a PDF of each report (A4, headless Chromium; `egovlib.runner.pdf`).

    Returns
    -------
    list of YearRun
        Per year: results, the published folder, or the ``<year>.failed-<stamp>`` folder.
    """
    from tqdm.auto import tqdm

    from .. import __version__

    out = Path(out or config.OUTPUTS_DIR).resolve()
    out.mkdir(parents=True, exist_ok=True)
    publish.remove_stale_builds(out)
    started = datetime.now(UTC)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    render = RenderOptions(
        run_date=started.strftime("%Y-%m-%d %H:%M UTC"),
        commit=publish.git_commit_label(),
        show_code=show_code,
        version=__version__,
        pdf=pdf,
    )
    _prefetch_tables()
    runs = {y: YearRun(y) for y in years}
    builds = {y: out / f".build-{y}-{stamp}-{os.getpid()}" for y in years}
    for b in builds.values():
        b.mkdir()
    work = []
    takes_year = {nb: "year" in notebook_parameters(nb) for nb in notebooks}
    for y in years:
        for nb in notebooks:
            # A notebook without a `year` parameter cannot be told the edition: run it as is.
            p = {**({"year": y} if takes_year[nb] else {}), **params.get(nb, {})}
            facts = [
                ("Survey edition", str(y)),
                ("Run date", render.run_date),
                ("Git commit", render.commit),
                ("Parameters", _describe(p) or "defaults"),
            ]
            work.append(
                (
                    NotebookJob(
                        source=nb,
                        output=builds[y] / nb.name,
                        year=y,
                        parameters=p,
                        timeout=timeout,
                        cwd=nb.parent,
                        reuse_kernel=not isolate,
                    ),
                    facts,
                )
            )
    # Longest first (by the last published run's durations) so a slow notebook does not start last.
    previous = _previous_durations(out, years)
    work.sort(key=lambda w: -previous.get((w[0].year, w[0].source.stem), float("inf")))
    n_jobs = max(1, min(jobs or os.cpu_count() or 1, len(work)))
    t0 = time.monotonic()
    try:
        with ProcessPoolExecutor(
            n_jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_init
        ) as pool:
            futures = {pool.submit(run_one, job, render, facts): job for job, facts in work}
            bar = tqdm(
                total=len(futures),
                unit="nb",
                desc=f"egov run {_years_label(years)}",
                disable=None if progress is None else not progress,
                file=sys.stderr,
            )
            for fut in as_completed(futures):
                job = futures[fut]
                try:
                    res = fut.result()
                except Exception as exc:  # worker crashed: record it, keep the batch going
                    res = NotebookResult(
                        job.source.stem,
                        job.year,
                        "failed",
                        0.0,
                        job.parameters,
                        f"worker crashed: {exc!r}",
                    )
                runs[job.year].results.append(res)
                bar.set_postfix_str(f"{res.name} {job.year}: {res.status}")
                bar.update()
                if res.status != "ok":
                    bar.write(f"FAILED {job.year} {res.name}: {res.error}")
            bar.close()
    except BaseException:
        for b in builds.values():  # an interrupted run leaves the published sets untouched
            shutil.rmtree(b, ignore_errors=True)
        raise
    wall = time.monotonic() - t0
    order = {nb.stem: i for i, nb in enumerate(notebooks)}
    for y, run in runs.items():
        run.results.sort(key=lambda r: order[r.name])
        manifest = publish.write_manifest(
            builds[y],
            year=y,
            results=run.results,
            started=started,
            wall_s=wall,
            jobs=n_jobs,
            timeout=timeout,
            show_code=show_code,
            params_file=params_file,
            commit=render.commit,
            isolate=isolate,
        )
        if manifest["data_problems"]:
            for r in run.results:
                if r.status == "ok":
                    r.status, r.error = "failed", "; ".join(manifest["data_problems"])
        _write_index(builds[y], run, render, wall)
        if run.ok:
            run.published = publish.publish_dir(builds[y], out / str(y))
        else:
            run.failed_dir = out / f"{y}.failed-{stamp}"
            os.replace(builds[y], run.failed_dir)
    publish.write_top_index(out, __version__)
    return list(runs.values())


def _write_index(build: Path, run: YearRun, render: RenderOptions, wall: float) -> None:
    import nbformat

    rows = []
    for r in run.results:
        nb_path = build / f"{r.name}.ipynb"
        try:
            title = notebook_title(nbformat.read(nb_path, as_version=4))
        except Exception:  # noqa: BLE001 - unreadable notebook still gets a row
            title = ""
        rows.append(
            {
                "number": r.name[:2],
                "title": title or r.name,
                "html": f"{r.name}.html",
                "ipynb": f"{r.name}.ipynb",
                "status": r.status,
                "duration": f"{r.duration_s:.1f} s",
                "error": r.error,
                "stderr_outputs": r.stderr_outputs,
            }
        )
    n_ok = sum(r.status == "ok" for r in run.results)
    facts = [
        ("Survey edition", str(run.year)),
        ("Run date", render.run_date),
        ("Git commit", render.commit),
        ("Notebooks", f"{n_ok} of {len(run.results)} succeeded"),
        ("Batch wall time", f"{wall:.1f} s"),
        ("Code", "shown" if render.show_code else "hidden (egov run --show-code)"),
    ]
    params: dict[str, dict[str, str]] = {}
    for r in run.results:
        for k, v in r.parameters.items():
            if k != "year":
                params.setdefault(k, {}).setdefault(json.dumps(v, default=str), []).append(r.name)
    prow = [
        (k, v, ", ".join(names) if len(names) < len(run.results) else "all notebooks")
        for k, vals in params.items()
        for v, names in vals.items()
    ]
    from ..brief import index_headline, write_index_pages

    render_index(
        build / "index.html",
        title=f"E-Government Survey {run.year}: reports",
        facts=facts,
        rows=rows,
        params=prow,
        version=render.version,
        headline=index_headline(build),  # the brief's findings, "" without a brief
    )
    write_index_pages(build, rows, year=run.year, version=render.version)  # index.ar.html


def _previous_durations(out: Path, years: list[int]) -> dict[tuple[int, str], float]:
    """Run time of each notebook in the published sets, from their manifests (if any)."""
    found: dict[tuple[int, str], float] = {}
    for y in years:
        try:
            m = json.loads((out / str(y) / "manifest.json").read_text(encoding="utf-8"))
            for nb in m["notebooks"]:
                found[(y, nb["name"])] = float(nb["duration_s"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return found


def _describe(params: dict) -> str:
    return ", ".join(f"{k}={json.dumps(v, default=str)}" for k, v in params.items())


def _years_label(years: list[int]) -> str:
    return str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"


def results_table(runs: list[YearRun]) -> str:
    """A plain-text summary of a batch (one line per notebook), for the terminal."""
    lines = []
    for run in runs:
        for r in run.results:
            lines.append(
                f"{run.year}  {r.name:32} {r.status:8} {r.duration_s:7.1f} s"
                + (f"  {r.error}" if r.error else "")
            )
        where = run.published or run.failed_dir
        verdict = "published" if run.published else "NOT published (last good set kept)"
        lines.append(f"{run.year}: {verdict} -> {where}")
    return "\n".join(lines)
