"""The command tree: where every slash-command error ends up, turned into a short private reply.

Why centralised: commands raise :class:`bot.lookup.Unresolved` for anything the user can fix
("no GPU called …", with suggestions) and let everything else propagate; this one handler decides
what the user sees, so no command can leak a traceback or forget to answer.
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.replies import USER_ERRORS, report_unexpected, send_error, user_message

log = logging.getLogger("bot.tree")


class FitTree(app_commands.CommandTree):
    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        original = getattr(error, "original", error)
        try:
            if isinstance(original, USER_ERRORS):
                await send_error(interaction, user_message(original))
            elif isinstance(error, app_commands.CommandOnCooldown):
                await send_error(
                    interaction, f"⏳ That one is heavy; try again in {error.retry_after:.0f} s."
                )
            elif isinstance(error, app_commands.NoPrivateMessage):
                await send_error(interaction, "That command only works in a server.")
            elif isinstance(error, app_commands.MissingPermissions):
                await send_error(interaction, "You need the Manage Server permission for that.")
            elif isinstance(error, app_commands.TransformerError):
                await send_error(interaction, f"⚠️ {discord.utils.escape_mentions(str(error))[:300]}")
            elif isinstance(error, app_commands.CommandNotFound):
                log.warning("unknown command %r: run `fitmygpu-bot sync` after upgrading", error.name)
                await send_error(interaction, "That command is not available any more; try `/help`.")
            elif isinstance(error, app_commands.CheckFailure):
                await send_error(interaction, "You cannot use that command here.")
            else:
                await report_unexpected(interaction, original)
        except discord.HTTPException as exc:
            log.warning("could not report an error to the user: %s", exc)
