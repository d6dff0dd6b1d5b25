"""Liveness and readiness over HTTP, for Docker health checks, systemd watchdogs and load balancers.

``/healthz`` answers 200 while the process runs (restart me only if this fails). ``/readyz``
answers 200 only when the catalog is loaded, the gateway is connected and the database is open,
else 503 with a JSON body naming what is not ready, so an operator sees *why* without reading logs.
Bound to 127.0.0.1 by default: nothing here is meant for the internet.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from aiohttp import web

log = logging.getLogger("bot.health")

ReadinessProbe = Callable[[], dict[str, bool]]


def _json(status: int, body: dict[str, object]) -> web.Response:
    return web.Response(status=status, body=json.dumps(body).encode(), content_type="application/json")


class HealthServer:
    """A tiny aiohttp app; ``port=0`` picks a free port (tests), see :attr:`port` after start."""

    def __init__(self, host: str, port: int, probe: ReadinessProbe) -> None:
        self.host = host
        self.port = port
        self.probe = probe
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self._runner.addresses:  # the real port when 0 was asked for
            self.port = self._runner.addresses[0][1]
        log.info("health server on http://%s:%d (/healthz, /readyz)", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, request: web.Request) -> web.Response:
        return _json(200, {"status": "alive"})

    async def _readyz(self, request: web.Request) -> web.Response:
        try:
            checks = self.probe()
        except Exception:  # a probe bug must read as "not ready", not as a 500 loop
            log.exception("readiness probe failed")
            checks = {"probe": False}
        ready = all(checks.values())
        body: dict[str, object] = {"status": "ready" if ready else "not ready", "checks": checks}
        if not ready:
            body["not_ready"] = [k for k, ok in checks.items() if not ok]
        return _json(200 if ready else 503, body)
