"""Catalog load + full validation time (target: under 300 ms). Run: python benchmarks/bench_catalog.py"""

from __future__ import annotations

import statistics
import time

from fitmygpu.catalog.loader import load_catalog


def main(repeat: int = 15) -> None:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        c = load_catalog()
        times.append((time.perf_counter() - t) * 1000)
    print(f"{len(c.models)} models, {len(c.gpus)} GPUs")
    p50, worst = statistics.median(times), max(times)
    print(f"load+validate: first {times[0]:.0f} ms, p50 {p50:.0f} ms, max {worst:.0f} ms")


if __name__ == "__main__":
    main()
