"""Writes docs/commands.md from real replies: ``python -m bot.docgen > docs/commands.md``.

Why generated: examples typed by hand drift from what the bot says. These are the bot's own
renderers run on the bundled catalog, with each embed flattened to text (fields as "name: value"),
so the page shows exactly what Discord shows, minus colours.
"""

from __future__ import annotations

import asyncio
import sys

import discord

from bot.embeds import error_text, help_embed, rig_embed, settings_embed
from bot.lookup import Unresolved
from bot.pages import gpu_reply, model_reply, whatfits_reply
from bot.replies import Reply
from bot.services import Services
from bot.state import FitState
from bot.views import fit_reply, reply_for, state_of
from fitmygpu.cache import GuildSettings
from fitmygpu.catalog.loader import default_catalog
from fitmygpu.estimator.types import Runtime


def embed_text(embed: discord.Embed) -> list[str]:
    out = [embed.title or ""]
    if embed.url:
        out.append(f"<{embed.url}>")
    if embed.description:
        out += ["", *(line for line in embed.description.splitlines() if not line.startswith("```"))]
    for f in embed.fields:
        value = (f.value or "").splitlines()
        out += ["", f"{f.name}: {value[0] if value else ''}", *(f"  {v}" for v in value[1:])]
    if embed.image and embed.image.url:
        out += ["", f"[image: {embed.image.url.removeprefix('attachment://')}]"]
    if embed.footer and embed.footer.text:
        out += ["", f"— {embed.footer.text}"]
    return out


def components_text(view: discord.ui.View | None) -> list[str]:
    if view is None:
        return []
    parts = []
    for item in view.children:
        select = getattr(item, "item", item)
        parts.append(f"[{getattr(select, 'placeholder', None) or 'menu'} ▾]")
    return ["", " ".join(parts)]


def block(reply: Reply) -> str:
    lines: list[str] = []
    if reply.content:
        lines += reply.content.splitlines()
    for e in reply.embeds:
        lines += embed_text(e)
    lines += components_text(reply.view)
    for f in reply.files:
        if not any(f.filename in line for line in lines):
            lines.append(f"[attachment: {f.filename}]")
    return "```text\n" + "\n".join(lines).rstrip() + "\n```"


async def render() -> str:
    catalog = default_catalog()
    services = Services.build(catalog)
    services.charts.enabled = False  # the page shows text; charts are attached in Discord
    lookup = services.lookup
    out = [
        "# Commands",
        "",
        "Every example below is a real reply, rendered by the bot's own code from the bundled",
        f"catalog (version `{catalog.version}`) with `python -m bot.docgen > docs/commands.md`.",
        "Embeds are flattened to text: the title first, then the description, then each field as",
        "`name: value`, the footer after `—`. Menus under a reply are shown as `[… ▾]`.",
        "",
        "Commands work in servers, in DMs with the bot, and anywhere when the bot is installed to",
        "your account. Errors are private (only you see them) and suggest what you may have meant.",
        "",
    ]

    async def fit(model: str, gpu: str, **options: object) -> Reply:
        entry = await services.resolve_model(model)
        rig = lookup.parse_rig(gpu)[0] if "ram" in gpu else await services.resolve_gpu(gpu)
        return await fit_reply(services, FitState.from_rig(entry.id, rig, **options))  # type: ignore[arg-type]

    out += [
        "## /fit model gpu [count] [context] [quant] [runtime] [kv_cache] [concurrency]",
        "",
        "Will it fit? The verdict at the asked (or 8K) context, a table of contexts × quants",
        "(✓ fits · ~ tight · ◐ needs CPU offload · ✗ does not fit, with the total memory), the memory",
        "breakdown behind the verdict, the best quant, the longest context that fits, and a speed",
        "estimate. `model`, `gpu`, `quant` and `context` autocomplete. Leave out `gpu` after `/rig set`.",
        "The menus switch quant, runtime or context by editing the reply; they keep working after",
        "the bot restarts. When charts are available, a memory-vs-context chart is attached.",
        "",
        "`/fit model:deepseek r1 1.5b gpu:3060`",
        "",
        block(await fit("deepseek r1 1.5b", "3060")),
        "",
        "`/fit model:qwen2.5 7b gpu:4090 runtime:vllm context:32k concurrency:8`",
        "",
        block(await fit("qwen2.5 7b", "4090", runtime=Runtime.VLLM, context=32768, concurrency=8)),
        "",
        "`/fit model:llama 3.3 70b` after `/rig set setup:2x 3090 + 64gb ram`",
        "",
        block(await fit("llama 3.3 70b", "2x 3090 + 64gb ram")),
        "",
        "An ambiguous name gets a private menu of the candidates; picking one answers.",
        "`/fit model:llama 8b gpu:3090`",
        "",
    ]
    try:
        lookup.resolve_model("llama 8b")
    except Unresolved as exc:
        names = " · ".join(c.name for c in exc.candidates)
        out += [block(Reply(content=error_text(exc.message) + f"\n[Which model? ▾ {names}]")), ""]
    try:
        lookup.resolve_gpu("rtx 9999")
    except Unresolved as exc:
        out += ["`/fit model:qwen2.5 7b gpu:rtx 9999`", "", block(Reply(content=user_text(exc))), ""]

    out += [
        "## /model name",
        "",
        "The model's page: every fact of the catalog entry, its prose sections and sources. If a",
        "page is longer than Discord allows, the full page is attached as `model.txt`.",
        "",
        "`/model name:r1 1.5b`",
        "",
        block(await model_reply(services, await services.resolve_model("r1 1.5b"))),
        "",
        "## /gpu name",
        "",
        "Memory, bandwidth, class, and the best models that run fully on it at 8K and 32K (llama.cpp),",
        "grouped by size. It estimates the whole catalog, so the bot shows “thinking…” first.",
        "",
        "`/gpu name:4090`",
        "",
        block(await gpu_reply(services, catalog.gpus["nvidia-rtx-4090"])),
        "",
        "## /whatfits gpu [context] [runtime]",
        "",
        "Every catalog model that runs fully on a GPU, a memory size, or your saved rig, each with the",
        "largest format that fits, grouped by size.",
        "",
        "`/whatfits gpu:8gb context:16k`",
        "",
        block(await whatfits_reply(services, await services.resolve_gpu("8gb"), 16384, Runtime.LLAMA_CPP)),
        "",
        "## /rig set · /rig show · /rig clear",
        "",
        "Save your machine once; `/fit` and mention questions use it when you name no GPU.",
        "Written the way you would say it: `2x 3090 + 64gb ram`, `4060 ti 16gb`, `m3 max 64gb`, `24gb`.",
        "Replies are private.",
        "",
        "`/rig set setup:2x 3090 + 64gb ram`",
        "",
    ]
    rig, notes = lookup.parse_rig("2x 3090 + 64gb ram")
    saved_embed = rig_embed(lookup.to_saved(rig, "2x 3090 + 64gb ram"), rig, notes)
    saved_embed.title = "Saved your rig"
    out += [
        block(Reply(embeds=[saved_embed])),
        "",
        "`/rig clear`",
        "",
        block(Reply(content="Forgot your saved rig.")),
        "",
    ]
    out += [
        "## /help",
        "",
        block(Reply(embeds=[help_embed(catalog.version, len(catalog.models), len(catalog.gpus))])),
        "",
        "## /settings [runtime] [private]",
        "",
        "For server managers (Manage Server): the runtime `/fit` and `/whatfits` assume when none is",
        "given, and whether answers are private. Without options it shows the current settings.",
        "",
        "`/settings runtime:ollama private:False`",
        "",
        block(Reply(embeds=[settings_embed(GuildSettings(default_runtime="ollama"))])),
        "",
        "## Mentions and DMs",
        "",
        "Mention the bot with a question in words, or DM it; the reply is the `/fit` answer (with the",
        "same menus) and never pings anyone. This needs no privileged intent: Discord delivers the",
        "text of messages that mention the bot, and of DMs. One reply per user per",
        "`FITMYGPU_MENTION_COOLDOWN` seconds (default 10).",
        "",
        "`@FitMyGPU will qwen2.5 14b q4 fit on a 4070 at 32k?`",
        "",
    ]
    answer = lookup.answerer.ask("will qwen2.5 14b q4 fit on a 4070 at 32k?")
    out += [block(await reply_for(services, state_of(answer), answer)), ""]
    return "\n".join(out)


def user_text(exc: Unresolved) -> str:
    return error_text(exc.message, exc.suggestions)


def main() -> None:
    sys.stdout.write(asyncio.run(render()))


if __name__ == "__main__":
    main()
