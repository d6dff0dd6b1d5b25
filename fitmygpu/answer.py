"""From a question (or structured options) to a complete answer: verdict rows, best quant, max
context, notes and alternatives. The CLI, the Discord bot and the charts all render this one
object, so a number printed in a terminal and in Discord cannot disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from pydantic import BaseModel

from fitmygpu.catalog.loader import Catalog
from fitmygpu.catalog.schema import GPUEntry, ModelEntry, Vendor
from fitmygpu.estimator.constants import GIB
from fitmygpu.estimator.core import EstimateError, estimate, max_context, ollama_default_context
from fitmygpu.estimator.kv import KV_TYPES, resolve_kv
from fitmygpu.estimator.types import Backend, Device, Estimate, Options, Runtime, Setup, Verdict
from fitmygpu.matching.gpus import GPUIndex, GPUMention
from fitmygpu.matching.models import Candidate
from fitmygpu.matching.question import Question, QuestionParser, clean
from fitmygpu.matching.tokens import is_memory, memory_gib, tokenize
from fitmygpu.quant.formats import (
    CHECKPOINT_LADDER,
    GGUF_LADDER,
    MLX_LADDER,
    FormatKind,
    format_kind,
    weight_plan,
)

STANDARD_CONTEXTS = (4096, 8192, 32768, 131072)
DEFAULT_CONTEXT = 8192
_BACKEND = {
    Vendor.NVIDIA: Backend.CUDA,
    Vendor.AMD: Backend.ROCM,
    Vendor.APPLE: Backend.METAL,
    Vendor.INTEL: Backend.SYCL,
}


class AnswerError(Exception):
    """The question cannot be answered; carries a short message and suggestions."""

    def __init__(self, message: str, suggestions: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.suggestions = suggestions or []


@dataclass(frozen=True)
class GPUCount:
    entry: GPUEntry
    count: int


@dataclass(frozen=True)
class Rig:
    """A resolved machine: catalog GPUs with counts, or a bare memory budget, plus RAM."""

    gpus: tuple[GPUCount, ...] = ()
    budget_gib: float | None = None
    budget_count: int = 1
    ram_gib: float | None = None
    desktop_reserve_bytes: int = 0

    @cached_property
    def setup(self) -> Setup:
        devices: list[Device] = []
        for gc in self.gpus:
            g = gc.entry
            dev = Device(
                name=g.name,
                memory_bytes=g.memory_bytes,
                bandwidth_gbs=g.bandwidth_gbs,
                fp16_tflops=g.fp16_tflops,
                backend=_BACKEND[g.vendor],
                unified=g.unified,
            )
            devices.extend([dev] * gc.count)
        if not devices and self.budget_gib:
            devices = [
                Device(name=f"{self.budget_gib:g} GB GPU", memory_bytes=int(self.budget_gib * GIB))
            ] * self.budget_count
        ram = int(self.ram_gib * GIB) if self.ram_gib else None
        return Setup(
            devices=tuple(devices), system_ram_bytes=ram, desktop_reserve_bytes=self.desktop_reserve_bytes
        )

    @property
    def description(self) -> str:
        if self.gpus:
            parts = [f"{gc.count}× {gc.entry.name}" if gc.count > 1 else gc.entry.name for gc in self.gpus]
            text = " + ".join(parts)
        else:
            text = (
                f"{self.budget_count}× {self.budget_gib:g} GB"
                if self.budget_count > 1
                else f"{self.budget_gib:g} GB of VRAM"
            )
        if self.ram_gib:
            text += f" + {self.ram_gib:g} GB RAM"
        return text

    def to_json(self) -> dict:
        return {
            "gpus": [
                {
                    "id": gc.entry.id,
                    "name": gc.entry.name,
                    "count": gc.count,
                    "memory_bytes": gc.entry.memory_bytes,
                }
                for gc in self.gpus
            ],
            "memory_budget_bytes": self.setup.total_memory_bytes,
            "system_ram_bytes": self.setup.system_ram_bytes,
            "description": self.description,
        }


def rig_from_mentions(mentions: list[GPUMention], q: Question | None = None) -> Rig | None:
    if mentions:
        return Rig(
            gpus=tuple(GPUCount(m.entry, m.count) for m in mentions),
            ram_gib=q.ram_gib if q else None,
        )
    if q is not None and q.budget_gib:
        return Rig(budget_gib=q.budget_gib, budget_count=q.budget_count, ram_gib=q.ram_gib)
    return None


def resolve_rig(catalog: Catalog, gpus: GPUIndex, text: str) -> Rig:
    """A GPU as a user names it in an option: a catalog id, names ("3090", "2x 4090",
    "3090 + 3060") or a bare memory budget ("24gb", "24"). Raises :class:`AnswerError` with
    suggestions when nothing matches. Shared by ``fitmygpu estimate --gpu`` and the bot's options."""
    t = text.strip()
    if t in catalog.gpus:
        return Rig(gpus=(GPUCount(catalog.gpus[t], 1),))
    cleaned = clean(t)
    tokens = tokenize(cleaned)
    if len(tokens) == 1:
        tok = tokens[0]
        bare = re.fullmatch(r"\d+(\.\d+)?", tok) is not None and tok not in gpus.by_anchor
        if is_memory(tok) or bare:
            gib = memory_gib(tok) if is_memory(tok) else float(tok)
            if 0 < gib <= 4096:
                return Rig(budget_gib=gib)
    mentions, notes, _ = gpus.find(cleaned)
    if not mentions:
        shown = cleaned if len(cleaned) <= 60 else cleaned[:59] + "…"
        why = notes[0] if notes else f"No GPU called {shown!r} in the catalog."
        raise AnswerError(why, gpus.suggest(cleaned))
    return Rig(gpus=tuple(GPUCount(m.entry, m.count) for m in mentions))


class Answer(BaseModel):
    """Everything one question resolves to; ``to_json`` is the documented CLI/JSON shape."""

    model_config = {"arbitrary_types_allowed": True}

    model: ModelEntry
    rig: Rig | None
    context: int | None
    quant: str | None
    kv_cache: str | None
    runtime: Runtime
    runtime_said: bool
    concurrency: int | None
    rows: list[Estimate]
    headline: Estimate | None
    best_quant: str | None
    max_context: dict[str, int | None]
    notes: list[str]
    model_alternatives: list[Candidate] = []
    gpu_suggestions: list[str] = []
    score: float | None = None

    @property
    def contexts(self) -> list[int]:
        return sorted({r.context for r in self.rows})

    @property
    def quants(self) -> list[str]:
        return list(dict.fromkeys(r.quant for r in self.rows))

    def cell(self, quant: str, context: int) -> Estimate | None:
        return next((r for r in self.rows if r.quant == quant and r.context == context), None)

    def to_json(self) -> dict:
        m = self.model
        best = None
        if self.headline is not None:
            best = {
                "quant": self.best_quant,
                "context": self.headline.context,
                "verdict": self.headline.verdict.value,
                "max_context": self.max_context.get(self.best_quant) if self.best_quant else None,
            }
        return {
            "model": {
                "id": m.id,
                "name": m.name,
                "company": m.company,
                "family": m.family,
                "parameters": m.parameters_label,
                "params_total": m.architecture.total_params,
                "params_active": m.architecture.active_params if m.is_moe else None,
                "context_window": m.context_window,
                "layers": m.architecture.num_layers,
                "kv_layers": m.kv_bearing_layers,
                "match_score": self.score,
            },
            "setup": self.rig.to_json() if self.rig else None,
            "context": self.context,
            "quant": self.quant,
            "kv_cache": self.kv_cache,
            "runtime": self.runtime.value if self.runtime_said else None,
            "runtime_assumed": self.runtime.value,
            "concurrency": self.concurrency,
            "rows": [r.row() for r in self.rows],
            "best": best,
            "max_context": self.max_context,
            "notes": self.notes,
            "alternatives": {
                "models": [{"id": c.id, "name": c.name, "score": c.score} for c in self.model_alternatives],
                "gpus": self.gpu_suggestions,
            },
        }


def ladder_for(runtime: Runtime, model: ModelEntry | None = None) -> tuple[str, ...]:
    """Common formats for the runtime plus the model's own release format (gpt-oss's MXFP4),
    largest first by this model's actual weight bytes."""
    if runtime.uses_gguf:
        base = list(GGUF_LADDER)
    elif runtime == Runtime.MLX:
        base = list(MLX_LADDER)
    elif runtime == Runtime.VLLM:
        # W8A8 INT8 and bitsandbytes are niche on vLLM; FP8 and AWQ are what people serve.
        base = [q for q in CHECKPOINT_LADDER if q not in ("NF4", "INT8")]
    else:
        base = list(CHECKPOINT_LADDER)
    if model is None:
        return tuple(base)
    if any(f.kind.lower() == "mxfp4" and f.official for f in model.formats) and model.is_moe:
        # Released in MXFP4 (gpt-oss): other quants re-quantize already 4-bit experts, so the
        # choice that matters is the native file versus a 16-bit upcast.
        if runtime.uses_gguf:
            base = ["BF16", "MXFP4_MOE"]
        elif runtime in (Runtime.VLLM, Runtime.TRANSFORMERS):
            base = ["BF16", "MXFP4"]
    if any(f.kind.lower() == "fp8" and f.official for f in model.formats) and runtime == Runtime.VLLM:
        base.append("FP8")
    unique = list(dict.fromkeys(base))
    return tuple(sorted(unique, key=lambda q: -weight_plan(model.architecture, q).total_bytes))


def default_runtime(quant: str | None, rig: Rig | None) -> Runtime:
    if quant and format_kind(quant) == FormatKind.CHECKPOINT and quant not in ("BF16", "FP16", "FP32"):
        return Runtime.VLLM
    if quant and format_kind(quant) == FormatKind.MLX:
        return Runtime.MLX
    return Runtime.LLAMA_CPP


def build_answer(
    model: ModelEntry,
    rig: Rig | None,
    *,
    context: int | None = None,
    quant: str | None = None,
    kv_cache: str | None = None,
    runtime: Runtime | None = None,
    concurrency: int | None = None,
    flash_attn: bool | None = None,
    notes: list[str] | None = None,
) -> Answer:
    """Estimate a model on a rig at the standard contexts (and the asked one) for the asked quant
    or the runtime's ladder, and pick the headline: the asked cell, else the best quant that fits."""
    notes = list(notes or [])
    rt = runtime or default_runtime(quant, rig)
    try:
        resolve_kv(kv_cache, rt)  # a KV type the engine lacks is the user's to fix, not a crash
    except ValueError as exc:
        raise AnswerError(str(exc), [t for t, v in KV_TYPES.items() if rt in v.runtimes]) from None
    window = model.context_window
    if context and context > window:
        notes.append(f"{model.name}'s context window is {window:,} tokens; asked {context:,}.")
    answer = Answer(
        model=model,
        rig=rig,
        context=context,
        quant=quant,
        kv_cache=kv_cache,
        runtime=rt,
        runtime_said=runtime is not None,
        concurrency=concurrency,
        rows=[],
        headline=None,
        best_quant=None,
        max_context={},
        notes=notes,
    )
    if rig is None:
        return answer
    setup = rig.setup
    if rt == Runtime.OLLAMA and context is None:
        context = min(ollama_default_context(setup), window)
        notes.append(
            f"Ollama's default context for {setup.total_memory_bytes / GIB:.0f} GB of VRAM is {context:,}."
        )
    head_ctx = min(context or DEFAULT_CONTEXT, window)
    contexts = sorted({c for c in STANDARD_CONTEXTS if c <= window} | {head_ctx})
    quants = (quant,) if quant else ladder_for(rt, model)
    base = Options(
        runtime=rt, context=head_ctx, kv_cache=kv_cache, concurrency=concurrency or 1, flash_attn=flash_attn
    )
    arch = model.architecture
    rows: list[Estimate] = []
    for q in quants:
        try:
            mc = max_context(arch, base.model_copy(update={"quant": q}), setup, window)
        except EstimateError as exc:
            if quant:
                raise AnswerError(str(exc)) from exc
            continue
        answer.max_context[q] = mc
        for c in contexts:
            e = estimate(arch, base.model_copy(update={"quant": q, "context": c}), setup)
            e.max_context = mc
            rows.append(e)
    if not rows:
        raise AnswerError(f"No format in the {rt.value} ladder could be sized for {model.name}.")
    answer.rows = rows
    at_head = [r for r in rows if r.context == head_ctx]
    fitting = [r for r in at_head if r.verdict in (Verdict.FITS, Verdict.TIGHT)]
    answer.best_quant = fitting[0].quant if fitting else None
    if quant:
        answer.headline = at_head[0]
    else:
        # Nothing fits fully: offloading Q4_K_M (the usual community default) beats offloading
        # most of a bigger file, so prefer it among the formats that still run.
        runs = [r for r in at_head if r.verdict.runs]
        preferred = next((r for r in runs if r.quant == "Q4_K_M"), runs[0] if runs else None)
        answer.headline = fitting[0] if fitting else (preferred or at_head[-1])
    for n in answer.headline.notes:
        if n not in answer.notes:
            answer.notes.append(n)
    return answer


class Answerer:
    """Parses free text and answers it; the one entry point for the CLI and mention replies."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.parser = QuestionParser(catalog)

    def ask(self, text: str, default_rig: Rig | None = None) -> Answer:
        q = self.parser.parse(text)
        m = q.model
        if m.entry is None:
            suggestions = [c.name for c in m.alternatives] or [
                c.name for c in self.parser.models.suggest(text.split())
            ]
            raise AnswerError("No model found in that question.", suggestions[:5])
        if m.ambiguous:
            names = [c.name for c in m.alternatives]
            raise AnswerError(
                f"Which model did you mean? {m.entry.name} and others match equally.", names[:5]
            )
        rig = rig_from_mentions(q.gpus, q) or default_rig
        notes = list(q.notes)
        gpu_suggestions: list[str] = []
        if rig is None:
            what = q.gpu_unrecognised
            said = f": {what!r}" if what else ""
            notes.append(f'GPU not recognised{said}. Name a card ("on a 3060") or a budget ("24gb").')
            gpu_suggestions = self.parser.gpus.suggest(what) if what else []
        answer = build_answer(
            m.entry,
            rig,
            context=q.context,
            quant=q.quant,
            kv_cache=q.kv_cache,
            runtime=q.runtime,
            concurrency=q.concurrency,
            notes=notes,
        )
        answer.model_alternatives = m.alternatives
        answer.gpu_suggestions = gpu_suggestions
        answer.score = m.score
        return answer
