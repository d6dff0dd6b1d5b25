"""fitmygpu.cache.Store on real SQLite files: schema, durability, recovery, catalog changes."""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from fitmygpu.cache import MAX_CHARTS, SCHEMA_VERSION, GuildSettings, SavedGPU, SavedRig, Store

REPO = Path(__file__).resolve().parents[2]
RIG = SavedRig(text="2x 3090 + 64gb ram", gpus=[SavedGPU(id="nvidia-rtx-3090", count=2)], ram_gib=64)


async def test_a_new_database_is_migrated_and_in_wal_mode(tmp_path: Path):
    path = tmp_path / "sub" / "bot.sqlite3"
    store = await Store.open(path, "v1")
    await store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"meta", "resolutions", "rigs", "guild_settings", "usage", "charts"} <= tables


async def test_rigs_settings_and_usage_survive_a_reopen(tmp_path: Path):
    path = tmp_path / "bot.sqlite3"
    store = await Store.open(path, "v1")
    await store.save_rig(42, RIG)
    await store.set_guild_settings(7, GuildSettings(default_runtime="vllm", ephemeral=True))
    await store.count_use("fit")
    await store.count_use("fit")
    await store.count_use("model")
    await store.close()

    store = await Store.open(path, "v1")
    assert await store.get_rig(42) == RIG
    assert await store.get_rig(43) is None
    assert await store.get_guild_settings(7) == GuildSettings(default_runtime="vllm", ephemeral=True)
    assert await store.get_guild_settings(8) == GuildSettings()
    assert await store.get_guild_settings(None) == GuildSettings()
    assert await store.usage() == {"fit": 2, "model": 1}
    assert await store.clear_rig(42) is True
    assert await store.clear_rig(42) is False
    assert await store.get_rig(42) is None
    await store.close()


async def test_a_catalog_change_drops_derived_data_but_not_user_data(tmp_path: Path):
    path = tmp_path / "bot.sqlite3"
    store = await Store.open(path, "v1")
    await store.put_resolution("model", "  R1  1.5B ", "deepseek-r1-distill-qwen-1.5b")
    await store.put_chart("k", b"\x89PNG old")
    await store.save_rig(1, RIG)
    assert await store.get_resolution("model", "r1 1.5b") == "deepseek-r1-distill-qwen-1.5b"  # normalised
    assert await store.get_chart("k") == b"\x89PNG old"
    await store.close()

    store = await Store.open(path, "v2")
    assert await store.get_resolution("model", "r1 1.5b") is None
    assert await store.get_chart("k") is None
    assert await store.get_rig(1) == RIG
    await store.close()


async def test_the_chart_cache_keeps_the_newest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("fitmygpu.cache.MAX_CHARTS", 3)
    store = await Store.open(tmp_path / "bot.sqlite3", "v1")
    for i in range(5):
        await store.put_chart(f"k{i}", b"png%d" % i)
    assert [await store.get_chart(f"k{i}") for i in range(5)] == [None, None, b"png2", b"png3", b"png4"]
    await store.close()
    assert MAX_CHARTS >= 100


async def test_a_corrupt_file_is_moved_aside_and_the_store_keeps_working(tmp_path: Path, caplog):
    path = tmp_path / "bot.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with caplog.at_level(logging.WARNING, logger="fitmygpu.cache"):
        store = await Store.open(path, "v1")
    assert store.is_open and not store.in_memory_fallback
    (aside,) = store.moved_aside
    assert aside.name.startswith("bot.sqlite3.corrupt-") and aside.read_bytes().startswith(b"this is not")
    assert any("moving it aside" in r.getMessage() for r in caplog.records)
    await store.save_rig(5, RIG)
    assert await store.get_rig(5) == RIG
    await store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


async def test_a_database_from_a_newer_version_is_moved_aside(tmp_path: Path):
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    store = await Store.open(path, "v1")
    assert len(store.moved_aside) == 1
    await store.save_rig(1, RIG)
    await store.close()


async def test_an_impossible_path_falls_back_to_memory_and_still_answers(tmp_path: Path, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with caplog.at_level(logging.ERROR, logger="fitmygpu.cache"):
        store = await Store.open(blocker / "bot.sqlite3", "v1")
    assert store.in_memory_fallback and store.is_open
    assert any("in-memory" in r.getMessage() for r in caplog.records)
    await store.save_rig(1, RIG)
    assert await store.get_rig(1) == RIG
    await store.close()


async def test_a_closed_store_refuses_writes_and_answers_reads_with_nothing(tmp_path: Path):
    from fitmygpu.cache import StoreError

    store = await Store.open(tmp_path / "bot.sqlite3", "v1")
    await store.close()
    await store.close()  # twice is fine
    with pytest.raises(StoreError):
        await store.save_rig(1, RIG)
    assert await store.get_rig(1) is None


CRASH = """
import asyncio, os, sys
from fitmygpu.cache import SavedGPU, SavedRig, Store

async def main():
    store = await Store.open(sys.argv[1], "v1")
    await store.save_rig(99, SavedRig(text="4090", gpus=[SavedGPU(id="nvidia-rtx-4090")]))
    print("acknowledged", flush=True)
    os._exit(1)  # a crash: no close, no checkpoint

asyncio.run(main())
"""


def test_a_crash_after_an_acknowledged_write_loses_nothing(tmp_path: Path):
    path = tmp_path / "bot.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run(
        [sys.executable, "-c", CRASH, str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert run.returncode == 1 and run.stdout.strip() == "acknowledged", run.stderr
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        (data,) = db.execute("SELECT data FROM rigs WHERE user_id = 99").fetchone()
    assert SavedRig.model_validate_json(data).gpus == [SavedGPU(id="nvidia-rtx-4090")]
