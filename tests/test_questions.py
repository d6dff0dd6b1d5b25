"""The quality gate for free-text understanding: top-1 accuracy over tests/data/questions.yaml.

Each case is checked on every field (model, GPUs with counts, budget, RAM, context, quant, KV type,
runtime, concurrency, unknown-GPU flag); a field the case leaves out must come back empty, so an
invented GPU or a stray context fails a case as surely as a missed one. The set is fixed and
written as users write, not as the matcher likes; the gate is 97% of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from fitmygpu.catalog.loader import Catalog
from fitmygpu.matching.question import Question, QuestionParser

CASES_PATH = Path(__file__).parent / "data" / "questions.yaml"
GATE = 0.97


def load_cases() -> list[dict[str, Any]]:
    with CASES_PATH.open(encoding="utf-8") as f:
        return yaml.safe_load(f)["cases"]


def case_text(case: dict[str, Any]) -> str:
    """The message of a case, padded to ``pad_to`` characters when it stands for a long paste."""
    text = case["q"]
    pad_to = case.get("pad_to")
    if not pad_to:
        return text
    filler = case.get("pad_text", "lorem ipsum ")
    need = max(0, pad_to - len(text))
    padding = (filler * (need // len(filler) + 1))[:need]
    return padding + text if case.get("pad_before") else text + padding


def observed(q: Question) -> dict[str, Any]:
    """What the parser read, in the shape of a case."""
    m = q.model
    if m.entry is None:
        model = None
    elif m.ambiguous:
        model = "ambiguous"
    else:
        model = m.entry.id
    gpus: dict[str, int] = {}
    for g in q.gpus:
        gpus[g.entry.id] = gpus.get(g.entry.id, 0) + g.count
    return {
        "model": model,
        "gpus": gpus,
        "budget": q.budget_gib,
        "budget_count": q.budget_count if q.budget_gib is not None else None,
        "ram": q.ram_gib,
        "context": q.context,
        "quant": q.quant,
        "kv": q.kv_cache,
        "runtime": q.runtime.value if q.runtime else None,
        "concurrency": q.concurrency,
        "gpu_unknown": bool(q.gpu_unrecognised) and not q.has_setup,
    }


def expected(case: dict[str, Any]) -> dict[str, Any]:
    budget = case.get("budget")
    return {
        "model": case.get("model"),
        "gpus": dict(case.get("gpus") or {}),
        "budget": float(budget) if budget is not None else None,
        "budget_count": case.get("budget_count", 1) if budget is not None else None,
        "ram": float(case["ram"]) if case.get("ram") is not None else None,
        "context": case.get("context"),
        "quant": case.get("quant"),
        "kv": case.get("kv"),
        "runtime": case.get("runtime"),
        "concurrency": case.get("concurrency"),
        "gpu_unknown": bool(case.get("gpu_unknown", False)),
    }


def check_case(parser: QuestionParser, case: dict[str, Any]) -> tuple[bool, str, Question]:
    """Whether the parser reads the case right, and a one-line diff when it does not."""
    q = parser.parse(case_text(case))
    got, want = observed(q), expected(case)
    diffs = [f"{k}: want {want[k]!r}, got {got[k]!r}" for k in want if want[k] != got[k]]
    if want["model"] == "ambiguous" and got["model"] == "ambiguous":
        offered = {c.id for c in q.model.alternatives}
        missing = [c for c in case.get("candidates", []) if c not in offered]
        if missing:
            diffs.append(f"candidates missing {missing}, offered {sorted(offered)}")
    return not diffs, "; ".join(diffs), q


def evaluate(parser: QuestionParser, cases: list[dict[str, Any]]) -> tuple[float, list[str]]:
    failures = []
    for case in cases:
        ok, why, _ = check_case(parser, case)
        if not ok:
            failures.append(f"{case_text(case)[:80]!r}: {why}")
    return 1 - len(failures) / len(cases), failures


@pytest.fixture(scope="module")
def parser(catalog: Catalog) -> QuestionParser:
    return QuestionParser(catalog)


def test_the_set_is_large_and_valid(catalog: Catalog) -> None:
    cases = load_cases()
    assert len(cases) >= 200
    known = {"q", "model", "candidates", "gpus", "budget", "budget_count", "ram", "context", "quant"}
    known |= {"kv", "runtime", "concurrency", "gpu_unknown", "pad_to", "pad_text", "pad_before"}
    for case in cases:
        assert set(case) <= known, case
        model = case.get("model")
        assert model in (None, "ambiguous") or model in catalog.models, model
        for mid in case.get("candidates", []):
            assert mid in catalog.models, mid
        for gid in case.get("gpus") or {}:
            assert gid in catalog.gpus, gid


def test_top1_accuracy_gate(parser: QuestionParser) -> None:
    cases = load_cases()
    accuracy, failures = evaluate(parser, cases)
    print(f"\ntop-1 accuracy {accuracy:.1%} over {len(cases)} questions; {len(failures)} failures")
    for f in failures:
        print("  FAIL", f)
    assert accuracy >= GATE, f"accuracy {accuracy:.1%} < {GATE:.0%}:\n" + "\n".join(failures)
