"""Benchmark: cold vs warm loading of every reader's table (parquet cache keyed by checksums).

Run: .venv/bin/python benchmarks/bench_data_load.py
Each measurement runs in a fresh Python process so the in-memory cache does not help:
(1) cold = empty cache dir (parse every raw file, validate, write parquet);
(2) warm = same cache dir again (checksums verified, parquet read);
(3) in-process repeat = the same loads again inside one process (memory cache);
(4) content checks = CPU time of the checks that refuse implausible or damaged data (plausible
    ranges, numbers cut at the end of a file, EGDI = mean of its components, ranks), measured
    inside one cold parse of every reader, and of the warm path's parquet checksum.
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


CHECKS_CHILD = r"""
import collections, functools, json, time
from egovlib import schemas
from egovlib.readers import cache, load_table, parsing, readers, un_egov
spent = collections.Counter()
def timed(mod, name, label):
    fn = getattr(mod, name)
    @functools.wraps(fn)
    def w(*a, **k):
        t = time.process_time()
        try:
            return fn(*a, **k)
        finally:
            spent[label] += time.process_time() - t
    setattr(mod, name, w)
timed(parsing, "check_last_record", "last record complete")
timed(parsing, "_check_cut_numbers", "numbers cut after the point")
timed(un_egov, "check_egdi_is_mean", "EGDI = mean of components")
timed(un_egov, "check_ranks", "ranks")
timed(cache, "_digest", "parquet checksum (warm path)")
t0 = time.process_time()
tables = {n: load_table(n) for n in sorted(readers())}  # empty cache: parse, check, write
total = time.process_time() - t0
for name, r in readers().items():  # plausible ranges: the reader's schema minus plain LONG
    if r.variables:
        t = time.process_time(); r.schema.validate(tables[name]); a = time.process_time() - t
        t = time.process_time(); schemas.LONG.validate(tables[name]); b = time.process_time() - t
        spent["plausible ranges"] += a - b
from egovlib.readers import clear_memory_cache
clear_memory_cache()
for name in sorted(readers()):
    load_table(name)  # reads it back, checking each file's checksum
print(json.dumps({"cold_parse_cpu": total, "checks": dict(spent)}))
"""


def run(cache: str, child: str = CHILD) -> dict:
    env = {**os.environ, "EGOV_CACHE_DIR": cache}
    out = subprocess.run(
        [sys.executable, "-c", child], env=env, check=True, capture_output=True, text=True
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
    with tempfile.TemporaryDirectory() as cache:
        checks = run(cache, CHECKS_CHILD)
    total = checks["cold_parse_cpu"]
    print(f"\ncontent checks, CPU ms (cold parse of every reader: {total:.2f} s CPU):")
    for name, t in checks["checks"].items():
        print(f"  {name:32} {t * 1000:7.1f}")
    cold_checks = sum(t for k, t in checks["checks"].items() if "warm" not in k)
    print(
        f"  {'all checks of the cold parse':32} {cold_checks * 1000:7.1f}  "
        f"({cold_checks / total:.1%} of it)"
    )


if __name__ == "__main__":
    main()
