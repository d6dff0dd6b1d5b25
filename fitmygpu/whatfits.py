"""Which catalog models run on a rig: the best format of each at a context, grouped by size.

Used by ``/gpu``, ``/whatfits`` and the GPU chart. It asks the estimator the same question for
every model, so it inherits the per-tensor weights and per-layer-kind KV of every other answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from fitmygpu.answer import Rig, ladder_for
from fitmygpu.catalog.loader import Catalog
from fitmygpu.catalog.schema import ModelEntry
from fitmygpu.estimator.core import EstimateError, best_quant, estimate
from fitmygpu.estimator.types import Estimate, Options, Runtime

SIZE_CLASSES: tuple[tuple[str, float], ...] = (
    ("Tiny (under 4B)", 4e9),
    ("Small (4-10B)", 10.5e9),
    ("Medium (10-24B)", 24.5e9),
    ("Large (24-40B)", 40.5e9),
    ("XL (40-80B)", 80.5e9),
    ("Frontier (over 80B)", float("inf")),
)


@dataclass(frozen=True)
class FitEntry:
    model: ModelEntry
    quant: str
    estimate: Estimate

    @property
    def size_class(self) -> str:
        total = self.model.architecture.total_params
        return next(name for name, limit in SIZE_CLASSES if total < limit)


def what_fits(
    catalog: Catalog, rig: Rig, context: int = 8192, runtime: Runtime = Runtime.LLAMA_CPP
) -> list[FitEntry]:
    """Every model that runs fully on the rig at ``context``, with its best format, largest first."""
    setup = rig.setup
    out: list[FitEntry] = []
    for m in catalog.models.values():
        ctx = min(context, m.context_window)
        opts = Options(runtime=runtime, context=ctx)
        try:
            q = best_quant(m.architecture, opts, setup, ladder_for(runtime, m))
            if q is None:
                continue
            out.append(FitEntry(m, q, estimate(m.architecture, opts.model_copy(update={"quant": q}), setup)))
        except EstimateError:
            continue
    out.sort(key=lambda f: (-f.model.architecture.total_params, f.model.name))
    return out


def grouped(entries: list[FitEntry]) -> dict[str, list[FitEntry]]:
    groups: dict[str, list[FitEntry]] = {name: [] for name, _ in reversed(SIZE_CLASSES)}
    for e in entries:
        groups[e.size_class].append(e)
    return {k: v for k, v in groups.items() if v}
