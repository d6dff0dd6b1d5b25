"""Operations: health endpoints over loopback, log redaction and JSON lines, echo safety."""

from __future__ import annotations

import io
import json
import logging

import aiohttp

from bot.health import HealthServer
from bot.logs import REDACTED, configure_logging
from bot.safety import Cooldown, safe, strip_mention

SECRET = "MTIzNDU2Nzg5MDEyMzQ1Njc4.Gx1234.very-secret-token"


async def test_health_endpoints_report_what_is_not_ready():
    state = {"catalog": True, "gateway": False, "database": True}
    server = HealthServer("127.0.0.1", 0, lambda: dict(state))
    await server.start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        async with aiohttp.ClientSession() as s:
            async with s.get(base + "/healthz") as r:
                assert r.status == 200 and (await r.json()) == {"status": "alive"}
            async with s.get(base + "/readyz") as r:
                assert r.status == 503
                body = await r.json()
                assert body["not_ready"] == ["gateway"] and body["checks"]["database"] is True
            state["gateway"] = True
            async with s.get(base + "/readyz") as r:
                assert r.status == 200 and (await r.json())["status"] == "ready"
    finally:
        await server.stop()


async def test_a_failing_probe_reads_as_not_ready():
    def broken() -> dict[str, bool]:
        raise RuntimeError("bug")

    server = HealthServer("127.0.0.1", 0, broken)
    await server.start()
    try:
        async with aiohttp.ClientSession() as s, s.get(f"http://127.0.0.1:{server.port}/readyz") as r:
            assert r.status == 503 and (await r.json())["not_ready"] == ["probe"]
    finally:
        await server.stop()


def _capture(fmt: str) -> tuple[io.StringIO, logging.Handler]:
    handler = configure_logging("INFO", fmt, secrets=[SECRET])
    buf = io.StringIO()
    handler.setStream(buf)  # type: ignore[attr-defined]
    return buf, handler


def test_the_token_never_reaches_the_log():
    buf, handler = _capture("text")
    try:
        log = logging.getLogger("bot.test")
        log.info("connecting with %s", SECRET)
        try:
            raise ValueError(f"bad header Authorization: Bot {SECRET}")
        except ValueError:
            log.exception("request failed")
        out = buf.getvalue()
        assert SECRET not in out
        assert out.count(REDACTED) == 2  # the message and the exception text
    finally:
        logging.getLogger().removeHandler(handler)


def test_json_logs_are_one_object_per_line_with_extras():
    buf, handler = _capture("json")
    try:
        logging.getLogger("bot.test").error(
            "unexpected error %s", "abc123", extra={"error_id": "abc123", "user_id": 7}
        )
        (line,) = buf.getvalue().splitlines()
        doc = json.loads(line)
        assert doc["level"] == "ERROR" and doc["logger"] == "bot.test"
        assert (
            doc["message"] == "unexpected error abc123"
            and doc["error_id"] == "abc123"
            and doc["user_id"] == 7
        )
    finally:
        logging.getLogger().removeHandler(handler)


def test_echoed_text_cannot_ping_or_format():
    text = safe("@everyone look <@123456789012345678> **bold** `code` " + "x" * 200, limit=80)
    assert len(text) < 110 and text.endswith("…")
    assert "@everyone" not in text.replace("@\u200beveryone", "")
    assert "<@123456789012345678>" not in text and "\\*\\*bold\\*\\*" in text and "\\`code\\`" in text
    assert "\n" not in safe("two\nlines")


def test_strip_mention_and_cooldown():
    assert strip_mention("<@42> will it fit <@!42>?", 42) == "will it fit ?"
    assert strip_mention("<@43> hi", 42) == "<@43> hi"
    c = Cooldown(10)
    assert c.retry_after(1, now=100.0) == 0
    assert c.retry_after(1, now=105.0) == 5.0
    assert c.retry_after(2, now=105.0) == 0
    assert c.retry_after(1, now=110.5) == 0
