"""Estimator speed: one model x 7 quants x 5 contexts (target: under 2 ms), plus max-context search.

Run: python benchmarks/bench_estimator.py
"""

from __future__ import annotations

import statistics
import time

from fitmygpu.catalog.loader import load_catalog
from fitmygpu.estimator.core import estimate, max_context
from fitmygpu.estimator.types import Device, Options, Setup
from fitmygpu.quant.formats import GGUF_LADDER, weight_plan

CONTEXTS = (4096, 8192, 16384, 32768, 131072)
MODELS = ("deepseek-r1-distill-qwen-1.5b", "llama-3.1-8b-instruct", "qwen3-30b-a3b", "gemma-3-27b-it")
GIB = 1024**3


def grid(arch, setup) -> None:
    for q in GGUF_LADDER:
        for c in CONTEXTS:
            estimate(arch, Options(quant=q, context=c), setup)


def timed(fn, repeat: int = 200) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    catalog = load_catalog()
    setup = Setup(devices=(Device(name="RTX 3090", memory_bytes=24 * GIB, bandwidth_gbs=936),))
    print(f"{'model':34} {'grid p50 ms':>12} {'grid p95 ms':>12} {'max-ctx x7 p50 ms':>18}")
    for mid in MODELS:
        if mid not in catalog.models:
            continue
        arch = catalog.models[mid].architecture
        for q in GGUF_LADDER:  # weight plans are cached per (architecture, quant): warm them
            weight_plan(arch, q)
        g = timed(lambda arch=arch: grid(arch, setup))
        m = timed(
            lambda arch=arch: [max_context(arch, Options(quant=q), setup, 131072) for q in GGUF_LADDER],
            repeat=50,
        )
        print(
            f"{mid:34} {statistics.median(g):12.2f} {statistics.quantiles(g, n=20)[18]:12.2f} "
            f"{statistics.median(m):18.2f}"
        )


if __name__ == "__main__":
    main()
