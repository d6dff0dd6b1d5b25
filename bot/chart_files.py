"""Chart PNGs for /fit and /gpu: rendered off the event loop, cached in SQLite, always optional.

Why optional: charts come from :mod:`fitmygpu.charts` (matplotlib), which may be missing or may
fail for one odd model; a reply without a chart is still a full answer, so every failure here is
logged and turned into "no chart". Why cached: matplotlib takes a few hundred milliseconds, and the
same model on the same setup is asked again and again; the key covers the model, the setup, every
option and the catalog version, so a cached PNG is never stale.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import importlib
import importlib.util
import logging
from collections.abc import Callable
from types import ModuleType
from typing import Any

from fitmygpu.answer import Answer, Rig
from fitmygpu.cache import Store
from fitmygpu.catalog.schema import GPUEntry
from fitmygpu.estimator.types import Runtime
from fitmygpu.whatfits import FitEntry

log = logging.getLogger("bot.charts")

FitRenderer = Callable[[Answer], bytes]
GPURenderer = Callable[[GPUEntry, Rig, list[FitEntry]], bytes]
FIT_FILENAME = "fit.png"
GPU_FILENAME = "gpu.png"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@functools.cache
def _charts() -> ModuleType:
    """:mod:`fitmygpu.charts`, imported on first use: matplotlib takes about a second to import,
    so :meth:`ChartService.warm_up` does it in a worker thread at startup."""
    return importlib.import_module("fitmygpu.charts")


class ChartService:
    """Renders and caches charts. Renderers can be injected (tests); by default they come from
    :mod:`fitmygpu.charts`."""

    def __init__(
        self,
        store: Store | None,
        catalog_version: str,
        fit_renderer: FitRenderer | None = None,
        gpu_renderer: GPURenderer | None = None,
        *,
        enabled: bool = True,
    ) -> None:
        self.enabled = enabled
        self.store = store
        self.catalog_version = catalog_version
        self._fit = fit_renderer
        self._gpu = gpu_renderer

    async def warm_up(self) -> bool:
        """Import the charts module (matplotlib: about a second) in a worker thread at startup,
        so the first /fit does not stall the event loop; True when charts are available."""
        if not self.enabled:
            return False
        if self._fit is None and self._gpu is None:
            await asyncio.to_thread(_charts)
        return True

    def _fit_renderer(self) -> FitRenderer | None:
        if not self.enabled:
            return None
        return self._fit or _charts().render_fit_chart

    def _gpu_renderer(self) -> GPURenderer | None:
        if not self.enabled:
            return None
        return self._gpu or _charts().render_gpu_chart

    def key(self, kind: str, state: str) -> str:
        return hashlib.sha256(f"{kind}|{state}|{self.catalog_version}".encode()).hexdigest()

    def _module_key(self, name: str, *args: Any) -> str | None:
        """The charts module's own cache key (it includes its CHART_VERSION, so a new look is
        never served from an old cache); None when renderers were injected (tests)."""
        if self._fit is not None or self._gpu is not None:
            return None
        return getattr(_charts(), name)(*args)

    async def fit_chart(self, answer: Answer, state: str) -> bytes | None:
        """The /fit chart for an answer whose full state is ``state`` (see :mod:`bot.state`)."""
        render = self._fit_renderer()
        if render is None or not answer.rows:
            return None
        key = self._module_key("fit_chart_key", answer, self.catalog_version) or self.key("fit", state)
        return await self._cached(key, lambda: render(answer))

    async def gpu_chart(
        self,
        gpu: GPUEntry,
        rig: Rig,
        fits: list[FitEntry],
        state: str,
        context: int = 8192,
        runtime: Runtime = Runtime.LLAMA_CPP,
    ) -> bytes | None:
        render = self._gpu_renderer()
        if render is None:
            return None
        key = self._module_key("gpu_chart_key", gpu.id, context, runtime, self.catalog_version) or self.key(
            "gpu", state
        )
        return await self._cached(key, lambda: render(gpu, rig, fits))

    async def _cached(self, key: str, render: Callable[[], bytes]) -> bytes | None:
        if self.store is not None:
            hit = await self.store.get_chart(key)
            if hit is not None:
                return hit
        try:
            png = await asyncio.to_thread(render)
        except Exception:
            log.exception("chart rendering failed; replying without a chart")
            return None
        if not isinstance(png, bytes) or not png.startswith(PNG_MAGIC):
            log.warning("chart renderer returned something that is not a PNG; ignoring it")
            return None
        if self.store is not None:
            await self.store.put_chart(key, png)
        return png
