#!/usr/bin/env python3
"""Graft/OpenBLAS table from a SgemmBench JMH JSON file (bench/gemm-compare.sh runs it)."""
import json
import sys

rows = {}
for r in json.load(open(sys.argv[1])):
    p = r["params"]
    m, k, n = (int(x) for x in p["shape"].rstrip("t").split("x"))
    us = r["primaryMetric"]["score"]
    err = r["primaryMetric"]["scoreError"]
    other = r.get("secondaryMetrics", {}).get("other-cpu", {}).get("score", float("nan"))
    rows[(p["shape"], int(p["threads"]), p["impl"])] = (us, err, 2.0 * m * n * k / us / 1e3, other, (m, k, n))

print("| shape (MxKxN) | threads | Graft us | OpenBLAS us | Graft GFLOP/s | OpenBLAS GFLOP/s | Graft/OpenBLAS throughput | other load (cores) |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
keys = sorted({(s, t) for (s, t, _) in rows}, key=lambda x: (x[1], rows.get((x[0], x[1], "java"), rows.get((x[0], x[1], "blas")))[4]))
for s, t in keys:
    j = rows.get((s, t, "java"))
    b = rows.get((s, t, "blas"))
    if not j or not b:
        continue
    print(f"| {s} | {t} | {j[0]:.1f} ± {j[1]:.1f} | {b[0]:.1f} ± {b[1]:.1f} | {j[2]:.1f} | {b[2]:.1f} | {b[0] / j[0]:.2f} | {max(j[3], b[3]):.2f} |")
