"""End-to-end fixtures: a fake Discord on loopback and the production bot connected to it.

Only two discord.py attributes are redirected (``Route.BASE`` and
``DiscordWebSocket.DEFAULT_GATEWAY``); everything else is the real client: login, gateway,
command tree, views, webhooks, multipart uploads.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import discord
import pytest
import yarl

from bot.chart_files import ChartService
from bot.client import FitBot, make_bot
from bot.lookup import Lookup
from bot.services import Services
from bot.settings import BotSettings
from fitmygpu.catalog.loader import Catalog
from tests.e2e.fakecord import FakeDiscord

DEADLINE = 3.0  # Discord's: an interaction unanswered after 3 s is dead

# A small catalog for commands that estimate every model (/gpu, /whatfits): same entries, fewer.
SUBSET_MODELS = (
    "deepseek-r1-distill-qwen-1.5b",
    "qwen2.5-7b-instruct",
    "llama-3.1-8b-instruct",
    "llama-3-8b-instruct",
    "gemma-3-27b-it",
    "qwen3-30b-a3b",
    "llama-3.3-70b-instruct",
    "mistral-small-3.1-24b-instruct-2503",
)


def png(width: int = 2, height: int = 2) -> bytes:
    """A real (tiny) PNG, so attachment plumbing is tested with a valid image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="session")
def lookup(catalog: Catalog) -> Lookup:
    return Lookup(catalog)


@pytest.fixture(scope="session")
def subset_catalog(catalog: Catalog) -> Catalog:
    models = {k: catalog.models[k] for k in SUBSET_MODELS if k in catalog.models}
    return Catalog(models=models, gpus=catalog.gpus, version=catalog.version + "-subset")


@pytest.fixture(scope="session")
def subset_lookup(subset_catalog: Catalog) -> Lookup:
    return Lookup(subset_catalog)


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    f = FakeDiscord()
    await f.start()
    monkeypatch.setattr(discord.http.Route, "BASE", f.api_base)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(f.gateway_url))
    yield f
    await f.stop()


def make_settings(tmp_path: Path, **overrides: Any) -> BotSettings:
    values: dict[str, Any] = {
        "discord_token": "test-token",
        "db_path": tmp_path / "bot.sqlite3",
        "health_port": 0,
        "mention_cooldown": 10.0,
    }
    values.update(overrides)
    return BotSettings(_env_file=None, **values)  # type: ignore[call-arg]


StartBot = Callable[..., Awaitable[FitBot]]


@pytest.fixture
async def start_bot(fake: FakeDiscord, tmp_path: Path, lookup: Lookup) -> AsyncIterator[StartBot]:
    """Start the production bot class against the fake; closes every bot it started."""
    started: list[tuple[Any, asyncio.Task[None]]] = []

    async def start(
        *, services: Services | None = None, chart: bool | str = False, **settings: Any
    ) -> FitBot:
        if services is None:
            # chart=False: no charts; True: a stub renderer (tests our plumbing); "real": whatever
            # fitmygpu.charts provides.
            stub = chart is True
            charts = ChartService(
                None,
                lookup.catalog.version,
                fit_renderer=(lambda answer: png()) if stub else None,
                gpu_renderer=(lambda g, r, f: png()) if stub else None,
                enabled=bool(chart),
            )
            services = Services(catalog=lookup.catalog, lookup=lookup, charts=charts)
        bot = make_bot(make_settings(tmp_path, **settings), services, guild_ready_timeout=0.1)
        fake.identified.clear()
        task = asyncio.create_task(bot.start("test-token"))
        started.append((bot, task))
        await asyncio.wait_for(bot.wait_until_ready(), 10)
        return bot  # type: ignore[return-value]

    yield start
    for bot, task in started:
        await bot.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 5)
