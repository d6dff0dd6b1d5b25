"""/fit: will this model fit on this GPU?"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import autocomplete
from bot.embeds import error_text
from bot.lookup import Unresolved, parse_context
from bot.replies import NO_PINGS, respond
from bot.services import quant_runs_on
from bot.state import FitState
from bot.views import fit_reply, picker_view
from fitmygpu.estimator.types import Runtime

if TYPE_CHECKING:
    from bot.client import FitBotMixin

RUNTIME_CHOICES = [app_commands.Choice(name=r.value, value=r.value) for r in Runtime]
KV_CHOICES = [
    app_commands.Choice(name=name, value=value)
    for name, value in (
        ("f16 (default for GGUF engines)", "f16"),
        ("bf16", "bf16"),
        ("q8_0 / 8-bit (fp8 on vLLM)", "q8_0"),
        ("q4_0 / 4-bit", "q4_0"),
        ("fp8 (vLLM)", "fp8"),
    )
]


class FitCog(commands.Cog):
    def __init__(self, bot: FitBotMixin) -> None:
        self.bot = bot

    @app_commands.command(name="fit", description="Will a model fit on a GPU? Verdict, memory table, speed.")
    @app_commands.describe(
        model="Model name, e.g. qwen2.5 7b",
        gpu="GPU name or memory size (e.g. 3090, 4060 ti 16gb, 24gb); leave out to use your saved rig",
        count="How many of that GPU",
        context="Context length, e.g. 8K, 32K, 131072",
        quant="Weight format, e.g. Q4_K_M, Q8_0, AWQ, FP8 (default: every common one)",
        runtime="Inference engine (default: llama.cpp, or what the quant implies)",
        kv_cache="KV cache type",
        concurrency="Parallel sequences / simultaneous requests",
    )
    @app_commands.choices(runtime=RUNTIME_CHOICES, kv_cache=KV_CHOICES)
    @app_commands.autocomplete(
        model=autocomplete.model, gpu=autocomplete.gpu, quant=autocomplete.quant, context=autocomplete.context
    )
    async def fit(
        self,
        interaction: discord.Interaction,
        model: app_commands.Range[str, 1, 100],
        gpu: app_commands.Range[str, 1, 100] | None = None,
        count: app_commands.Range[int, 1, 16] | None = None,
        context: app_commands.Range[str, 1, 20] | None = None,
        quant: app_commands.Range[str, 1, 20] | None = None,
        runtime: str | None = None,
        kv_cache: str | None = None,
        concurrency: app_commands.Range[int, 1, 1024] | None = None,
    ) -> None:
        services = self.bot.services
        store = services.store
        gs = await store.get_guild_settings(interaction.guild_id) if store else None
        rig = await services.rig_for(interaction.user.id, gpu)
        rig = services.lookup.with_count(rig, count)
        ctx = parse_context(context) if context else None
        q = services.lookup.resolve_quant(quant) if quant else None
        rt = Runtime(runtime) if runtime else None
        if rt is None and gs and gs.default_runtime:
            default = Runtime(gs.default_runtime)
            rt = default if q is None or quant_runs_on(q, default) else None
        options = {
            "context": ctx,
            "quant": q,
            "runtime": rt,
            "kv_cache": kv_cache,
            "concurrency": concurrency,
        }
        try:
            entry = await services.resolve_model(model)
        except Unresolved as exc:
            if not exc.candidates:
                raise
            view = picker_view(services, "f", FitState.from_rig("", rig, **options), exc.candidates)
            if view is None:
                raise
            await interaction.response.send_message(
                error_text(exc.message), view=view, ephemeral=True, allowed_mentions=NO_PINGS
            )
            return
        state = FitState.from_rig(entry.id, rig, **options)
        await respond(interaction, fit_reply(services, state), ephemeral=bool(gs and gs.ephemeral))
