"""/help, and /settings for server managers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.embeds import help_embed, settings_embed
from bot.lookup import Unresolved
from bot.replies import NO_PINGS
from fitmygpu.cache import GuildSettings, StoreError
from fitmygpu.estimator.types import Runtime

if TYPE_CHECKING:
    from bot.client import FitBotMixin

NO_DEFAULT = "none"
SETTINGS_RUNTIMES = [
    app_commands.Choice(name="no default (llama.cpp unless a quant implies another)", value=NO_DEFAULT),
    *(app_commands.Choice(name=r.value, value=r.value) for r in Runtime),
]


class MetaCog(commands.Cog):
    def __init__(self, bot: FitBotMixin) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="What FitMyGPU can do, with examples")
    async def help(self, interaction: discord.Interaction) -> None:
        c = self.bot.services.catalog
        embed = help_embed(c.version, len(c.models), len(c.gpus))
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="settings", description="Server settings: default runtime, private replies")
    @app_commands.describe(
        runtime="Runtime /fit and /whatfits assume when none is given",
        private="Whether answers are only visible to the person who asked",
    )
    @app_commands.choices(runtime=SETTINGS_RUNTIMES)
    @app_commands.guild_only()
    @app_commands.allowed_installs(guilds=True, users=False)
    @app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def settings(
        self, interaction: discord.Interaction, runtime: str | None = None, private: bool | None = None
    ) -> None:
        store = self.bot.services.store
        if store is None or interaction.guild_id is None:
            raise Unresolved("Settings are not available right now.")
        current = await store.get_guild_settings(interaction.guild_id)
        if runtime is not None or private is not None:
            current = GuildSettings(
                default_runtime=(None if runtime == NO_DEFAULT else runtime)
                if runtime
                else current.default_runtime,
                ephemeral=current.ephemeral if private is None else private,
            )
            try:
                await store.set_guild_settings(interaction.guild_id, current)
            except StoreError:
                raise Unresolved("Could not save the settings just now; please try again.") from None
        await interaction.response.send_message(
            embed=settings_embed(current), ephemeral=True, allowed_mentions=NO_PINGS
        )
