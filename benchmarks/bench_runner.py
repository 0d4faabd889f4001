"""Time `egov run` against the naive loop (papermill CLI, then nbconvert CLI, one by one).

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_runner.py                 # all notebooks, latest edition
    .venv/bin/python benchmarks/bench_runner.py --year 2022 --notebooks 01 02 --repeat 2

Both sides run the same notebooks with the same parameters and start from the same warm parquet
cache (filled once, untimed, before timing). (a) is the `egov` command as a user types it;
(b) is what a user would otherwise script: for each notebook ``papermill ... -p year YEAR``
then ``jupyter nbconvert --to html --no-input``. Each side is timed end to end (wall clock,
including every process start-up). The machine's load is printed with the numbers because
other jobs on a shared machine change them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def warm_cache() -> None:
    """Parse every reader once so that both contenders read the parquet cache."""
    code = (
        "from egovlib.readers import readers, load_table\n"
        "for n in sorted(readers()):\n"
        "    try: load_table(n)\n"
        "    except Exception as e: print('warning:', n, str(e).splitlines()[0])\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def notebooks_for(selection: list[str] | None) -> list[Path]:
    from egovlib.runner import discover_notebooks, select_notebooks

    return select_notebooks(discover_notebooks(), selection)


def time_egov_run(
    notebooks: list[Path],
    year: int,
    params: str | None,
    jobs: int | None,
    out: Path,
    isolate: bool = False,
) -> float:
    cmd = [
        str(BIN / "egov"),
        "run",
        "--year",
        str(year),
        "--out",
        str(out),
        "--notebooks",
        *[nb.stem for nb in notebooks],
    ]
    if params:
        cmd += ["--params", params]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    if isolate:
        cmd += ["--isolate"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"egov run failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr[-3000:]}")
    return elapsed


def time_naive_loop(notebooks: list[Path], year: int, params: str | None, out: Path) -> float:
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    for nb in notebooks:
        executed = out / nb.name
        cmd = [
            str(BIN / "papermill"),
            str(nb),
            str(executed),
            "-k",
            "python3",
            "-p",
            "year",
            str(year),
            "--cwd",
            str(nb.parent),
            "--no-progress-bar",
        ]
        if params:
            cmd += ["-f", params]
        subprocess.run(cmd, cwd=REPO, check=True, capture_output=True)
        subprocess.run(
            [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
            cwd=REPO,
            check=True,
            capture_output=True,
        )
    return time.perf_counter() - t0


def compare_outputs(egov_dir: Path, naive_dir: Path, notebooks: list[Path]) -> list[str]:
    """Notebooks whose outputs differ between the two runs (after the runner's normalisation
    of run-time-varying ids and addresses): the speed must not change the numbers."""
    import nbformat

    from egovlib.runner.execute import _finalise_notebook

    differ = []
    for nb in notebooks:
        a, b = egov_dir / nb.name, naive_dir / nb.name
        _finalise_notebook(b)
        cells_a = [c.get("outputs") or [] for c in nbformat.read(a, as_version=4).cells]
        cells_b = [c.get("outputs") or [] for c in nbformat.read(b, as_version=4).cells]
        if cells_a == cells_b:
            continue
        # Name what differs: a figure only (e.g. unseeded jitter, which `egov run` seeds and the
        # naive loop does not) is not a changed number.
        kinds = set()
        for oa, ob in zip(cells_a, cells_b, strict=True):
            if oa != ob:
                for x, y in zip(oa, ob, strict=False):
                    if x != y:
                        kinds |= {
                            k
                            for k in set(x.get("data", {})) | set(y.get("data", {}))
                            if x.get("data", {}).get(k) != y.get("data", {}).get(k)
                        }
                        kinds |= {"stream"} if x.get("text") != y.get("text") else set()
                kinds |= {"count"} if len(oa) != len(ob) else set()
        differ.append(f"{nb.stem} ({', '.join(sorted(kinds))})")
    return differ


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--year", type=int, default=None, help="survey edition (default: latest)")
    ap.add_argument("--notebooks", nargs="+", default=None, help="subset (default: all)")
    ap.add_argument("--params", default=None, help="YAML parameters file for both sides")
    ap.add_argument("--jobs", type=int, default=None, help="egov run --jobs (default: CPUs)")
    ap.add_argument("--repeat", type=int, default=1, help="timed runs of each side")
    ap.add_argument("--isolate", action="store_true", help="egov run --isolate (new kernels)")
    ap.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = ap.parse_args(argv)

    from egovlib import latest_edition

    year = args.year or latest_edition()
    notebooks = notebooks_for(args.notebooks)
    if args.params and (REPO / "notebooks" / "params").exists():
        # papermill -f injects every key into every notebook; keep the comparison fair by
        # using a file without per-notebook sections.
        from egovlib.runner import load_params

        if load_params(args.params)[1]:
            sys.exit("--params: use a file without a `notebooks:` section for the benchmark")
    warm_cache()
    load = os.getloadavg()[0]
    runs_a, runs_b = [], []
    with tempfile.TemporaryDirectory(prefix="egov-bench-") as tmp:
        for i in range(args.repeat):
            runs_a.append(
                time_egov_run(
                    notebooks, year, args.params, args.jobs, Path(tmp) / f"egov-{i}", args.isolate
                )
            )
            runs_b.append(time_naive_loop(notebooks, year, args.params, Path(tmp) / f"naive-{i}"))
        differ = compare_outputs(Path(tmp) / "egov-0" / str(year), Path(tmp) / "naive-0", notebooks)
    a, b = statistics.median(runs_a), statistics.median(runs_b)
    result = {
        "year": year,
        "notebooks": [nb.stem for nb in notebooks],
        "cpus": os.cpu_count(),
        "load_average_at_start": round(load, 2),
        "repeat": args.repeat,
        "egov_run_s": [round(x, 1) for x in runs_a],
        "naive_loop_s": [round(x, 1) for x in runs_b],
        "speed_up": round(b / a, 2),
        "outputs_differ": differ,
    }
    print(
        f"{len(notebooks)} notebooks, edition {year}, {os.cpu_count()} CPUs, "
        f"load average {load:.1f} at start"
    )
    print(f"(a) egov run                      : {a:7.1f} s  {result['egov_run_s']}")
    print(f"(b) papermill + nbconvert CLI loop: {b:7.1f} s  {result['naive_loop_s']}")
    print(f"speed-up (b / a)                  : {b / a:7.2f}x")
    print(
        "outputs identical in both runs     : "
        + ("yes" if not differ else f"NO, differ in {', '.join(differ)}")
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
