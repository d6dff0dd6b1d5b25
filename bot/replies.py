"""Sending replies inside Discord's clock, and failing politely.

Why one helper for every reply: Discord drops an interaction that is not answered within three
seconds, and a deferred reply fixes its visibility at the moment of deferral. :func:`respond`
starts the work, answers directly when it finishes quickly, and defers (then edits) when it does
not, so fast answers cost one request and slow ones never miss the deadline. User-level problems
become short ephemeral messages with suggestions; anything unexpected is logged with an error id
and the user sees only an apology carrying that id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

import discord

from bot.embeds import error_text
from bot.lookup import Unresolved
from fitmygpu.answer import AnswerError

log = logging.getLogger("bot.replies")

NO_PINGS = discord.AllowedMentions.none()
DEFER_AFTER = 1.5  # seconds of work before we defer; leaves room for slow networks within 3 s


@dataclass
class Reply:
    """A message to send or to edit into place."""

    embeds: list[discord.Embed] = field(default_factory=list)
    view: discord.ui.View | None = None
    files: list[discord.File] = field(default_factory=list)
    content: str | None = None

    def send_kwargs(self) -> dict[str, Any]:
        kw: dict[str, Any] = {"embeds": self.embeds, "files": self.files, "allowed_mentions": NO_PINGS}
        if self.content is not None:
            kw["content"] = self.content
        if self.view is not None:
            kw["view"] = self.view
        return kw

    def edit_kwargs(self) -> dict[str, Any]:
        """Edits replace everything: content, embeds, components and attachments."""
        return {
            "content": self.content,
            "embeds": self.embeds,
            "attachments": self.files,
            "view": self.view,
            "allowed_mentions": NO_PINGS,
        }


USER_ERRORS = (Unresolved, AnswerError)


def user_message(exc: BaseException) -> str:
    if isinstance(exc, USER_ERRORS):
        return error_text(exc.message, exc.suggestions)
    return error_text(str(exc))


async def respond(
    interaction: discord.Interaction,
    work: Coroutine[Any, Any, Reply],
    *,
    ephemeral: bool = False,
    edit: bool = False,
    defer_first: bool = False,
    defer_after: float = DEFER_AFTER,
) -> None:
    """Answer ``interaction`` with the reply ``work`` produces.

    ``edit`` edits the message a component sits on instead of sending a new one; ``defer_first``
    defers at once (for work known to be slow, such as estimating the whole catalog)."""
    task = asyncio.ensure_future(work)
    if not defer_first:
        await asyncio.wait({task}, timeout=defer_after)
    if not task.done():
        try:
            if edit:
                await interaction.response.defer()
            else:
                await interaction.response.defer(thinking=True, ephemeral=ephemeral)
        except BaseException:
            task.cancel()  # the interaction is gone; do not leave the work running unobserved
            raise
    try:
        reply = await task
    except USER_ERRORS as exc:
        await send_error(interaction, user_message(exc))
        return
    if interaction.response.is_done():
        await interaction.edit_original_response(**reply.edit_kwargs())
    elif edit:
        await interaction.response.edit_message(**reply.edit_kwargs())
    else:
        await interaction.response.send_message(**reply.send_kwargs(), ephemeral=ephemeral)


async def send_error(interaction: discord.Interaction, text: str) -> None:
    """An ephemeral message, whatever state the interaction is in."""
    if interaction.is_expired():
        return
    if interaction.type == discord.InteractionType.autocomplete:
        return  # autocompletes cannot carry messages; an empty list was or will be sent
    if not interaction.response.is_done():
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)
        return
    if interaction.response.type == discord.InteractionResponseType.deferred_channel_message:
        # A public "thinking…" placeholder must not stay behind (or turn into a public error).
        with contextlib.suppress(discord.HTTPException):
            await interaction.delete_original_response()
    await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)


def error_context(interaction: discord.Interaction) -> dict[str, Any]:
    """What an operator needs to reproduce a failure (no tokens)."""
    data = interaction.data or {}
    return {
        "interaction_id": interaction.id,
        "interaction_type": interaction.type.name if interaction.type else None,
        "command": interaction.command.qualified_name if interaction.command else data.get("name"),
        "options": str(data.get("options", ""))[:500],
        "custom_id": data.get("custom_id"),
        "values": str(data.get("values", ""))[:200],
        "user_id": interaction.user.id if interaction.user else None,
        "guild_id": interaction.guild_id,
        "channel_id": interaction.channel_id,
    }


def new_error_id() -> str:
    return secrets.token_hex(4)


async def report_unexpected(interaction: discord.Interaction, error: BaseException) -> str:
    """Log ``error`` with its context under a fresh id and apologise to the user with that id."""
    error_id = new_error_id()
    ctx = error_context(interaction)
    log.error(
        "unexpected error %s in %s: %r",
        error_id,
        ctx.get("command") or ctx.get("custom_id"),
        error,
        exc_info=(type(error), error, error.__traceback__),
        extra={"error_id": error_id, **ctx},
    )
    try:
        await send_error(
            interaction,
            f"Sorry, something went wrong on our side. Error id `{error_id}` (the operator can look it up).",
        )
    except discord.HTTPException as exc:
        log.warning("could not tell the user about error %s: %s", error_id, exc)
    return error_id


async def guarded(interaction: discord.Interaction, work: Coroutine[Any, Any, None]) -> None:
    """Run a component callback; user errors and surprises are reported like command errors
    (discord.py only logs exceptions from dynamic items)."""
    try:
        await work
    except USER_ERRORS as exc:
        await send_error(interaction, user_message(exc))
    except Exception as exc:
        await report_unexpected(interaction, exc)
