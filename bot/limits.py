"""Discord's size limits for embeds, and helpers that keep every message inside them.

Why enforce rather than hope: a message over any limit is rejected with a 400 and the user sees
nothing. Catalog prose grows, so renderers build freely and then :func:`enforce` trims the longest
parts until the embed is legal, and reports whether it had to cut (so the caller can attach the
full text).
"""

from __future__ import annotations

import discord

from fitmygpu.textutil import clip

TITLE = 256
DESCRIPTION = 4096
FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
AUTHOR = 256
TOTAL = 6000  # over all embeds of one message
CONTENT = 2000
EMPTY = "\u200b"  # Discord rejects empty field names and values


def chunks(lines: list[str], limit: int = FIELD_VALUE) -> list[str]:
    """Join lines into blocks of at most ``limit`` characters, never splitting a line unless it is
    longer than ``limit`` by itself (then it is clipped)."""
    out: list[str] = []
    cur = ""
    for line in lines:
        line = clip(line, limit)
        candidate = f"{cur}\n{line}" if cur else line
        if len(candidate) <= limit:
            cur = candidate
        else:
            out.append(cur)
            cur = line
    if cur:
        out.append(cur)
    return out


def add_field(embed: discord.Embed, name: str, value: str, *, inline: bool = False) -> bool:
    """Add a clipped field; False (and nothing added) when the embed already has 25."""
    if len(embed.fields) >= FIELDS:
        return False
    embed.add_field(
        name=clip(name, FIELD_NAME) or EMPTY, value=clip(value, FIELD_VALUE) or EMPTY, inline=inline
    )
    return True


def enforce(embed: discord.Embed, budget: int = TOTAL) -> bool:
    """Make ``embed`` legal in place; True when anything had to be cut."""
    cut = False
    if embed.title and len(embed.title) > TITLE:
        embed.title, cut = clip(embed.title, TITLE), True
    if embed.description and len(embed.description) > DESCRIPTION:
        embed.description, cut = clip(embed.description, DESCRIPTION), True
    if embed.footer and embed.footer.text and len(embed.footer.text) > FOOTER:
        embed.set_footer(text=clip(embed.footer.text, FOOTER), icon_url=embed.footer.icon_url)
        cut = True
    while len(embed.fields) > FIELDS:
        embed.remove_field(len(embed.fields) - 1)
        cut = True
    for i, f in enumerate(embed.fields):
        name, value = f.name or EMPTY, f.value or EMPTY
        if len(name) > FIELD_NAME or len(value) > FIELD_VALUE:
            embed.set_field_at(
                i, name=clip(name, FIELD_NAME), value=clip(value, FIELD_VALUE), inline=f.inline
            )
            cut = True
    while len(embed) > budget:
        cut = True
        over = len(embed) - budget
        longest = max(range(len(embed.fields)), key=lambda i: len(embed.fields[i].value or ""), default=None)
        desc = len(embed.description or "")
        if longest is not None and len(embed.fields[longest].value or "") > max(desc, 40):
            f = embed.fields[longest]
            value = f.value or ""
            embed.set_field_at(
                longest, name=f.name, value=clip(value, max(20, len(value) - over)), inline=f.inline
            )
        elif desc > 40:
            embed.description = clip(embed.description or "", max(20, desc - over))
        elif embed.fields:
            embed.remove_field(len(embed.fields) - 1)
        else:
            embed.title = clip(embed.title or "", max(1, len(embed.title or "") - over))
    return cut


def total_length(embeds: list[discord.Embed]) -> int:
    return sum(len(e) for e in embeds)
