"""The bot's one SQLite database: saved rigs, per-server settings, usage counts, and caches.

Why SQLite through one aiosqlite connection: a self-hosted bot needs durable per-user state
without running a server, and one connection (WAL mode) keeps writes ordered without locking
games. Everything in here is Discord-free; user, server and message ids are plain integers.

Durability rules:

* every write commits before its coroutine returns, so a caller that acknowledges a change to a
  user after ``await store.save_rig(...)`` can never lose it to a crash (``synchronous=FULL``);
* the schema is versioned with ``PRAGMA user_version`` and upgraded by :data:`MIGRATIONS`, one
  transaction each;
* a corrupt or unreadable file is renamed aside with a timestamp and a fresh database is created,
  so the bot keeps answering (saved rigs are preserved in the renamed file for an operator);
  if even that fails the store falls back to an in-memory database and says so in the log;
* derived data (name resolutions, chart PNGs) is keyed by the catalog version and dropped when the
  catalog changes, so a catalog update can never serve a stale answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import aiosqlite
from pydantic import BaseModel, Field

log = logging.getLogger("fitmygpu.cache")

T = TypeVar("T")

# Each entry upgrades the schema by one version; never edit a shipped entry, append a new one.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE resolutions (kind TEXT NOT NULL, query TEXT NOT NULL, value TEXT NOT NULL,"
        " created_at REAL NOT NULL, PRIMARY KEY (kind, query))",
        "CREATE TABLE rigs (user_id INTEGER PRIMARY KEY, data TEXT NOT NULL, updated_at REAL NOT NULL)",
        "CREATE TABLE guild_settings (guild_id INTEGER PRIMARY KEY, default_runtime TEXT,"
        " ephemeral INTEGER NOT NULL DEFAULT 0, updated_at REAL NOT NULL)",
        "CREATE TABLE usage (day TEXT NOT NULL, command TEXT NOT NULL, count INTEGER NOT NULL,"
        " PRIMARY KEY (day, command))",
        "CREATE TABLE charts (key TEXT PRIMARY KEY, catalog_version TEXT NOT NULL, png BLOB NOT NULL,"
        " created_at REAL NOT NULL)",
        "CREATE INDEX charts_by_age ON charts (created_at)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
MAX_CHARTS = 500  # PNGs kept; the oldest go first
MAX_RESOLUTIONS = 20_000


class StoreError(Exception):
    """A write could not be made durable; the caller must not acknowledge it."""


class SavedGPU(BaseModel):
    id: str
    count: int = Field(1, ge=1, le=64)


class SavedRig(BaseModel):
    """A user's machine as stored: catalog GPU ids (resolved when saved) or a bare budget, plus RAM.

    ``text`` is what the user typed, kept so ``/rig show`` can echo it back."""

    text: str = ""
    gpus: list[SavedGPU] = []
    budget_gib: float | None = None
    budget_count: int = 1
    ram_gib: float | None = None


class GuildSettings(BaseModel):
    """Per-server choices made by its managers."""

    default_runtime: str | None = None
    ephemeral: bool = False


class Store:
    """One aiosqlite connection with the bot's tables. Create with :meth:`open`."""

    def __init__(self, path: Path | str, catalog_version: str) -> None:
        self.path = Path(path) if str(path) != ":memory:" else Path(":memory:")
        self.catalog_version = catalog_version
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self.in_memory_fallback = False
        self.moved_aside: list[Path] = []

    # ----- lifecycle --------------------------------------------------------------------------

    @classmethod
    async def open(cls, path: Path | str, catalog_version: str) -> Store:
        """Open (creating or upgrading) the database; never raises for a bad file."""
        store = cls(path, catalog_version)
        await store._open_or_recover()
        return store

    @property
    def is_open(self) -> bool:
        return self._db is not None

    async def close(self) -> None:
        """Checkpoint the WAL into the main file and close; safe to call twice."""
        db, self._db = self._db, None
        if db is None:
            return
        try:
            async with self._lock:
                await db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            log.warning("WAL checkpoint on close failed: %s", exc)
        finally:
            await db.close()

    async def _open_or_recover(self) -> None:
        if str(self.path) == ":memory:":
            self._db = await self._connect(":memory:")
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = await self._connect(str(self.path))
            return
        except (sqlite3.DatabaseError, OSError, StoreError) as exc:
            log.error("database %s is unreadable or corrupt (%s); moving it aside", self.path, exc)
        try:
            self._move_aside()
            self._db = await self._connect(str(self.path))
            log.warning("created a fresh database at %s", self.path)
        except (sqlite3.Error, OSError, StoreError) as exc:
            log.error(
                "cannot create a database at %s (%s); running on an in-memory database, "
                "saved rigs and settings will not survive a restart",
                self.path,
                exc,
            )
            self.in_memory_fallback = True
            self._db = await self._connect(":memory:")

    async def _connect(self, target: str) -> aiosqlite.Connection:
        db = await aiosqlite.connect(target, isolation_level=None)
        try:
            check = await (await db.execute("PRAGMA quick_check")).fetchone()
            if not check or check[0] != "ok":
                raise StoreError(f"integrity check failed: {check[0] if check else 'no result'}")
            if target != ":memory:":
                mode = await (await db.execute("PRAGMA journal_mode=WAL")).fetchone()
                if not mode or str(mode[0]).lower() != "wal":
                    log.warning("SQLite refused WAL mode (%s); continuing", mode)
            await db.execute("PRAGMA synchronous=FULL")
            await db.execute("PRAGMA foreign_keys=ON")
            await db.execute("PRAGMA busy_timeout=5000")
            await self._migrate(db)
            await self._check_catalog_version(db)
        except BaseException:
            await db.close()
            raise
        return db

    def _move_aside(self) -> None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        for suffix in ("", "-wal", "-shm"):
            src = Path(f"{self.path}{suffix}")
            if src.exists():
                dest = Path(f"{self.path}.corrupt-{stamp}{suffix}")
                src.rename(dest)
                if not suffix:
                    self.moved_aside.append(dest)
                log.warning("moved %s to %s", src, dest)

    @staticmethod
    async def _migrate(db: aiosqlite.Connection) -> None:
        row = await (await db.execute("PRAGMA user_version")).fetchone()
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise StoreError(f"schema version {version} is newer than this program ({SCHEMA_VERSION})")
        for number, statements in enumerate(MIGRATIONS[version:], start=version + 1):
            await db.execute("BEGIN IMMEDIATE")
            try:
                for sql in statements:
                    await db.execute(sql)
                await db.execute(f"PRAGMA user_version = {number}")
                await db.execute("COMMIT")
            except BaseException:
                await db.execute("ROLLBACK")
                raise
            log.info("database schema upgraded to version %d", number)

    async def _check_catalog_version(self, db: aiosqlite.Connection) -> None:
        row = await (await db.execute("SELECT value FROM meta WHERE key = 'catalog_version'")).fetchone()
        if row and row[0] == self.catalog_version:
            return
        await db.execute("BEGIN IMMEDIATE")
        await db.execute("DELETE FROM resolutions")
        await db.execute("DELETE FROM charts WHERE catalog_version != ?", (self.catalog_version,))
        await db.execute(
            "INSERT INTO meta (key, value) VALUES ('catalog_version', ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (self.catalog_version,),
        )
        await db.execute("COMMIT")
        if row:
            log.info("catalog changed (%s -> %s); dropped cached resolutions", row[0], self.catalog_version)

    # ----- plumbing ---------------------------------------------------------------------------

    async def _run(self, op: Callable[[aiosqlite.Connection], Awaitable[T]], *, write: bool) -> T:
        """Run ``op`` on the connection; on corruption, move the file aside and retry once."""
        for attempt in (1, 2):
            db = self._db
            if db is None:
                raise StoreError("the database is closed")
            try:
                async with self._lock:
                    if not write:
                        return await op(db)
                    await db.execute("BEGIN IMMEDIATE")
                    try:
                        result = await op(db)
                        await db.execute("COMMIT")
                    except BaseException:
                        if db.in_transaction:
                            await db.execute("ROLLBACK")
                        raise
                    return result
            except sqlite3.OperationalError as exc:
                # Locked, disk full, I/O error: the file itself may be fine.
                raise StoreError(str(exc)) from exc
            except sqlite3.DatabaseError as exc:
                if attempt == 2:
                    raise StoreError(str(exc)) from exc
                log.error("database error (%s); recovering", exc)
                await self._recover()
        raise AssertionError("unreachable")

    async def _recover(self) -> None:
        db, self._db = self._db, None
        if db is not None:
            with contextlib.suppress(sqlite3.Error):
                await db.close()
        if str(self.path) != ":memory:":
            try:
                self._move_aside()
            except OSError as exc:
                log.error("cannot move %s aside: %s", self.path, exc)
        await self._open_or_recover()

    async def _quietly(
        self, op: Callable[[aiosqlite.Connection], Awaitable[T]], default: T, *, write: bool
    ) -> T:
        """For caches and counters: a failure is logged, never shown to a user."""
        try:
            return await self._run(op, write=write)
        except StoreError as exc:
            log.warning("cache operation failed: %s", exc)
            return default

    # ----- name resolutions (derived; dropped on catalog change) -------------------------------

    async def get_resolution(self, kind: str, query: str) -> str | None:
        async def op(db: aiosqlite.Connection) -> str | None:
            cur = await db.execute(
                "SELECT value FROM resolutions WHERE kind = ? AND query = ?", (kind, _normalise(query))
            )
            row = await cur.fetchone()
            return row[0] if row else None

        return await self._quietly(op, None, write=False)

    async def put_resolution(self, kind: str, query: str, value: str) -> None:
        async def op(db: aiosqlite.Connection) -> None:
            await db.execute(
                "INSERT OR REPLACE INTO resolutions (kind, query, value, created_at) VALUES (?, ?, ?, ?)",
                (kind, _normalise(query), value, time.time()),
            )
            await db.execute(
                "DELETE FROM resolutions WHERE rowid IN (SELECT rowid FROM resolutions"
                " ORDER BY created_at DESC LIMIT -1 OFFSET ?)",
                (MAX_RESOLUTIONS,),
            )

        await self._quietly(op, None, write=True)

    # ----- saved rigs (user data; writes raise StoreError so callers do not acknowledge) --------

    async def save_rig(self, user_id: int, rig: SavedRig) -> None:
        async def op(db: aiosqlite.Connection) -> None:
            await db.execute(
                "INSERT INTO rigs (user_id, data, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (user_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
                (user_id, rig.model_dump_json(), time.time()),
            )

        await self._run(op, write=True)

    async def get_rig(self, user_id: int) -> SavedRig | None:
        async def op(db: aiosqlite.Connection) -> SavedRig | None:
            row = await (await db.execute("SELECT data FROM rigs WHERE user_id = ?", (user_id,))).fetchone()
            if not row:
                return None
            try:
                return SavedRig.model_validate_json(row[0])
            except ValueError:
                log.warning("saved rig of user %s does not parse; ignoring it", user_id)
                return None

        return await self._quietly(op, None, write=False)

    async def clear_rig(self, user_id: int) -> bool:
        async def op(db: aiosqlite.Connection) -> bool:
            cur = await db.execute("DELETE FROM rigs WHERE user_id = ?", (user_id,))
            return cur.rowcount > 0

        return await self._run(op, write=True)

    # ----- per-server settings -------------------------------------------------------------------

    async def get_guild_settings(self, guild_id: int | None) -> GuildSettings:
        if guild_id is None:
            return GuildSettings()

        async def op(db: aiosqlite.Connection) -> GuildSettings:
            cur = await db.execute(
                "SELECT default_runtime, ephemeral FROM guild_settings WHERE guild_id = ?", (guild_id,)
            )
            row = await cur.fetchone()
            return GuildSettings(default_runtime=row[0], ephemeral=bool(row[1])) if row else GuildSettings()

        return await self._quietly(op, GuildSettings(), write=False)

    async def set_guild_settings(self, guild_id: int, settings: GuildSettings) -> None:
        async def op(db: aiosqlite.Connection) -> None:
            await db.execute(
                "INSERT INTO guild_settings (guild_id, default_runtime, ephemeral, updated_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET"
                " default_runtime = excluded.default_runtime, ephemeral = excluded.ephemeral,"
                " updated_at = excluded.updated_at",
                (guild_id, settings.default_runtime, int(settings.ephemeral), time.time()),
            )

        await self._run(op, write=True)

    # ----- usage counts ------------------------------------------------------------------------

    async def count_use(self, command: str) -> None:
        day = dt.datetime.now(dt.UTC).date().isoformat()

        async def op(db: aiosqlite.Connection) -> None:
            await db.execute(
                "INSERT INTO usage (day, command, count) VALUES (?, ?, 1)"
                " ON CONFLICT (day, command) DO UPDATE SET count = count + 1",
                (day, command),
            )

        await self._quietly(op, None, write=True)

    async def usage(self, days: int = 30) -> dict[str, int]:
        since = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days - 1)).isoformat()

        async def op(db: aiosqlite.Connection) -> dict[str, int]:
            cur = await db.execute(
                "SELECT command, SUM(count) FROM usage WHERE day >= ? GROUP BY command ORDER BY 2 DESC",
                (since,),
            )
            return {str(c): int(n) for c, n in await cur.fetchall()}

        return await self._quietly(op, {}, write=False)

    # ----- chart PNGs ---------------------------------------------------------------------------

    async def get_chart(self, key: str) -> bytes | None:
        async def op(db: aiosqlite.Connection) -> bytes | None:
            cur = await db.execute(
                "SELECT png FROM charts WHERE key = ? AND catalog_version = ?", (key, self.catalog_version)
            )
            row = await cur.fetchone()
            return bytes(row[0]) if row else None

        return await self._quietly(op, None, write=False)

    async def put_chart(self, key: str, png: bytes) -> None:
        async def op(db: aiosqlite.Connection) -> None:
            await db.execute(
                "INSERT OR REPLACE INTO charts (key, catalog_version, png, created_at) VALUES (?, ?, ?, ?)",
                (key, self.catalog_version, png, time.time()),
            )
            await db.execute(
                "DELETE FROM charts WHERE key IN (SELECT key FROM charts ORDER BY created_at DESC"
                " LIMIT -1 OFFSET ?)",
                (MAX_CHARTS,),
            )

        await self._quietly(op, None, write=True)


def _normalise(query: str) -> str:
    """The cache key of a typed name: case, spacing and punctuation do not matter."""
    return " ".join(query.lower().replace("_", " ").split())[:200]
