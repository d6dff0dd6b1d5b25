"""Keeping what users type harmless when it is shown back, and rate-limiting mention replies.

Why: the bot echoes model and GPU names people typed ("No model called '…'"). Without care, that
echo could ping @everyone, a role or a user, or break the message's formatting. Every echo goes
through :func:`safe`; every message is also sent with ``AllowedMentions.none()``, so even a missed
escape cannot ping anyone.
"""

from __future__ import annotations

import re
import time

import discord

ECHO_CHARS = 80

_BOT_MENTION = "<@!?{id}>"


def safe(text: str, limit: int = ECHO_CHARS) -> str:
    """User text, clipped, one line, with mentions neutralised and markdown escaped."""
    one_line = " ".join(str(text).split())
    if len(one_line) > limit:
        one_line = one_line[: limit - 1] + "…"
    return discord.utils.escape_markdown(discord.utils.escape_mentions(one_line))


def strip_mention(content: str, bot_id: int) -> str:
    """A message without the bot's own mention tokens (``<@id>`` and ``<@!id>``)."""
    return " ".join(re.sub(_BOT_MENTION.format(id=bot_id), " ", content).split())


class Cooldown:
    """At most one event per ``seconds`` per key (a user id); in memory, pruned as it goes."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._last: dict[int, float] = {}

    def retry_after(self, key: int, now: float | None = None) -> float:
        """0 and records the event if allowed, else the seconds left."""
        now = time.monotonic() if now is None else now
        last = self._last.get(key)
        if last is not None and now - last < self.seconds:
            return self.seconds - (now - last)
        self._last[key] = now
        if len(self._last) > 10_000:
            self._last = {k: t for k, t in self._last.items() if now - t < self.seconds}
        return 0.0
