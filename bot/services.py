"""What the commands share: the catalog, the name lookup, the database and the chart service.

Built once per process (the catalog takes seconds to load) and handed to the bot, so tests can
build one and start many bots on it. The estimation functions here are synchronous and CPU-bound
on purpose: commands run them with ``asyncio.to_thread`` so the gateway heartbeat never waits.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from bot.chart_files import ChartService
from bot.lookup import Lookup, Unresolved
from bot.state import FitState, StateError
from fitmygpu.answer import Answer, AnswerError, Rig, build_answer
from fitmygpu.cache import Store
from fitmygpu.catalog.loader import Catalog
from fitmygpu.catalog.schema import ModelEntry
from fitmygpu.estimator.core import EstimateError, runs_on
from fitmygpu.estimator.types import Runtime
from fitmygpu.quant.formats import UnknownQuantError, normalize_quant
from fitmygpu.whatfits import FitEntry, what_fits

WHAT_FITS_CACHE = 64


def quant_runs_on(quant: str, runtime: Runtime) -> bool:
    """Whether an engine loads a weight format at all; the core's rule, for any spelling."""
    try:
        return runs_on(normalize_quant(quant), runtime)
    except UnknownQuantError:
        return False


@dataclass
class Services:
    catalog: Catalog
    lookup: Lookup
    charts: ChartService
    store: Store | None = None
    _fits: OrderedDict[tuple, list[FitEntry]] = field(default_factory=OrderedDict)
    _fits_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build(cls, catalog: Catalog, charts: ChartService | None = None) -> Services:
        return cls(
            catalog=catalog, lookup=Lookup(catalog), charts=charts or ChartService(None, catalog.version)
        )

    def attach_store(self, store: Store | None) -> None:
        self.store = store
        self.charts.store = store

    # ----- names, through the resolution cache ------------------------------------------------

    async def resolve_model(self, text: str) -> ModelEntry:
        """A model from an option value; typed names are cached (by normalised text) until the
        catalog changes. Raises :class:`Unresolved` (with candidates when ambiguous)."""
        key = text.strip()
        if key in self.catalog.models:
            return self.catalog.models[key]
        if self.store is not None:
            hit = await self.store.get_resolution("model", key)
            if hit in self.catalog.models:
                return self.catalog.models[hit]
        entry = self.lookup.resolve_model(key)
        if self.store is not None:
            await self.store.put_resolution("model", key, entry.id)
        return entry

    async def resolve_gpu(self, text: str) -> Rig:
        """A GPU option value (one of, or several, catalog GPUs, or a budget), cached like models."""
        key = text.strip()
        if self.store is not None and key not in self.catalog.gpus:
            hit = await self.store.get_resolution("gpu", key)
            if hit is not None:
                try:
                    rig = FitState.decode(hit).rig(self.catalog)
                except StateError:
                    rig = None
                if rig is not None:
                    return rig
        rig = self.lookup.resolve_gpu(key)
        if self.store is not None and key not in self.catalog.gpus:
            await self.store.put_resolution("gpu", key, FitState.from_rig("", rig).encode())
        return rig

    async def rig_for(self, user_id: int, gpu: str | None) -> Rig:
        """The GPU option if given, else the user's saved rig; tells them how to fix it otherwise."""
        if gpu:
            return await self.resolve_gpu(gpu)
        saved = await self.store.get_rig(user_id) if self.store else None
        rig = self.lookup.from_saved(saved) if saved else None
        if rig is None:
            raise Unresolved("Name a GPU (the `gpu` option), or save yours once with `/rig set`.")
        return rig

    # ----- estimates (call from a worker thread) ---------------------------------------------

    def answer(self, state: FitState) -> Answer:
        """The answer a /fit state stands for; user-level problems raise :class:`Unresolved`."""
        model = self.catalog.models.get(state.model)
        if model is None:
            raise Unresolved(f"Model {state.model!r} is no longer in the catalog.")
        try:
            rig = state.rig(self.catalog)
        except StateError as exc:
            raise Unresolved(str(exc)) from None
        try:
            return build_answer(
                model,
                rig,
                context=state.context,
                quant=state.quant,
                kv_cache=state.kv_cache,
                runtime=state.runtime,
                concurrency=state.concurrency,
            )
        except AnswerError as exc:
            raise Unresolved(exc.message, exc.suggestions) from None
        except (EstimateError, ValueError) as exc:  # e.g. a KV type the runtime does not have
            raise Unresolved(str(exc)) from None

    def what_fits(self, rig: Rig, context: int, runtime: Runtime) -> list[FitEntry]:
        """:func:`fitmygpu.whatfits.what_fits`, memoised: it estimates every catalog model."""
        key = (FitState.from_rig("", rig).encode(), context, runtime)
        with self._fits_lock:
            if key in self._fits:
                self._fits.move_to_end(key)
                return self._fits[key]
        fits = what_fits(self.catalog, rig, context, runtime)
        with self._fits_lock:
            self._fits[key] = fits
            while len(self._fits) > WHAT_FITS_CACHE:
                self._fits.popitem(last=False)
        return fits
