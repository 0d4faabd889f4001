"""Time `egov run` side by side with the naive loop, an unchanged rerun and `--all-years`.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_runner.py                  # the issue-16 figures
    .venv/bin/python benchmarks/bench_runner.py --year 2022 --notebooks 01 02 --skip-all-years
    .venv/bin/python benchmarks/bench_runner.py --json /tmp/bench.json --quiet-load 0.5

One process measures, back to back on this machine, with the same notebooks, parameters and a
warm parquet cache (filled once, untimed):

1. the naive loop a user would otherwise script: for each notebook ``papermill ... -p year Y``
   then ``jupyter nbconvert --to html --no-input`` (CLI start-ups included);
2. ``egov run --year Y`` into a new folder (every notebook executed);
3. the same command again (nothing changed: nothing may be executed);
4. ``egov run --all-years`` into a new folder (every notebook x every edition), and again;
5. ``benchmarks/bench_uncertainty.py``: the 10,000-draw Monte Carlo against one kernel start.

Each step reports its wall time, the CPU time of its processes, and the share of the machine
that *other* processes used meanwhile (from /proc/stat): the machine is shared, and a step
measured while others were busy is slower than on a quiet machine. With ``--quiet-load L`` the
script waits (up to ``--quiet-wait`` seconds) for the 1-minute load average to fall below ``L``
before each step. The outputs of the naive loop and of `egov run` are compared cell by cell.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
_TICK = os.sysconf("SC_CLK_TCK")


def warm_cache() -> None:
    """Parse every reader once so that every contender reads the parquet cache."""
    code = (
        "from egovlib.readers import readers, load_table\n"
        "for n in sorted(readers()):\n"
        "    try: load_table(n)\n"
        "    except Exception as e: print('warning:', n, str(e).splitlines()[0])\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def _busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot (all cores)."""
    with open("/proc/stat", encoding="ascii") as fh:
        fields = [int(x) for x in fh.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / _TICK


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def wait_until_quiet(limit: float | None, max_wait: float) -> float:
    """Wait for the 1-minute load average to fall below ``limit``; returns the load then."""
    deadline = time.monotonic() + max_wait
    while limit is not None and os.getloadavg()[0] >= limit and time.monotonic() < deadline:
        time.sleep(5)
    return os.getloadavg()[0]


def measure(label: str, fn, args) -> dict:
    """Run ``fn`` and record wall time, our CPU, and what the rest of the machine did."""
    load = wait_until_quiet(args.quiet_load, args.quiet_wait)
    busy0, cpu0, t0 = _busy_seconds(), _children_cpu(), time.perf_counter()
    extra = fn() or {}
    wall = time.perf_counter() - t0
    ours = _children_cpu() - cpu0
    others = max(0.0, _busy_seconds() - busy0 - ours)
    ncpu = os.cpu_count() or 1
    row = {
        "step": label,
        "wall_s": round(wall, 2),
        "cpu_s": round(ours, 2),
        "load_at_start": round(load, 2),
        "others_share": round(others / (wall * ncpu), 3),
        **extra,
    }
    print(
        f"  {label:44} {wall:8.2f} s wall {ours:8.2f} s CPU   other processes used "
        f"{100 * row['others_share']:4.0f}% of the machine",
        flush=True,
    )
    return row


def egov_run(out: Path, *extra: str) -> dict:
    proc = subprocess.run(
        [str(BIN / "egov"), "run", "--out", str(out), *extra],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        sys.exit(f"egov run failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr[-3000:]}")
    # Result lines: "2024  01_data_overview  ok  12.3 s" (executed) or "... ok  reused".
    executed = sum(bool(_EXECUTED.match(line)) for line in proc.stdout.splitlines())
    return {"notebooks_executed": executed}


_EXECUTED = re.compile(r"^\d{4}\b.*\s(?:ok|failed|timeout)\s+[\d.]+ s\b")


def naive_loop(notebooks: list[Path], year: int, out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    for nb in notebooks:
        executed = out / nb.name
        cmd = [str(BIN / "papermill"), str(nb), str(executed), "-k", "python3"]
        cmd += ["-p", "year", str(year), "--cwd", str(nb.parent), "--no-progress-bar"]
        subprocess.run(cmd, cwd=REPO, check=True, capture_output=True)
        subprocess.run(
            [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
            cwd=REPO,
            check=True,
            capture_output=True,
        )
    return {"notebooks_executed": len(notebooks)}


def compare_outputs(egov_dir: Path, naive_dir: Path, notebooks: list[Path]) -> list[str]:
    """Notebooks whose cell outputs differ between the two runs (after the runner's
    normalisation of run-time-varying ids and addresses): speed must not change the numbers."""
    import nbformat

    from egovlib.runner.execute import HANDOVER_MIME_PREFIX, finalise_notebook

    def handover(out) -> bool:  # data handed to the brief's pages, removed by `egov run`
        return any(k.startswith(HANDOVER_MIME_PREFIX) for k in out.get("data", {}))

    differ = []
    for nb in notebooks:
        a, b = egov_dir / nb.name, naive_dir / nb.name
        finalise_notebook(b)
        cells_a = [c.get("outputs") or [] for c in nbformat.read(a, as_version=4).cells]
        cells_b = [
            [o for o in c.get("outputs") or [] if not handover(o)]
            for c in nbformat.read(b, as_version=4).cells
        ]
        if cells_a == cells_b:
            continue
        # Name what differs: a figure only (e.g. unseeded jitter, which `egov run` seeds and the
        # naive loop does not) is not a changed number.
        kinds: set[str] = set()
        for oa, ob in zip(cells_a, cells_b, strict=True):
            if oa == ob:
                continue
            for x, y in zip(oa, ob, strict=False):
                if x != y:
                    dx, dy = x.get("data", {}), y.get("data", {})
                    kinds |= {k for k in set(dx) | set(dy) if dx.get(k) != dy.get(k)}
                    kinds |= {"stream"} if x.get("text") != y.get("text") else set()
            kinds |= {"count"} if len(oa) != len(ob) else set()
        differ.append(f"{nb.stem} ({', '.join(sorted(kinds))})")
    return differ


def monte_carlo_vs_kernel() -> str:
    """The engine's own benchmark (10,000 draws against one kernel start), verbatim."""
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench_uncertainty.py"), "--repeat", "3"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    return (proc.stdout + proc.stderr[-2000:]).strip()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--year", type=int, default=None, help="survey edition (default: latest)")
    ap.add_argument("--notebooks", nargs="+", default=None, help="subset (default: all)")
    ap.add_argument("--jobs", type=int, default=None, help="egov run --jobs (default: CPUs)")
    ap.add_argument("--skip-all-years", action="store_true", help="skip step 4")
    ap.add_argument("--skip-naive", action="store_true", help="skip step 1")
    ap.add_argument("--skip-monte-carlo", action="store_true", help="skip step 5")
    ap.add_argument("--quiet-load", type=float, default=None, help="wait for this load first")
    ap.add_argument("--quiet-wait", type=float, default=600, help="longest wait (seconds)")
    ap.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = ap.parse_args(argv)

    from egovlib.runner import discover_notebooks, select_notebooks
    from egovlib.runner.batch import catalogue_editions

    year = args.year or catalogue_editions()[-1]
    notebooks = select_notebooks(discover_notebooks(), args.notebooks)
    names = [nb.stem for nb in notebooks]
    common = ["--notebooks", *names] + (["--jobs", str(args.jobs)] if args.jobs else [])
    warm_cache()
    ncpu = os.cpu_count()
    print(
        f"{len(notebooks)} notebooks ({', '.join(names)}), edition {year}, {ncpu} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} at start"
    )
    rows = []
    with tempfile.TemporaryDirectory(prefix="egov-bench-") as tmp:
        tmp = Path(tmp)
        if not args.skip_naive:
            rows.append(
                measure(
                    "naive: papermill CLI + nbconvert CLI",
                    lambda: naive_loop(notebooks, year, tmp / "naive"),
                    args,
                )
            )
        one = tmp / "one"
        rows.append(
            measure(
                f"egov run --year {year}", lambda: egov_run(one, "--year", str(year), *common), args
            )
        )
        rows.append(
            measure(
                f"egov run --year {year} (unchanged rerun)",
                lambda: egov_run(one, "--year", str(year), *common),
                args,
            )
        )
        if not args.skip_all_years:
            every = tmp / "all"
            rows.append(
                measure(
                    "egov run --all-years", lambda: egov_run(every, "--all-years", *common), args
                )
            )
            rows.append(
                measure(
                    "egov run --all-years (unchanged rerun)",
                    lambda: egov_run(every, "--all-years", *common),
                    args,
                )
            )
            manifests = sorted(every.glob("*/manifest.json"))
            per_nb = [
                (m.parent.name, n["name"], n["timings_s"])
                for m in manifests
                for n in json.loads(m.read_text())["notebooks"]
            ]
            rows[-2]["execution_s_by_notebook"] = {
                name: round(sum(t.get("execution", 0) for _, n, t in per_nb if n == name), 1)
                for name in names
            }
        differ = []
        if not args.skip_naive:
            differ = compare_outputs(one / str(year), tmp / "naive", notebooks)
    by = {r["step"]: r for r in rows}
    first = by[f"egov run --year {year}"]["wall_s"]
    rerun = by[f"egov run --year {year} (unchanged rerun)"]["wall_s"]
    print()
    if not args.skip_naive:
        naive = by["naive: papermill CLI + nbconvert CLI"]["wall_s"]
        print(f"egov run vs naive loop:          {naive / first:6.1f}x faster (goal: >= 4x)")
        print(
            "outputs identical to the naive loop: "
            + ("yes" if not differ else f"NO, differ in {', '.join(differ)}")
        )
    print(f"unchanged rerun vs first run:    {first / rerun:6.1f}x faster (goal: >= 20x)")
    if not args.skip_all_years:
        every_s = by["egov run --all-years"]["wall_s"]
        print(f"egov run --all-years:            {every_s:6.1f} s on {ncpu} CPUs (goal: < 90 s)")
        print(f"  execution time by notebook, all editions: {rows[-2]['execution_s_by_notebook']}")
    mc = ""
    if not args.skip_monte_carlo:
        mc = monte_carlo_vs_kernel()
        print("\n" + mc)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "year": year,
                    "notebooks": names,
                    "cpus": ncpu,
                    "steps": rows,
                    "outputs_differ": differ,
                    "monte_carlo": mc,
                },
                indent=2,
            )
            + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
