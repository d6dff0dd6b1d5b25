"""The state of one /fit answer, small enough to live inside a component's custom_id.

Why state in the custom_id: the selects under a /fit reply must keep working after the bot
restarts, and across shards, without a database row per message. Everything needed to rebuild the
answer (model, rig, options) is encoded here; Discord stores it with the message.

Format (fields separated by ``:``; empty means "not given")::

    model : rig : ram : context : quant : runtime : kv : concurrency

``rig`` is ``id*count+id...`` for catalog GPUs or ``=24x2`` for a bare 2x 24 GB budget. Catalog ids
are used as they are; only when the custom_id would pass Discord's 100 characters are they
swapped for short hash codes (:class:`bot.lookup.IdCodec`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from fitmygpu.answer import GPUCount, Rig
from fitmygpu.catalog.loader import Catalog
from fitmygpu.estimator.types import Runtime

CUSTOM_ID_LIMIT = 100
RUNTIME_CODE = {
    Runtime.LLAMA_CPP: "l",
    Runtime.OLLAMA: "o",
    Runtime.VLLM: "v",
    Runtime.TRANSFORMERS: "t",
    Runtime.MLX: "m",
}
CODE_RUNTIME = {v: k for k, v in RUNTIME_CODE.items()}
_ID = re.compile(r"^~?[a-z0-9][a-z0-9.\-]*$")


class StateError(ValueError):
    """A custom_id that does not decode (edited by hand, or from an incompatible version)."""


@dataclass(frozen=True)
class FitState:
    model: str = ""
    gpus: tuple[tuple[str, int], ...] = ()
    budget_gib: float | None = None
    budget_count: int = 1
    ram_gib: float | None = None
    context: int | None = None
    quant: str | None = None
    runtime: Runtime | None = None
    kv_cache: str | None = None
    concurrency: int | None = None

    # ----- to and from a Rig --------------------------------------------------------------------

    @classmethod
    def from_rig(cls, model: str, rig: Rig | None, **options: object) -> FitState:
        if rig is None:
            return cls(model=model, **options)  # type: ignore[arg-type]
        return cls(
            model=model,
            gpus=tuple((gc.entry.id, gc.count) for gc in rig.gpus),
            budget_gib=rig.budget_gib if not rig.gpus else None,
            budget_count=rig.budget_count if not rig.gpus else 1,
            ram_gib=rig.ram_gib,
            **options,  # type: ignore[arg-type]
        )

    def rig(self, catalog: Catalog) -> Rig | None:
        """The rig again; raises :class:`StateError` when a GPU left the catalog."""
        if self.gpus:
            missing = [g for g, _ in self.gpus if g not in catalog.gpus]
            if missing:
                raise StateError(f"GPU {missing[0]!r} is no longer in the catalog")
            return Rig(gpus=tuple(GPUCount(catalog.gpus[g], n) for g, n in self.gpus), ram_gib=self.ram_gib)
        if self.budget_gib:
            return Rig(budget_gib=self.budget_gib, budget_count=self.budget_count, ram_gib=self.ram_gib)
        return None

    def with_(self, **changes: object) -> FitState:
        return replace(self, **changes)  # type: ignore[arg-type]

    # ----- encoding ----------------------------------------------------------------------------

    def encode(self, short: dict[str, str] | None = None) -> str:
        """The state as text; ids found in ``short`` are replaced by their codes."""
        s = short or {}
        if self.gpus:
            rig = "+".join(s.get(g, g) + (f"*{n}" if n != 1 else "") for g, n in self.gpus)
        elif self.budget_gib:
            rig = f"={_num(self.budget_gib)}" + (f"x{self.budget_count}" if self.budget_count != 1 else "")
        else:
            rig = ""
        fields = [
            s.get(self.model, self.model),
            rig,
            _num(self.ram_gib) if self.ram_gib else "",
            str(self.context) if self.context else "",
            self.quant or "",
            RUNTIME_CODE[self.runtime] if self.runtime else "",
            self.kv_cache or "",
            str(self.concurrency) if self.concurrency else "",
        ]
        return ":".join(fields).rstrip(":")

    def custom_id(self, prefix: str, short: dict[str, str]) -> str | None:
        """``prefix`` + state, shortened if needed; None if it cannot fit in 100 characters."""
        for table in ({}, short):
            cid = prefix + self.encode(table)
            if len(cid) <= CUSTOM_ID_LIMIT:
                return cid
        return None

    @classmethod
    def decode(cls, text: str, long: dict[str, str] | None = None) -> FitState:
        lng = long or {}
        parts = text.split(":")
        if len(parts) > 8:
            raise StateError("too many fields")
        parts += [""] * (8 - len(parts))
        model, rig, ram, ctx, quant, rt, kv, conc = parts
        try:
            gpus: list[tuple[str, int]] = []
            budget, budget_count = None, 1
            if rig.startswith("="):
                gib, _, n = rig[1:].partition("x")
                budget, budget_count = float(gib), int(n or 1)
            elif rig:
                for part in rig.split("+"):
                    ident, _, n = part.partition("*")
                    if not _ID.match(ident):
                        raise StateError(f"bad GPU id {ident!r}")
                    gpus.append((lng.get(ident, ident), int(n or 1)))
            if model and not _ID.match(model):
                raise StateError(f"bad model id {model!r}")
            if rt and rt not in CODE_RUNTIME:
                raise StateError(f"bad runtime code {rt!r}")
            state = cls(
                model=lng.get(model, model),
                gpus=tuple(gpus),
                budget_gib=budget,
                budget_count=budget_count,
                ram_gib=float(ram) if ram else None,
                context=int(ctx) if ctx else None,
                quant=quant or None,
                runtime=CODE_RUNTIME[rt] if rt else None,
                kv_cache=kv or None,
                concurrency=int(conc) if conc else None,
            )
        except ValueError as exc:
            if isinstance(exc, StateError):
                raise
            raise StateError(str(exc)) from None
        if any(n < 1 or n > 64 for _, n in state.gpus) or not 1 <= state.budget_count <= 64:
            raise StateError("GPU count out of range")
        return state


def _num(x: float) -> str:
    return f"{x:g}"
