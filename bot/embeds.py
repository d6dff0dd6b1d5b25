"""Answers, model pages and GPU pages as Discord embeds.

The wording comes from :mod:`fitmygpu.render_text` (verdict sentences, sizes, breakdowns, speed,
assumptions, page facts), so the terminal and Discord say the same thing in the same words; this
module only lays it out for Discord and keeps every embed inside Discord's limits
(:mod:`bot.limits`).
"""

from __future__ import annotations

import discord

from bot.limits import FIELD_VALUE, add_field, chunks, enforce
from bot.safety import safe
from fitmygpu.answer import Answer, Rig
from fitmygpu.cache import GuildSettings, SavedRig
from fitmygpu.catalog.schema import GPUEntry, ModelEntry
from fitmygpu.estimator.types import Runtime, Verdict
from fitmygpu.render_text import (
    MARK,
    TERMINAL_MARK,
    WORD,
    assumptions,
    breakdown,
    ctx_label,
    gpu_facts,
    model_facts,
    model_sections,
    offload_line,
    render_fits,
    size,
    speed,
    table,
    verdict_sentence,
)
from fitmygpu.textutil import clip
from fitmygpu.whatfits import FitEntry, grouped

COLOUR = {
    Verdict.FITS: discord.Colour(0x2ECC71),
    Verdict.TIGHT: discord.Colour(0xF1C40F),
    Verdict.OFFLOAD: discord.Colour(0xE67E22),
    Verdict.NO_FIT: discord.Colour(0xE74C3C),
}
NEUTRAL = discord.Colour(0x5865F2)
ERROR = discord.Colour(0x99AAB5)
LEGEND = " · ".join(f"{TERMINAL_MARK[v]} {WORD[v]}" for v in Verdict)


def compact_table(answer: Answer) -> list[str]:
    """The terminal's table, narrowed for a phone; single-width marks keep columns aligned."""
    return table(answer, TERMINAL_MARK, compact=True)


def fit_title(answer: Answer) -> str:
    where = answer.rig.description if answer.rig else "(no GPU named)"
    mark = f"{MARK[answer.headline.verdict]} " if answer.headline else ""
    return clip(f"{mark}{answer.model.name} on {where}", 256)


def fit_embed(answer: Answer, catalog_version: str) -> discord.Embed:
    """The /fit reply: verdict, table, breakdown, best quant, max context, speed, assumptions."""
    h = answer.headline
    embed = discord.Embed(title=fit_title(answer), colour=COLOUR[h.verdict] if h else NEUTRAL)
    desc = [verdict_sentence(answer)]
    if answer.rows:
        desc += ["```", *compact_table(answer), "```", LEGEND]
    elif answer.rig is None:
        desc.append("Add a GPU to the question, or save yours once with `/rig set`.")
    embed.description = "\n".join(desc)
    if h is not None:
        add_field(embed, f"Breakdown ({h.quant}, {ctx_label(h.context)})", breakdown(h))
        offload = offload_line(h)
        if offload:
            add_field(embed, "Offload", offload)
        add_field(
            embed,
            f"Best quant at {ctx_label(h.context)}",
            answer.best_quant or "none fits fully",
            inline=True,
        )
        fitting = [(q, c) for q, c in answer.max_context.items() if c]
        mc = ", ".join(f"{q} {ctx_label(c)}" for q, c in fitting)
        add_field(embed, "Max context that fits", mc or "none", inline=True)
        if h.max_concurrency is not None:
            add_field(
                embed,
                f"Max concurrency ({h.runtime.value}, {ctx_label(h.context)})",
                f"{h.max_concurrency} requests",
                inline=True,
            )
        sp = speed(h)
        if sp:
            add_field(embed, "Speed", sp, inline=True)
    if answer.notes:
        # Notes are the core's words; any user text in them already passed the parser's clean()
        # (no markdown, no mentions). Mentions are escaped once more, belt and braces.
        notes = [f"• {clip(discord.utils.escape_mentions(n), 400)}" for n in answer.notes]
        for i, block in enumerate(chunks(notes)):
            add_field(embed, "Notes" if i == 0 else "Notes (cont.)", block)
    if answer.gpu_suggestions:
        add_field(embed, "Did you mean", ", ".join(answer.gpu_suggestions))
    embed.set_footer(text=f"{assumptions(answer)} · catalog {catalog_version}")
    enforce(embed)
    return embed


def _facts_lines(facts: list[tuple[str, str]]) -> list[str]:
    return [f"**{k}:** {v}" for k, v in facts]


def model_embed(m: ModelEntry) -> tuple[discord.Embed, bool]:
    """The model page; the bool says whether anything was cut (attach the full page then)."""
    embed = discord.Embed(title=m.name, colour=NEUTRAL, url=str(m.sources[0].url) if m.sources else None)
    head = [f"{m.company} · {m.family}"]
    if m.summary:
        head += ["", m.summary]
    embed.description = "\n".join([*head, "", *_facts_lines(model_facts(m))])
    cut = False
    for section, items in model_sections(m):
        lines = [f"**{t}:** {text}" if t else text for t, text in items]
        for i, block in enumerate(chunks(lines)):
            if not add_field(embed, section if i == 0 else f"{section} (cont.)", block):
                cut = True
    sources = [f"[{clip(s.title or s.url.host or 'link', 80)}]({s.url})" for s in m.sources]
    for i, block in enumerate(chunks(sources)):
        if not add_field(embed, "Sources" if i == 0 else "Sources (cont.)", block):
            cut = True
    embed.set_footer(text=f"id {m.id} · /fit {m.id} to check it on your GPU")
    return embed, enforce(embed) or cut


def _fits_lines(fits: list[FitEntry], per_group: int) -> list[str]:
    return render_fits(grouped(fits), per_group) or ["Nothing in the catalog fits fully."]


def gpu_embed(
    g: GPUEntry, fits_8k: list[FitEntry], fits_32k: list[FitEntry], runtime: Runtime
) -> discord.Embed:
    """The GPU page: facts, then the best models that fit at 8K and 32K, grouped by size."""
    embed = discord.Embed(title=g.name, colour=NEUTRAL, url=str(g.sources[0].url) if g.sources else None)
    embed.description = "\n".join(_facts_lines(gpu_facts(g)))
    for title, fits in ((f"Best models that fit at 8K ({runtime.value})", fits_8k), ("At 32K", fits_32k)):
        for i, block in enumerate(chunks(_fits_lines(fits, 4))):
            add_field(embed, title if i == 0 else f"{title} (cont.)", block)
    if g.notes:
        add_field(embed, "Notes", "\n".join(f"• {n}" for n in g.notes))
    add_field(embed, "Sources", "\n".join(f"<{s.url}>" for s in g.sources))
    embed.set_footer(text=f"id {g.id} · /whatfits {g.id} for the full list")
    enforce(embed)
    return embed


def whatfits_embed(
    rig: Rig, context: int, runtime: Runtime, fits: list[FitEntry], total_models: int
) -> discord.Embed:
    """Every catalog model that runs fully on the rig, best format of each, grouped by size."""
    embed = discord.Embed(
        title=clip(f"What fits on {rig.description} at {ctx_label(context)}", 256), colour=NEUTRAL
    )
    embed.description = (
        f"{len(fits)} of {total_models} catalog models run fully on the GPU with {runtime.value}; "
        "each with the largest format that fits, biggest models first."
    )
    for name, entries in grouped(fits).items():
        items = [f"{e.model.name} ({e.quant})" for e in entries]
        value = ""
        for shown, item in enumerate(items):
            more = f" +{len(items) - shown} more"
            if len(value) + 2 + len(item) + len(more) > FIELD_VALUE:
                value += more
                break
            value = f"{value}, {item}" if value else item
        add_field(embed, f"{name} · {len(entries)}", value)
    if not fits:
        add_field(
            embed, "Nothing fits", "No catalog model fits fully; try a shorter context or `/fit` for offload."
        )
    embed.set_footer(text=f"{runtime.value} · /fit <model> for the details of one")
    enforce(embed)
    return embed


def rig_embed(saved: SavedRig, rig: Rig | None, notes: list[str] | None = None) -> discord.Embed:
    embed = discord.Embed(title="Your saved rig", colour=NEUTRAL)
    embed.description = rig.description if rig else "None of its GPUs are in the catalog any more."
    if saved.text:
        add_field(embed, "As you typed it", safe(saved.text, 200))
    if rig is not None:
        add_field(
            embed, "Usable for estimates", size(rig.setup.total_memory_bytes) + " of GPU memory", inline=True
        )
    for n in notes or []:
        add_field(embed, "Note", safe(n, 300))
    embed.set_footer(text="Used by /fit when you leave out the GPU, and by mention replies")
    enforce(embed)
    return embed


HELP = [
    (
        "/fit model gpu",
        "Will it fit? Verdict, table of contexts × quants, memory breakdown, speed. "
        "Leave out `gpu` once you have saved a rig. Options: count, context, quant, runtime, kv_cache, "
        "concurrency.",
    ),
    ("/model name", "The model page: architecture facts, what improved, how it was released, sources."),
    ("/gpu name", "Memory, bandwidth, class, and the best models that fit at 8K and 32K."),
    ("/whatfits gpu", "Every catalog model that runs fully on a GPU (or `24gb`), grouped by size."),
    ("/rig set · show · clear", "Save your machine once: `2x 3090 + 64gb ram`, `4060 ti 16gb`, `24gb`."),
    ("/settings", "Server managers: default runtime and whether replies are private."),
    ("Mention me", "Ask in words: `@FitMyGPU will qwen2.5 14b q4 fit on a 4070 at 32k?` (or DM me)."),
]


def help_embed(catalog_version: str, models: int, gpus: int) -> discord.Embed:
    embed = discord.Embed(
        title="FitMyGPU — will a model fit on your GPU?",
        colour=NEUTRAL,
        description="Estimates follow how llama.cpp, Ollama, vLLM, Transformers and MLX actually "
        "allocate memory: weights per tensor, KV cache per layer kind, compute buffers, reserves.",
    )
    for name, text in HELP:
        add_field(embed, name, text)
    add_field(embed, "Marks", LEGEND)
    embed.set_footer(text=f"{models} models · {gpus} GPUs · catalog {catalog_version}")
    enforce(embed)
    return embed


def settings_embed(gs: GuildSettings) -> discord.Embed:
    embed = discord.Embed(title="Server settings", colour=NEUTRAL)
    add_field(
        embed,
        "Default runtime",
        gs.default_runtime or "none (llama.cpp unless a quant implies another)",
        inline=True,
    )
    add_field(embed, "Private replies", "yes" if gs.ephemeral else "no", inline=True)
    return embed


def error_text(message: str, suggestions: list[str] | None = None) -> str:
    """A short error for an ephemeral reply; suggestions are catalog names (safe, but escaped)."""
    text = f"⚠️ {message}"
    if suggestions:
        text += "\nDid you mean: " + ", ".join(f"**{safe(s, 60)}**" for s in suggestions[:5])
    return clip(text, 2000)
