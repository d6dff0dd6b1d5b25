"""``fitmygpu-bot``: run the bot, register its commands, print the invite link, check the config.

    fitmygpu-bot                 run (reads env / .env)
    fitmygpu-bot sync            register slash commands (globally, or to FITMYGPU_DEV_GUILD_ID)
    fitmygpu-bot invite-url      print the links that add the bot to a server or to a user
    fitmygpu-bot check-config    validate the settings and print what would be used

Exit status: 0 for a clean run or shutdown (SIGTERM/SIGINT), 2 for configuration problems (no
token, a rejected token, invalid settings, a catalog that does not load), 1 for anything else.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import contextlib
import logging
import os
import signal
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

import discord
import yarl

from bot.settings import NO_TOKEN, BotSettings, ConfigError, load_settings
from fitmygpu import __version__
from fitmygpu.catalog.loader import CatalogError, load_catalog

log = logging.getLogger("bot.main")

PERMISSIONS = (
    274878024704  # View Channel, Send Messages (+ in Threads), Embed Links, Attach Files, Read History
)
EXIT_OK, EXIT_FAILURE, EXIT_CONFIG = 0, 1, 2


# ----- helpers --------------------------------------------------------------------------------


def application_id_from_token(token: str) -> int | None:
    """A bot token's first part is the base64 of the bot's user id, which is the application id."""
    head = token.split(".", 1)[0]
    try:
        raw = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return int(raw) if raw.isdigit() else None


def invite_urls(client_id: int) -> tuple[str, str]:
    """(add to a server, install for a user)."""
    server = discord.utils.oauth_url(
        client_id, permissions=discord.Permissions(PERMISSIONS), scopes=("bot", "applications.commands")
    )
    user = discord.utils.oauth_url(client_id, scopes=("applications.commands",)) + "&integration_type=1"
    return server, user


def use_test_endpoints(settings: BotSettings) -> None:
    """FITMYGPU_DISCORD_API_BASE / FITMYGPU_DISCORD_GATEWAY: test-only, for a fake Discord."""
    if settings.discord_api_base:
        log.warning("TEST ONLY: Discord REST API redirected to %s", settings.discord_api_base)
        discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
    if settings.discord_gateway:
        log.warning("TEST ONLY: Discord gateway redirected to %s", settings.discord_gateway)
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway)


def _settings_or_exit() -> BotSettings:
    try:
        return load_settings()
    except ConfigError as exc:
        for p in exc.problems:
            print(f"error: {p}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def _token_or_exit(settings: BotSettings) -> str:
    try:
        token, _ = settings.token()
    except ConfigError as exc:
        print(f"error: {exc.problems[0]}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None
    if token is None:
        print(NO_TOKEN, file=sys.stderr)
        raise SystemExit(EXIT_CONFIG)
    return token.get_secret_value()


# ----- run ------------------------------------------------------------------------------------


async def run(settings: BotSettings, token: str) -> int:
    """Run until SIGTERM/SIGINT or a fatal error; returns the exit status."""
    from bot.client import make_bot, startup_line
    from bot.health import HealthServer
    from bot.services import Services

    use_test_endpoints(settings)
    bot_holder: dict[str, object] = {}
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    closing: set[asyncio.Task[None]] = set()

    def on_signal(name: str) -> None:
        if stopping.is_set():
            return
        stopping.set()
        log.info("%s received: closing the gateway and the database", name)
        bot = bot_holder.get("bot")
        if bot is not None:
            task = loop.create_task(bot.close())  # type: ignore[attr-defined]
            closing.add(task)
            task.add_done_callback(closing.discard)

    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on this platform
            loop.add_signal_handler(sig, on_signal, sig.name)

    def probe() -> dict[str, bool]:
        bot = bot_holder.get("bot")
        if bot is None:
            return {"catalog": "services" in bot_holder, "gateway": False, "database": False}
        return bot.readiness()  # type: ignore[attr-defined]

    health = None
    try:
        if settings.health_port:
            health = HealthServer(settings.health_host, settings.health_port, probe)
            try:
                await health.start()
            except OSError as exc:
                log.error(
                    "cannot start the health server on %s:%s: %s",
                    settings.health_host,
                    settings.health_port,
                    exc,
                )
                return EXIT_CONFIG
        try:
            catalog = await asyncio.to_thread(load_catalog, settings.catalog)
        except CatalogError as exc:
            for p in exc.problems[:20]:
                log.error("catalog: %s", p)
            return EXIT_CONFIG
        services = Services.build(catalog)
        bot_holder["services"] = services
        log.info(startup_line(services, settings))
        if stopping.is_set():
            log.info("stopped before connecting")
            return EXIT_OK
        bot = make_bot(settings, services)
        bot_holder["bot"] = bot
        try:
            async with bot:
                await bot.start(token)
        except discord.LoginFailure:
            log.error("Discord rejected the token (check DISCORD_TOKEN)")
            return EXIT_CONFIG
        except discord.PrivilegedIntentsRequired:
            log.error("Discord refused the requested intents")
            return EXIT_CONFIG
        finally:
            await asyncio.gather(*closing, return_exceptions=True)
        log.info("stopped cleanly")
        return EXIT_OK
    finally:
        if health is not None:
            await health.stop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)


# ----- sync -----------------------------------------------------------------------------------


async def sync(settings: BotSettings, token: str) -> list[discord.app_commands.AppCommand]:
    """Register the commands once: globally, or to the dev guild (instant, for testing)."""
    from bot.client import make_bot

    use_test_endpoints(settings)
    bot = make_bot(settings, None)
    async with bot:
        await bot.login(token)
        if settings.dev_guild_id:
            guild = discord.Object(settings.dev_guild_id)
            bot.tree.copy_global_to(guild=guild)
            return await bot.tree.sync(guild=guild)
        return await bot.tree.sync()


# ----- check-config ---------------------------------------------------------------------------


def check_config() -> int:
    """Print what the bot would use, and every problem, each on one line."""
    errors: list[str] = []
    try:
        settings = load_settings()
    except ConfigError as exc:
        for p in exc.problems:
            print(f"error: {p}")
        print(f"{len(exc.problems)} problem(s)")
        return EXIT_CONFIG
    print("ok: settings parsed")
    try:
        token, source = settings.token()
        if token is None:
            errors.append(NO_TOKEN.removeprefix("error: "))
        else:
            app_id = application_id_from_token(token.get_secret_value())
            shape = f"application id {app_id}" if app_id else "does not look like a bot token"
            print(f"ok: token from {source} ({shape})")
    except ConfigError as exc:
        errors.extend(exc.problems)
    errors.extend(_check_db_path(settings.db_path))
    try:
        catalog = load_catalog(settings.catalog)
        where = f"FITMYGPU_CATALOG={settings.catalog}" if settings.catalog else "bundled"
        print(
            f"ok: catalog ({where}): {len(catalog.models)} models, {len(catalog.gpus)} GPUs, "
            f"version {catalog.version}"
        )
    except CatalogError as exc:
        errors.extend(f"catalog: {p}" for p in exc.problems[:20])
    if settings.health_port:
        print(f"ok: health server on http://{settings.health_host}:{settings.health_port}/readyz")
    else:
        print("ok: health server disabled (FITMYGPU_HEALTH_PORT=0)")
    if settings.shard_ids is not None:
        print(f"ok: sharding: this process runs shards {settings.shard_ids} of {settings.shard_count}")
    elif settings.sharded:
        print(f"ok: sharding: all shards in this process ({settings.shard_count or 'count from Discord'})")
    else:
        print("ok: sharding off (one gateway connection)")
    if settings.discord_api_base or settings.discord_gateway:
        print("warning: FITMYGPU_DISCORD_API_BASE / FITMYGPU_DISCORD_GATEWAY are test-only settings")
    for e in errors:
        print(f"error: {e}")
    if errors:
        print(f"{len(errors)} problem(s)")
        return EXIT_CONFIG
    print("config ok")
    return EXIT_OK


def _check_db_path(path: Path) -> list[str]:
    where = path.expanduser().resolve()
    if where.is_dir():
        return [f"FITMYGPU_DB_PATH: {where} is a directory; give a file name"]
    parent = where.parent
    probe = parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not os.access(probe, os.W_OK):
        return [f"FITMYGPU_DB_PATH: cannot write in {probe}"]
    if where.exists():
        try:
            with sqlite3.connect(f"file:{where}?mode=ro", uri=True) as db:
                row = db.execute("PRAGMA quick_check").fetchone()
            status = (
                "ok"
                if row and row[0] == "ok"
                else f"damaged ({row[0] if row else '?'}); it will be moved aside"
            )
        except sqlite3.DatabaseError as exc:
            status = f"unreadable ({exc}); it will be moved aside and recreated"
        print(f"ok: database {where}: {status}")
    else:
        print(f"ok: database {where} will be created")
    return []


# ----- entry point ------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="fitmygpu-bot", description="The FitMyGPU Discord bot.")
    parser.add_argument("--version", action="version", version=f"fitmygpu-bot {__version__}")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (the default)")
    sub.add_parser("sync", help="register the slash commands (globally, or to FITMYGPU_DEV_GUILD_ID)")
    inv = sub.add_parser("invite-url", help="print the invite links")
    inv.add_argument("--client-id", type=int, help="application id (default: read from the token)")
    sub.add_parser("check-config", help="validate the settings and print what would be used")
    args = parser.parse_args(argv)
    command = args.command or "run"

    if command == "check-config":
        raise SystemExit(check_config())

    settings = _settings_or_exit()
    if command == "invite-url":
        client_id = args.client_id
        if client_id is None:
            client_id = application_id_from_token(_token_or_exit(settings))
            if client_id is None:
                print(
                    "error: cannot read the application id from the token; pass --client-id", file=sys.stderr
                )
                raise SystemExit(EXIT_CONFIG)
        server, user = invite_urls(client_id)
        print(f"Add to a server:   {server}")
        print(f"Install for a user: {user}")
        raise SystemExit(EXIT_OK)

    token = _token_or_exit(settings)
    from bot.logs import configure_logging

    configure_logging(settings.log_level, settings.log_format, secrets=[token])
    if command == "sync":
        try:
            commands = asyncio.run(sync(settings, token))
        except discord.LoginFailure:
            log.error("Discord rejected the token (check DISCORD_TOKEN)")
            raise SystemExit(EXIT_CONFIG) from None
        where = (
            f"server {settings.dev_guild_id}"
            if settings.dev_guild_id
            else "all servers (global; may take a while)"
        )
        print(f"registered {len(commands)} commands for {where}: {', '.join('/' + c.name for c in commands)}")
        raise SystemExit(EXIT_OK)
    raise SystemExit(asyncio.run(run(settings, token)))


if __name__ == "__main__":
    main()
