"""``fitmygpu-bot`` as a real process against the fake Discord: readiness, a saved rig, SIGTERM.

The process is pointed at the fake with the test-only settings FITMYGPU_DISCORD_API_BASE and
FITMYGPU_DISCORD_GATEWAY (nothing is patched inside it).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import sys
from pathlib import Path

import aiohttp

from tests.e2e.fakecord import FakeDiscord

REPO = Path(__file__).resolve().parents[2]
TOKEN = "MTExMDAwMDAwMDAwMDAwMDAx.fake.process-token-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bot_env(fake: FakeDiscord, tmp_path: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FITMYGPU_", "DISCORD_", "CREDENTIALS_"))}
    env.update(
        {
            "DISCORD_TOKEN": TOKEN,
            "FITMYGPU_DB_PATH": str(tmp_path / "data" / "bot.sqlite3"),
            "FITMYGPU_HEALTH_PORT": str(port),
            "FITMYGPU_LOG_FORMAT": "json",
            "FITMYGPU_DISCORD_API_BASE": fake.api_base,
            "FITMYGPU_DISCORD_GATEWAY": fake.gateway_url,
            "PYTHONPATH": str(REPO),
        }
    )
    return env


async def readyz(port: int) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as s, s.get(f"http://127.0.0.1:{port}/readyz") as r:
        return r.status, await r.json()


async def test_sigterm_closes_cleanly_and_keeps_the_saved_rig(fake: FakeDiscord, tmp_path: Path):
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,  # no .env here
        env=bot_env(fake, tmp_path, port),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await asyncio.wait_for(fake.identified.wait(), 30)
        for _ in range(100):  # READY, then guild_ready_timeout
            status, body = await readyz(port)
            if status == 200:
                break
            assert status == 503 and body["not_ready"], body
            await asyncio.sleep(0.1)
        assert (status, body["checks"]) == (200, {"catalog": True, "gateway": True, "database": True})

        inter = fake.slash("rig", sub="set", setup="2x 3090 + 64gb ram")
        await fake.dispatch("INTERACTION_CREATE", inter)
        cb = await fake.callback_for(inter, timeout=10)
        assert cb.json["data"]["embeds"][0]["title"] == "Saved your rig"  # acknowledged after commit

        proc.send_signal(signal.SIGTERM)
        rc = await asyncio.wait_for(proc.wait(), 20)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    _out, err = await proc.communicate()
    logs = [json.loads(line) for line in err.decode().splitlines() if line.startswith("{")]
    text = err.decode()
    assert rc == 0, text[-3000:]
    assert TOKEN not in text and "process-token-secret" not in text
    messages = [r["message"] for r in logs]
    assert any(m.startswith("FitMyGPU 0.1.0") and "models" in m and "catalog" in m for m in messages), (
        messages
    )
    assert any("SIGTERM received" in m for m in messages)
    assert "database closed" in messages and "stopped cleanly" in messages

    db = tmp_path / "data" / "bot.sqlite3"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        (data,) = conn.execute("SELECT data FROM rigs WHERE user_id = ?", (fake.user_id,)).fetchone()
    rig = json.loads(data)
    assert rig["gpus"] == [{"id": "nvidia-rtx-3090", "count": 2}]
    assert rig["ram_gib"] == 64
    assert not Path(f"{db}-wal").exists() or Path(f"{db}-wal").stat().st_size == 0  # checkpointed


async def test_without_a_token_it_says_so_in_one_line_and_exits_2(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FITMYGPU_", "DISCORD_", "CREDENTIALS_"))}
    env["PYTHONPATH"] = str(REPO)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: no Discord token; set DISCORD_TOKEN")
