"""/model, /gpu and /whatfits: catalog pages and "what runs on this"."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import autocomplete
from bot.cog_fit import RUNTIME_CHOICES
from bot.embeds import error_text
from bot.lookup import Unresolved, parse_context
from bot.pages import gpu_reply, model_reply, whatfits_reply
from bot.replies import NO_PINGS, respond
from bot.state import FitState
from bot.views import picker_view
from fitmygpu.estimator.types import Runtime

if TYPE_CHECKING:
    from bot.client import FitBotMixin

# /gpu and /whatfits estimate the whole catalog: a few per user per minute is plenty.
HEAVY_RATE, HEAVY_PER = 4, 60.0


class PagesCog(commands.Cog):
    def __init__(self, bot: FitBotMixin) -> None:
        self.bot = bot

    async def _ephemeral(self, interaction: discord.Interaction) -> bool:
        store = self.bot.services.store
        return bool(store and (await store.get_guild_settings(interaction.guild_id)).ephemeral)

    @app_commands.command(
        name="model", description="A model's page: architecture facts, release notes, sources."
    )
    @app_commands.describe(name="Model name, e.g. deepseek r1 1.5b")
    @app_commands.autocomplete(name=autocomplete.model)
    async def model(self, interaction: discord.Interaction, name: app_commands.Range[str, 1, 100]) -> None:
        services = self.bot.services
        try:
            entry = await services.resolve_model(name)
        except Unresolved as exc:
            view = picker_view(services, "m", FitState(), exc.candidates) if exc.candidates else None
            if view is None:
                raise
            await interaction.response.send_message(
                error_text(exc.message), view=view, ephemeral=True, allowed_mentions=NO_PINGS
            )
            return
        await respond(interaction, model_reply(services, entry), ephemeral=await self._ephemeral(interaction))

    @app_commands.command(
        name="gpu", description="A GPU's memory, bandwidth and class, and the best models that fit."
    )
    @app_commands.describe(name="GPU name, e.g. 4090, rx 7900 xtx, m3 max 64gb")
    @app_commands.autocomplete(name=autocomplete.gpu)
    @app_commands.checks.cooldown(HEAVY_RATE, HEAVY_PER)
    async def gpu(self, interaction: discord.Interaction, name: app_commands.Range[str, 1, 100]) -> None:
        services = self.bot.services
        rig = await services.resolve_gpu(name)
        if not rig.gpus:
            raise Unresolved("Name a GPU, not a memory size; for a budget try `/whatfits 24gb`.")
        entry = rig.gpus[0].entry
        await respond(
            interaction,
            gpu_reply(services, entry),
            ephemeral=await self._ephemeral(interaction),
            defer_first=True,
        )

    @app_commands.command(
        name="whatfits", description="The best models that run fully on a GPU, grouped by size."
    )
    @app_commands.describe(
        gpu="GPU name or memory size (24gb); leave out to use your saved rig",
        context="Context length (default 8K)",
        runtime="Inference engine (default: the server's, else llama.cpp)",
    )
    @app_commands.choices(runtime=RUNTIME_CHOICES)
    @app_commands.autocomplete(gpu=autocomplete.gpu, context=autocomplete.context)
    @app_commands.checks.cooldown(HEAVY_RATE, HEAVY_PER)
    async def whatfits(
        self,
        interaction: discord.Interaction,
        gpu: app_commands.Range[str, 1, 100] | None = None,
        context: app_commands.Range[str, 1, 20] | None = None,
        runtime: str | None = None,
    ) -> None:
        services = self.bot.services
        store = services.store
        rig = await services.rig_for(interaction.user.id, gpu)
        ctx = parse_context(context) if context else 8192
        gs = await store.get_guild_settings(interaction.guild_id) if store else None
        rt = (
            Runtime(runtime)
            if runtime
            else Runtime(gs.default_runtime)
            if gs and gs.default_runtime
            else None
        )
        await respond(
            interaction,
            whatfits_reply(services, rig, ctx, rt or Runtime.LLAMA_CPP),
            ephemeral=bool(gs and gs.ephemeral),
            defer_first=True,
        )
