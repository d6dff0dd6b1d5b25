"""Plain-text rendering of answers, model pages and GPU pages, for the terminal.

Formatting helpers here (sizes, marks, verdict sentences) are shared with the Discord embeds so
both surfaces word things the same way.
"""

from __future__ import annotations

from fitmygpu.answer import Answer
from fitmygpu.catalog.schema import GPUEntry, ModelEntry
from fitmygpu.estimator.constants import GIB, MIB
from fitmygpu.estimator.types import Estimate, Verdict
from fitmygpu.whatfits import FitEntry, grouped

MARK = {Verdict.FITS: "✅", Verdict.TIGHT: "⚠️", Verdict.OFFLOAD: "🐢", Verdict.NO_FIT: "❌"}
# Single-width marks for terminals, where emoji widths break column alignment.
TERMINAL_MARK = {Verdict.FITS: "✓", Verdict.TIGHT: "~", Verdict.OFFLOAD: "◐", Verdict.NO_FIT: "✗"}
WORD = {Verdict.FITS: "fits", Verdict.TIGHT: "tight", Verdict.OFFLOAD: "CPU offload", Verdict.NO_FIT: "no"}


def size(nbytes: int | float) -> str:
    """Bytes as GiB (MiB below one GiB): what VRAM tools and vendors' "GB" mean for memory."""
    if abs(nbytes) >= GIB:
        return f"{nbytes / GIB:.1f} GiB"
    return f"{nbytes / MIB:.0f} MiB"


def ctx_label(tokens: int | None) -> str:
    if tokens is None:
        return "—"
    if tokens >= 1024 and tokens % 1024 == 0:
        return f"{tokens // 1024}K"
    return f"{tokens:,}"


def params_label(n: int) -> str:
    return f"{n / 1e9:.1f}B" if n >= 1e9 else f"{n / 1e6:.0f}M"


def verdict_sentence(answer: Answer) -> str:
    h = answer.headline
    if h is None:
        return "Name a GPU or a memory budget to get a verdict."
    where = answer.rig.description if answer.rig else "this setup"
    what = f"{answer.model.name} {h.quant} at {ctx_label(h.context)} context"
    need, have = size(h.total_bytes), size(h.usable_bytes)
    if h.verdict == Verdict.FITS:
        return f"Yes: {what} fits on {where}, {need} of {have} usable."
    if h.verdict == Verdict.TIGHT:
        return f"Just: {what} fits on {where} with little to spare ({need} of {have} usable)."
    if h.verdict == Verdict.OFFLOAD and h.offload:
        return (
            f"Only with CPU offload: {what} needs {size(h.need_bytes)}, so {size(h.offload.ram_bytes)} "
            f"of it would sit in system RAM beside {where}."
        )
    need = size(h.need_bytes)
    if h.need_bytes <= h.usable_bytes and h.notes:  # blocked for another reason (e.g. vLLM TP heads)
        return f"No: {what} cannot run on {where}. {h.notes[0]}"
    text = f"No: {what} needs {need}; {where} has {have} usable."
    if h.offload is not None and h.offload.fits_ram is False:
        text += f" Offloading would need {size(h.offload.ram_bytes)} of system RAM, more than there is."
    return text


def breakdown(e: Estimate) -> str:
    parts = [
        f"weights {size(e.weights_bytes)}",
        f"KV {size(e.kv_bytes)}",
        f"compute {size(e.compute_bytes)}",
        f"reserve {size(e.reserve_bytes)}",
    ]
    head = e.headroom_bytes
    parts.append(f"headroom {size(head)}" if head >= 0 else f"short by {size(-head)}")
    return " · ".join(parts)


def offload_line(e: Estimate) -> str | None:
    """What stays in system RAM, as llama.cpp flags: "--n-cpu-moe 12, 9.1 GiB in system RAM"."""
    o = e.offload
    if o is None:
        return None
    layers = (
        f"--n-cpu-moe {o.cpu_moe_layers}"
        if o.cpu_moe_layers
        else f"{o.gpu_layers}/{o.total_layers} layers on GPU"
    )
    return f"{layers}, {size(o.ram_bytes)} in system RAM"


def speed(e: Estimate) -> str | None:
    if e.decode_tokens_per_second is None:
        return None
    text = f"~{e.decode_tokens_per_second:.0f} tok/s generation"
    if e.prompt_tokens_per_second:
        text += f", ~{e.prompt_tokens_per_second:,.0f} tok/s prompt"
    return text + " (roofline estimate)"


def assumptions(answer: Answer) -> str:
    h = answer.headline
    rt = answer.runtime.value + ("" if answer.runtime_said else " (assumed)")
    if h is None:
        return rt
    fa = "flash attention on" if h.flash_attn else "flash attention off"
    seq = f" · {h.concurrency} sequences" if h.concurrency > 1 else ""
    return f"{rt} · KV {h.kv_cache} · {fa}{seq}"


def table(answer: Answer, marks: dict[Verdict, str] = TERMINAL_MARK, *, compact: bool = False) -> list[str]:
    """Contexts across, quants down; each cell a mark and the memory needed with everything on the
    GPUs (for offloaded cells, more than the GPUs hold: the breakdown says what goes to RAM).

    ``compact`` narrows it for a phone-width Discord code block ("3.7G" instead of "3.7 GiB")."""
    ctxs = answer.contexts
    col, num = (8, 6) if compact else (13, 9)
    head = max([len(q) for q in answer.quants] + [5]) if compact else 9

    def amount(n: int) -> str:
        text = size(n)
        return text.replace(" GiB", "G").replace(" MiB", "M") if compact else text

    lines = [("" if compact else "quant").ljust(head) + "".join(f"{ctx_label(c):>{col}}" for c in ctxs)]
    for q in answer.quants:
        cells = []
        for c in ctxs:
            e = answer.cell(q, c)
            sep = "" if compact else " "
            cells.append(f"{marks[e.verdict]}{sep}{amount(e.need_bytes):>{num}}" if e else "")
        lines.append(f"{q:<{head}}" + "".join(f"{cell:>{col}}" for cell in cells))
    return lines


def render_answer(answer: Answer) -> str:
    m = answer.model
    out = [f"{m.name} on {answer.rig.description if answer.rig else '(no GPU)'}", ""]
    out.append(verdict_sentence(answer))
    if answer.rows:
        out += [
            "",
            *table(answer, TERMINAL_MARK),
            "",
            "✓ fits · ~ tight (<10% spare) · ◐ needs CPU offload · ✗ does not fit",
        ]
        h = answer.headline
        assert h is not None
        out.append(f"Breakdown ({h.quant}, {ctx_label(h.context)}): {breakdown(h)}")
        if h.offload:
            out.append(f"Offload: {offload_line(h)}")
        best = answer.best_quant or "none fits fully"
        out.append(f"Best quant at {ctx_label(h.context)}: {best}")
        mc = ", ".join(f"{q} {ctx_label(c)}" for q, c in answer.max_context.items() if c)
        out.append(f"Max context that fits: {mc or 'none'}")
        if h.max_concurrency is not None:
            out.append(f"Max concurrency at {ctx_label(h.context)}: {h.max_concurrency} requests")
        sp = speed(h)
        if sp:
            out.append(f"Speed: {sp}")
    out.append(f"Assumptions: {assumptions(answer)}")
    for n in answer.notes:
        out.append(f"Note: {n}")
    if answer.gpu_suggestions:
        out.append("Did you mean: " + ", ".join(answer.gpu_suggestions))
    return "\n".join(out)


def model_facts(m: ModelEntry) -> list[tuple[str, str]]:
    """The "What it is" facts of a model page, in page order."""
    a = m.architecture
    facts = [
        ("Company", m.company),
        ("Family", m.family),
        ("Release date", m.release_date.strftime("%b %d, %Y") if m.release_date else "—"),
        ("Architecture", m.architecture_text),
        ("License", m.license or "—"),
        ("Modality", ", ".join(x.value.capitalize() for x in m.modality)),
        ("Context window", f"{m.context_window:,}"),
        ("Total params", m.parameters_label if not m.is_moe else f"{params_label(a.total_params)}"),
        ("Active params", params_label(a.active_params) if m.is_moe else "Dense model"),
        ("Layers", f"{a.num_layers}"),
        ("Hidden size", f"{a.hidden_size:,}"),
        ("Attention heads", f"{a.num_attention_heads}"),
        ("KV heads", f"{a.num_kv_heads}"),
        ("KV-bearing layers", f"{m.kv_bearing_layers}"),
    ]
    return facts


def model_sections(m: ModelEntry) -> list[tuple[str, list[tuple[str, str]]]]:
    """The prose sections of a model page: (section, [(title, text)])."""
    sections: list[tuple[str, list[tuple[str, str]]]] = []
    if m.improvements:
        sections.append(("What improved", [(p.title, p.text) for p in m.improvements]))
    rel = []
    if m.release and m.release.lineage:
        rel.append(("Release lineage", m.release.lineage))
    if m.release and m.release.backbone:
        rel.append(("Backbone choice", m.release.backbone))
    if m.usage:
        rel.append(("Usage guidance", m.usage))
    if rel:
        sections.append(("How it was released", rel))
    if m.strengths:
        sections.append(("Where it is strong", [(p.title, p.text) for p in m.strengths]))
    if m.vram_notes:
        sections.append(("What dominates VRAM", [("", m.vram_notes)]))
    if m.notes:
        sections.append(("Notes", [("", n) for n in m.notes]))
    return sections


def render_model(m: ModelEntry) -> str:
    out = [m.name, f"{m.company} · {m.family}", ""]
    if m.summary:
        out += [m.summary, ""]
    width = max(len(k) for k, _ in model_facts(m))
    out += [f"{k:<{width}}  {v}" for k, v in model_facts(m)]
    for title, items in model_sections(m):
        out += ["", title.upper()]
        for t, text in items:
            out.append(f"- {t}: {text}" if t else f"  {text}")
    out += ["", "SOURCES"] + [f"- {s.title + ': ' if s.title else ''}{s.url}" for s in m.sources]
    return "\n".join(out)


def gpu_facts(g: GPUEntry) -> list[tuple[str, str]]:
    facts = [
        ("Vendor", g.vendor.value),
        ("Memory", f"{g.memory_gib:g} GB" + (f" {g.memory_type}" if g.memory_type else "")),
        ("Bandwidth", f"{g.bandwidth_gbs:,.0f} GB/s" if g.bandwidth_gbs else "—"),
        ("Class", g.gpu_class.value),
        ("Architecture", " · ".join(x for x in (g.architecture, g.generation) if x) or "—"),
        ("FP16 dense", f"{g.fp16_tflops:g} TFLOPS" if g.fp16_tflops else "—"),
        ("Released", str(g.release_year) if g.release_year else "—"),
    ]
    return facts


def render_fits(groups: dict[str, list[FitEntry]], limit: int = 6) -> list[str]:
    out = []
    for name, entries in groups.items():
        names = ", ".join(f"{e.model.name} ({e.quant})" for e in entries[:limit])
        more = f" +{len(entries) - limit} more" if len(entries) > limit else ""
        out.append(f"{name}: {names}{more}")
    return out


def render_gpu(g: GPUEntry, fits_8k: list[FitEntry], fits_32k: list[FitEntry]) -> str:
    out = [g.name, ""]
    out += [f"{k:<13} {v}" for k, v in gpu_facts(g)]
    out += ["", "Best models that fit at 8K (llama.cpp):", *render_fits(grouped(fits_8k), 4)]
    out += ["", "At 32K:", *render_fits(grouped(fits_32k), 4)]
    out += ["", "SOURCES"] + [f"- {s.url}" for s in g.sources]
    for n in g.notes:
        out.append(f"Note: {n}")
    return "\n".join(out)
