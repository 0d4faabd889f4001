"""Benchmark: 10,000-draw Monte Carlo of an HCI variant vs starting one notebook kernel.

Run: .venv/bin/python benchmarks/bench_uncertainty.py [--draws 10000] [--spec combined] [--repeat 3]
Prints (1) the time to start a `python3` Jupyter kernel with jupyter_client and get the result of
``1+1`` (what papermill pays before the first cell), and (2) the time of `monte_carlo` with
10,000 draws over the 193 countries of the latest edition (data loaded beforehand; the best of
``--repeat`` runs and the first run are both shown). The Monte Carlo must be faster than (1).
"""

from __future__ import annotations

import argparse
import statistics
import time


def kernel_start_seconds() -> float:
    """Wall time: start a kernel, wait until ready, execute ``1+1`` and read its result."""
    from jupyter_client.manager import start_new_kernel

    t0 = time.perf_counter()
    km, kc = start_new_kernel(kernel_name="python3")
    try:
        reply = kc.execute_interactive("1+1", timeout=60, output_hook=lambda msg: None)
        assert reply["content"]["status"] == "ok"
        elapsed = time.perf_counter() - t0
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--spec", default="combined")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from egovlib import latest_edition
    from egovlib import uncertainty as U
    from egovlib import variants as V

    year = latest_edition()
    spec = V.load_specs()[args.spec]
    result = V.compute_variant(spec, year)
    n = len(result.data)

    t = time.perf_counter()
    mc = U.monte_carlo(result, args.draws, seed=12345)
    cold = time.perf_counter() - t  # first call in the process (lazy imports, first allocations)
    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        mc = U.monte_carlo(result, args.draws, seed=12345)
        times.append(time.perf_counter() - t)
    t = time.perf_counter()
    U.rank_intervals(mc)
    U.sensitivity(mc)
    t_summary = time.perf_counter() - t
    kernel = [kernel_start_seconds() for _ in range(args.repeat)]
    combos = mc.draws.groupby(["normalisation", "aggregation", "imputation"]).ngroups

    print(
        f"Monte Carlo: spec {args.spec!r}, edition {year}, {args.draws:,} draws x {n} countries "
        f"x {len(spec.components)} components ({combos} method combinations)"
    )
    print(
        f"  monte_carlo: cold {cold:.3f} s; then median {statistics.median(times):.3f} s, "
        f"best {min(times):.3f} s over {args.repeat} runs"
    )
    print(f"  rank_intervals + sensitivity: {t_summary:.3f} s")
    print(
        f"Kernel start + execute 1+1 (jupyter_client, python3): median "
        f"{statistics.median(kernel):.3f} s, best {min(kernel):.3f} s over {args.repeat} starts"
    )
    mc_t, k_t = statistics.median(times), statistics.median(kernel)
    print(
        f"=> Monte Carlo {mc_t:.3f} s vs kernel start {k_t:.3f} s: "
        f"{'faster' if mc_t < k_t else 'NOT faster'} ({k_t / mc_t:.1f}x); cold run "
        f"{'faster' if cold < k_t else 'NOT faster'} too"
    )


if __name__ == "__main__":
    main()
