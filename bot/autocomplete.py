"""Autocomplete callbacks shared by every command with a model, GPU, quant or context option.

Why they are this thin: an autocomplete cannot be deferred and must answer within 3 seconds on
every keystroke, so all ranking happens in :class:`bot.lookup.Lookup` over name lists built at
startup (no database, no I/O). Discord's limits (25 choices, 100 characters) are applied there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.lookup import Choice, Lookup
from fitmygpu.estimator.types import Runtime

if TYPE_CHECKING:
    from bot.client import FitBotMixin

_RUNTIMES = {r.value for r in Runtime}


def _lookup(interaction: discord.Interaction) -> Lookup:
    bot: FitBotMixin = interaction.client  # type: ignore[assignment]
    return bot.services.lookup


def _choices(items: list[Choice]) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=c.name, value=c.value) for c in items]


def _option(interaction: discord.Interaction, name: str) -> str | None:
    value = getattr(interaction.namespace, name, None)
    return value if isinstance(value, str) else None


async def model(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    return _choices(_lookup(interaction).complete_model(current))


async def gpu(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    return _choices(_lookup(interaction).complete_gpu(current))


async def quant(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    runtime = _option(interaction, "runtime")
    rt = Runtime(runtime) if runtime in _RUNTIMES else None
    return _choices(_lookup(interaction).complete_quant(current, _option(interaction, "model"), rt))


async def context(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    return _choices(_lookup(interaction).complete_context(current, _option(interaction, "model")))
