"""Time chart rendering and measure PNG sizes, for the numbers in docs/charts.md.

The budget is 200 ms and 150 KB per chart (the bot renders on demand). Each case is rendered
once to warm matplotlib's font cache, then ``--runs`` times; the time covers everything
``render_fit_chart`` / ``render_gpu_chart`` do (estimator sampling, drawing, PNG encoding). The
answers and ``what_fits`` lists are built beforehand, as the CLI and the bot have them already.

    .venv/bin/python benchmarks/bench_charts.py            # 30 runs per case
    .venv/bin/python benchmarks/bench_charts.py --runs 100 --out /tmp/charts   # also keep PNGs
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fitmygpu.answer import GPUCount, Rig, build_answer  # noqa: E402
from fitmygpu.catalog.loader import default_catalog  # noqa: E402
from fitmygpu.charts import fit_chart_data, render_fit_chart, render_gpu_chart  # noqa: E402
from fitmygpu.estimator.types import Runtime  # noqa: E402
from fitmygpu.whatfits import what_fits  # noqa: E402

# (model id, [(gpu id, count)], build_answer keywords): built directly, not parsed, so the
# benchmark measures the same answers whatever the question parser does.
ANSWERS = (
    ("qwen3-8b", [("nvidia-rtx-3060-12gb", 1)], {}),
    ("llama-3.3-70b-instruct", [("nvidia-rtx-3090", 2)], {}),
    ("gpt-oss-120b", [("nvidia-rtx-4090", 1)], {"ram_gib": 64}),
    ("qwen3-30b-a3b", [("nvidia-rtx-4090", 2)], {"runtime": Runtime.VLLM}),
    ("qwen3-32b", [("nvidia-rtx-3090", 1), ("nvidia-rtx-3060-12gb", 1)], {}),
    ("llama-3.1-8b-instruct", [("nvidia-rtx-4090", 1)], {"runtime": Runtime.TRANSFORMERS}),
)
GPUS = ("nvidia-rtx-3090", "nvidia-rtx-3060-12gb")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench(render: Callable[[], bytes], runs: int) -> tuple[float, float, float, int, bytes]:
    """Wall-clock p50 and p95 and CPU-time p50 in ms: on a shared machine the wall clock
    includes waiting for a core, the CPU time does not."""
    png = render()  # warm-up: font cache, glyph cache
    wall, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        png = render()
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return statistics.median(wall), percentile(wall, 0.95), statistics.median(cpu), len(png), png


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--out", type=Path, help="also write each PNG into this folder")
    args = parser.parse_args()
    catalog = default_catalog()
    cases: list[tuple[str, Callable[[], bytes], Callable[[], object] | None]] = []
    for model_id, gpus, kw in ANSWERS:
        kw = dict(kw)
        rig = Rig(gpus=tuple(GPUCount(catalog.gpus[g], n) for g, n in gpus), ram_gib=kw.pop("ram_gib", None))
        answer = build_answer(catalog.models[model_id], rig, **kw)
        name = f"fit: {model_id} on {rig.description}, {answer.runtime.value}"
        cases.append((name, lambda a=answer: render_fit_chart(a), lambda a=answer: fit_chart_data(a)))
    for gpu_id in GPUS:
        rig = Rig(gpus=(GPUCount(catalog.gpus[gpu_id], 1),))
        fits = what_fits(catalog, rig, 8192)
        cases.append((f"gpu: {gpu_id}", lambda r=rig, f=fits: render_gpu_chart(r.gpus[0].entry, r, f), None))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    print(f"{'chart':<72} {'p50 ms':>7} {'p95 ms':>7} {'cpu p50':>8} {'data ms':>8} {'PNG KB':>7}")
    for i, (name, render, data) in enumerate(cases):
        p50, p95, cpu, nbytes, png = bench(render, args.runs)
        data_ms = f"{bench(lambda d=data: d() and b'', args.runs)[0]:.1f}" if data else "-"
        print(f"{name:<72} {p50:>7.1f} {p95:>7.1f} {cpu:>8.1f} {data_ms:>8} {nbytes / 1024:>7.1f}")
        if args.out:
            (args.out / f"chart{i}.png").write_bytes(png)


if __name__ == "__main__":
    main()
