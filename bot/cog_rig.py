"""/rig set, /rig show, /rig clear: a saved machine per user, used when /fit leaves out the GPU."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.embeds import error_text, rig_embed
from bot.lookup import Unresolved
from bot.replies import NO_PINGS
from fitmygpu.cache import StoreError
from fitmygpu.textutil import clip

if TYPE_CHECKING:
    from bot.client import FitBotMixin

RIG_TEXT_CHARS = 200


class RigCog(commands.GroupCog, group_name="rig", group_description="Your saved GPU setup"):
    def __init__(self, bot: FitBotMixin) -> None:
        self.bot = bot
        super().__init__()

    def _store(self):  # noqa: ANN202 - Store, imported lazily for typing only
        store = self.bot.services.store
        if store is None:
            raise Unresolved("Saving is not available right now; try again in a minute.")
        return store

    @app_commands.command(name="set", description="Save your setup, e.g. 2x 3090 + 64gb ram")
    @app_commands.describe(setup="GPUs (with counts), or a memory size, plus optional system RAM")
    async def set_(
        self, interaction: discord.Interaction, setup: app_commands.Range[str, 1, RIG_TEXT_CHARS]
    ) -> None:
        services = self.bot.services
        rig, notes = services.lookup.parse_rig(setup)
        saved = services.lookup.to_saved(rig, clip(" ".join(setup.split()), RIG_TEXT_CHARS))
        try:
            await self._store().save_rig(interaction.user.id, saved)  # committed before we say so
        except StoreError:
            raise Unresolved(
                "Could not save your rig just now; nothing was changed. Please try again."
            ) from None
        embed = rig_embed(saved, rig, notes)
        embed.title = "Saved your rig"
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="show", description="Show your saved setup")
    async def show(self, interaction: discord.Interaction) -> None:
        services = self.bot.services
        saved = await self._store().get_rig(interaction.user.id)
        if saved is None:
            await interaction.response.send_message(
                error_text("You have no saved rig. Save one with `/rig set 2x 3090 + 64gb ram`."),
                ephemeral=True,
                allowed_mentions=NO_PINGS,
            )
            return
        embed = rig_embed(saved, services.lookup.from_saved(saved))
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="clear", description="Forget your saved setup")
    async def clear(self, interaction: discord.Interaction) -> None:
        try:
            removed = await self._store().clear_rig(interaction.user.id)
        except StoreError:
            raise Unresolved("Could not clear your rig just now; please try again.") from None
        text = "Forgot your saved rig." if removed else "You had no saved rig."
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)
