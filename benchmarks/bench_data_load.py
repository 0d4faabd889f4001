"""Benchmark: cold vs warm loading of every reader's table (parquet cache keyed by checksums).

Run: .venv/bin/python benchmarks/bench_data_load.py
Each measurement runs in a fresh Python process so the in-memory cache does not help:
(1) cold = empty cache dir (parse every raw file, validate, write parquet);
(2) warm = same cache dir again (checksums verified, parquet read);
(3) in-process repeat = the same loads again inside one process (memory cache).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from egovlib.readers import load_table, readers
t_import = time.perf_counter() - t0
times = {}
for name in sorted(readers()):
    t = time.perf_counter(); load_table(name); times[name] = time.perf_counter() - t
t_all = time.perf_counter() - t0
t = time.perf_counter()
for name in sorted(readers()):
    load_table(name)
print(json.dumps({"import": t_import, "per_reader": times, "total": t_all,
                  "repeat_in_process": time.perf_counter() - t}))
"""


def run(cache: str) -> dict:
    env = {**os.environ, "EGOV_CACHE_DIR": cache}
    out = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    with tempfile.TemporaryDirectory() as cache:
        cold = run(cache)
        warm = [run(cache) for _ in range(3)]
    best = min(warm, key=lambda r: r["total"])
    print(f"{'reader':24} {'cold s':>8} {'warm s':>8}")
    for name, t in cold["per_reader"].items():
        print(f"{name:24} {t:8.3f} {best['per_reader'][name]:8.3f}")
    print(
        f"{'TOTAL (incl. import)':24} {cold['total']:8.3f} {best['total']:8.3f}"
        f"   speed-up x{cold['total'] / best['total']:.1f}"
    )
    print(f"in-process repeat of all loads: {best['repeat_in_process'] * 1000:.1f} ms")


if __name__ == "__main__":
    main()
