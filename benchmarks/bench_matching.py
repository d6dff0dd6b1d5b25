"""How well and how fast FitMyGPU reads free text.

Prints top-1 accuracy and ambiguity rate over tests/data/questions.yaml, and p50/p99 latency of
``QuestionParser.parse`` (every question of the set) and of one autocomplete call (models and
GPUs, a spread of partial inputs), with the full catalog loaded and every index built once,
outside the timing.

    .venv/bin/python benchmarks/bench_matching.py [--rounds N]

Latency is measured over ``--rounds`` passes (default 5) after one warm-up pass, so per-token
caches (typo expansions) are warm, as they are in a running bot. Two clocks are reported: wall
time, and the thread's CPU time, which a busy machine does not inflate (on a shared 2-core box the
wall-clock p99 mostly measures the scheduler's 4 ms time slice, not the matcher).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fitmygpu.catalog.loader import load_catalog  # noqa: E402
from fitmygpu.matching.autocomplete import Completer  # noqa: E402
from fitmygpu.matching.question import QuestionParser  # noqa: E402
from tests.test_questions import case_text, check_case, load_cases  # noqa: E402

PARTIALS = [
    "",
    "q",
    "qw",
    "qwen",
    "qwen 7",
    "qwen2.5:7",
    "qwen2.5 coder 3",
    "llama 3.1 8",
    "llama3.3",
    "deeps",
    "deepseek r1 1.5",
    "r1 7b",
    "gemma 3 2",
    "mistral small",
    "phi-4 m",
    "gpt oss",
    "qwne 2.5",
    "Qwen/Qwen3-30B-A3B",
    "kimi k",
    "mixtral 8x",
    "3060",
    "4060ti",
    "rtx 30",
    "7900 x",
    "m3 max",
    "mac studio m2 ultra",
    "a100 80",
    "h1",
    "24gb",
    "radeon",
    "strix halo",
    "rtx pro 6",
    "jetson orin",
    "titan",
    "arc b5",
    "geforce rtx 4090 laptop",
]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()

    catalog = load_catalog()
    parser = QuestionParser(catalog)
    completer = Completer.of(catalog)
    cases = load_cases()
    texts = [case_text(c) for c in cases]

    ok = ambiguous = 0
    failures = []
    for case in cases:
        good, why, q = check_case(parser, case)
        ok += good
        ambiguous += q.model.ambiguous
        if not good:
            failures.append(f"{case_text(case)[:70]!r}: {why}")
    print(f"catalog: {len(catalog.models)} models, {len(catalog.gpus)} GPUs")
    print(f"questions: {len(cases)}")
    print(f"top-1 accuracy: {ok / len(cases):.1%} ({ok}/{len(cases)})")
    print(f"ambiguity rate: {ambiguous / len(cases):.1%} ({ambiguous} reported ambiguous)")
    for f in failures:
        print("  FAIL", f)

    wall: list[float] = []
    cpu: list[float] = []
    for r in range(args.rounds + 1):
        for t in texts:
            w0, c0 = time.perf_counter_ns(), time.thread_time_ns()
            parser.parse(t)
            c1, w1 = time.thread_time_ns(), time.perf_counter_ns()
            if r:
                wall.append((w1 - w0) / 1e6)
                cpu.append((c1 - c0) / 1e6)
    long_cpu = [ms for ms, t in zip(cpu, texts * args.rounds, strict=True) if len(t) > 1000]
    report("parse", wall, cpu)
    print(f"  5,000-character inputs: p50 {statistics.median(long_cpu):.3f} ms CPU")

    for kind, fn in (("models", completer.complete_models), ("gpus", completer.complete_gpus)):
        wall, cpu = [], []
        for r in range(args.rounds + 1):
            for p in PARTIALS:
                w0, c0 = time.perf_counter_ns(), time.thread_time_ns()
                out = fn(p)
                c1, w1 = time.thread_time_ns(), time.perf_counter_ns()
                if r:
                    wall.append((w1 - w0) / 1e6)
                    cpu.append((c1 - c0) / 1e6)
                assert len(out) <= 25 and all(len(name) <= 100 for name, _ in out)
        report(f"autocomplete {kind}", wall, cpu)


def report(what: str, wall: list[float], cpu: list[float]) -> None:
    print(
        f"{what}: p50 {statistics.median(cpu):.3f} ms, p99 {pct(cpu, 99):.3f} ms CPU"
        f" | wall p50 {statistics.median(wall):.3f} ms, p99 {pct(wall, 99):.3f} ms"
        f" ({len(cpu)} calls)"
    )


if __name__ == "__main__":
    main()
