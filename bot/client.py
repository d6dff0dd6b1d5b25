"""The discord.py client: intents, safe defaults, cogs, dynamic items, database lifecycle.

Why a mixin: the same bot runs as a plain :class:`commands.Bot` (one gateway connection, right for
a self-hosted bot) or as an :class:`commands.AutoShardedBot` when sharding is configured; the
behaviour is identical and lives in :class:`FitBotMixin`.

Safe defaults, set once here: no privileged intents (mention and DM content still arrive),
``AllowedMentions.none()`` on every message, commands usable in servers, DMs and group DMs, and
installable to servers and to users. Commands are never synced on start; ``fitmygpu-bot sync``
does that, so that of several shard processes only one ever writes them.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.cog_fit import FitCog
from bot.cog_meta import MetaCog
from bot.cog_pages import PagesCog
from bot.cog_rig import RigCog
from bot.mentions import MentionCog
from bot.services import Services
from bot.settings import BotSettings
from bot.tree import FitTree
from bot.views import FitOptionSelect, PickModelSelect
from fitmygpu import __version__
from fitmygpu.cache import Store

log = logging.getLogger("bot.client")


def intents() -> discord.Intents:
    """Guilds (for the cache) and message events; no privileged intent at all."""
    i = discord.Intents.none()
    i.guilds = True
    i.guild_messages = True
    i.dm_messages = True
    return i


class FitBotMixin:
    """Shared by :class:`FitBot` and :class:`ShardedFitBot`. ``services`` is None only for
    ``fitmygpu-bot sync``, which needs the command definitions but not the catalog."""

    settings: BotSettings
    services: Services

    def __init__(
        self, settings: BotSettings, services: Services | None, *, open_store: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(  # type: ignore[call-arg]
            command_prefix=commands.when_mentioned,
            intents=intents(),
            help_command=None,
            tree_cls=FitTree,
            allowed_mentions=discord.AllowedMentions.none(),
            allowed_contexts=app_commands.AppCommandContext(
                guild=True, dm_channel=True, private_channel=True
            ),
            allowed_installs=app_commands.AppInstallationType(guild=True, user=True),
            **kwargs,
        )
        self.settings = settings
        self.services = services  # type: ignore[assignment]
        self._open_store = open_store and services is not None
        self._owns_store = False
        self._fit_closing: asyncio.Future[None] | None = None

    async def setup_hook(self) -> None:
        if self._open_store and self.services.store is None:
            store = await Store.open(self.settings.db_path, self.services.catalog.version)
            self.services.attach_store(store)
            self._owns_store = True
        bot: Any = self
        for cog in (
            FitCog(bot),
            PagesCog(bot),
            RigCog(bot),
            MetaCog(bot),
            MentionCog(bot, self.settings.mention_cooldown),
        ):
            await bot.add_cog(cog)
        bot.add_dynamic_items(FitOptionSelect, PickModelSelect)
        if self.services is not None:
            charts = await self.services.charts.warm_up()
            log.info("charts %s", "enabled" if charts else "not available; replies go out without them")

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: a mention is a question (see :mod:`bot.mentions`), not a command."""

    async def on_ready(self) -> None:
        bot: Any = self
        log.info("connected to Discord as %s (id %s), %d servers", bot.user, bot.user.id, len(bot.guilds))

    async def on_app_command_completion(self, interaction: discord.Interaction, command: Any) -> None:
        if self.services is not None and self.services.store is not None:
            await self.services.store.count_use(command.qualified_name)

    async def close(self) -> None:
        """Close the gateway, then the database; concurrent and repeated calls share one close,
        so a SIGTERM handler and ``async with`` cannot race to a half-closed database."""
        if self._fit_closing is None:
            self._fit_closing = asyncio.ensure_future(self._close_everything())
        await self._fit_closing

    async def _close_everything(self) -> None:
        await super().close()  # type: ignore[misc]
        if self._owns_store and self.services.store is not None:
            store = self.services.store
            self.services.attach_store(None)
            await store.close()
            log.info("database closed")

    def readiness(self) -> dict[str, bool]:
        bot: Any = self
        store = self.services.store if self.services is not None else None
        return {
            "catalog": self.services is not None,
            "gateway": bot.is_ready() and not bot.is_closed(),
            "database": store is not None and store.is_open,
        }


class FitBot(FitBotMixin, commands.Bot):
    pass


class ShardedFitBot(FitBotMixin, commands.AutoShardedBot):
    pass


def make_bot(settings: BotSettings, services: Services | None, **kwargs: Any) -> FitBot | ShardedFitBot:
    """The bot class the settings ask for: sharded when any sharding setting is given."""
    if settings.sharded:
        if settings.shard_count is not None:
            kwargs.setdefault("shard_count", settings.shard_count)
        if settings.shard_ids is not None:
            kwargs.setdefault("shard_ids", settings.shard_ids)
        return ShardedFitBot(settings, services, **kwargs)
    return FitBot(settings, services, **kwargs)


def startup_line(services: Services, settings: BotSettings) -> str:
    c = services.catalog
    return (
        f"FitMyGPU {__version__} (discord.py {discord.__version__}): catalog {c.version} "
        f"with {len(c.models)} models and {len(c.gpus)} GPUs, database {settings.db_path}"
    )
