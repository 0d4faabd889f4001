"""Benchmark: a 10,000-build Monte Carlo of an HCI proposal vs starting one notebook kernel.

Run: .venv/bin/python benchmarks/bench_uncertainty.py [--draws 10000] [--spec combined] [--repeat 3]
Prints (1) the time to start a `python3` Jupyter kernel with jupyter_client and get the result of
``1+1`` (what papermill pays before the first cell), and (2) the time of
`egovlib.engine.monte_carlo` with the design notebook 05 uses (weights, normalisation and
aggregation, imputation, three vintage rules, 20 bootstrap resamples) over the 193 countries of
the latest edition (data loaded beforehand), including the implied-EGDI ranks of every build
(what the report reads), wall and CPU time, first run, median and best of ``--repeat``; then the
summaries the report shows (rank intervals, rank-change intervals, sensitivity indices). The
Monte Carlo must be faster than (1), also on a loaded machine (compare the medians).
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
    from egovlib.engine import build, default_alternatives, index_data, load_specs, monte_carlo
    from egovlib.engine.assess import VINTAGE_ALTERNATIVES
    from egovlib.engine.uncertainty import rank_intervals, sensitivity, shift_interval

    year = latest_edition()
    spec = load_specs()[args.spec]
    built = build(spec, index_data(year, [spec], max_ages=VINTAGE_ALTERNATIVES))
    alt = default_alternatives(spec)

    def run():
        t, c = time.perf_counter(), time.process_time()
        mc = monte_carlo(built, alt, args.draws, seed=12345)
        mc.ranks("egdi")  # the ranks every summary reads
        return mc, time.perf_counter() - t, time.process_time() - c

    mc, cold, cold_cpu = run()
    runs = [run()[1:] for _ in range(args.repeat)]
    wall = [r[0] for r in runs]
    cpu = [r[1] for r in runs]
    t = time.perf_counter()
    rank_intervals(mc)
    shift_interval(mc, built.egdi_ranks)
    sensitivity(mc)
    t_summary = time.perf_counter() - t
    kernel = [kernel_start_seconds() for _ in range(args.repeat)]
    print(
        f"Monte Carlo: spec {args.spec!r}, edition {year}, {len(mc.choices):,} builds x "
        f"{len(built.scores)} countries x {len(spec.components)} components; factors "
        f"{', '.join(mc.factors)}"
    )
    print(
        f"  monte_carlo + EGDI ranks: cold {cold:.3f} s ({cold_cpu:.3f} s CPU); then median "
        f"{statistics.median(wall):.3f} s wall, {statistics.median(cpu):.3f} s CPU, best "
        f"{min(wall):.3f} s over {args.repeat} runs"
    )
    print(f"  rank_intervals + shift_interval + sensitivity: {t_summary:.3f} s")
    print(
        f"Kernel start + execute 1+1 (jupyter_client, python3): median "
        f"{statistics.median(kernel):.3f} s, best {min(kernel):.3f} s over {args.repeat} starts"
    )
    mc_t, k_t = statistics.median(wall), statistics.median(kernel)
    print(
        f"=> Monte Carlo {mc_t:.3f} s vs kernel start {k_t:.3f} s: "
        f"{'faster' if mc_t < k_t else 'NOT faster'} ({k_t / mc_t:.1f}x)"
    )


if __name__ == "__main__":
    main()
