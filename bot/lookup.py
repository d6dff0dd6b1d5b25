"""Turning what a user typed into catalog entries, and ranking autocomplete suggestions.

Discord-free on purpose: every function here is a thin layer over the core's matchers
(``ModelIndex``, ``GPUIndex``, ``QuestionParser``), so the bot resolves names exactly as the CLI
does and the rules are unit-testable without a client. Name lists for autocomplete are built once
per catalog, because an autocomplete has to answer within Discord's 3 seconds on every keystroke.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field

from fitmygpu.answer import Answerer, AnswerError, GPUCount, Rig, ladder_for, resolve_rig, rig_from_mentions
from fitmygpu.cache import SavedGPU, SavedRig
from fitmygpu.catalog.loader import Catalog
from fitmygpu.catalog.schema import ModelEntry
from fitmygpu.estimator.types import Runtime
from fitmygpu.matching.autocomplete import Completer, complete_gpus, complete_models
from fitmygpu.matching.models import Candidate
from fitmygpu.matching.question import clean
from fitmygpu.quant.formats import UnknownQuantError, all_quants, normalize_quant
from fitmygpu.textutil import clip

MAX_CHOICES = 25  # Discord's autocomplete limit
CHOICE_CHARS = 100  # per choice name and value
_EPOCH = dt.date(1970, 1, 1)
CONTEXT_STEPS = (2048, 4096, 8192, 16384, 32768, 65536, 131072, 262144, 1048576)


class Unresolved(Exception):
    """A name we could not place; carries a short message, "did you mean" names and, when the name
    was ambiguous, the candidates to offer in a select."""

    def __init__(
        self, message: str, suggestions: list[str] | None = None, candidates: list[Candidate] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.suggestions = suggestions or []
        self.candidates = candidates or []


@dataclass(frozen=True)
class Choice:
    """One autocomplete suggestion: what the user sees and the value the command receives."""

    name: str
    value: str


@dataclass
class IdCodec:
    """Short, stable stand-ins for catalog ids, for custom_ids that would pass 100 characters.

    A hash of the id (not a position in the catalog), so a code keeps meaning the same entry across
    restarts and catalog updates for as long as the entry exists."""

    forward: dict[str, str] = field(default_factory=dict)
    back: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def code(ident: str) -> str:
        return "~" + base64.b32encode(hashlib.sha1(ident.encode()).digest()).decode()[:7].lower()

    def add(self, ident: str) -> None:
        c = self.code(ident)
        if c in self.back and self.back[c] != ident:  # astronomically unlikely; keep the full id
            return
        self.forward[ident] = c
        self.back[c] = ident

    def short(self, ident: str) -> str:
        return self.forward.get(ident, ident)

    def long(self, token: str) -> str:
        return self.back.get(token, token)


def parse_context(text: str) -> int:
    """ "32k", "32K", "32768", "1m" -> tokens; raises :class:`Unresolved`."""
    t = text.strip().lower().replace(",", "").replace("_", "")
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(k|m)?(?:\s*(?:tokens?|ctx|context))?", t)
    if not m:
        raise Unresolved(f"{clip(clean(text), 30)!r} is not a context length.", ["8K", "32K", "131072"])
    n = float(m.group(1)) * {"k": 1024, "m": 1024 * 1024, None: 1}[m.group(2)]
    if not 128 <= n <= 16 * 1024 * 1024:
        raise Unresolved("Context must be between 128 tokens and 16M.", ["8K", "32K"])
    return int(n)


def ctx_choice_label(tokens: int) -> str:
    return f"{tokens // 1024}K" if tokens % 1024 == 0 and tokens < 1024 * 1024 else f"{tokens:,}"


class Lookup:
    """Everything name-related the bot needs for one catalog, built once."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.answerer = Answerer(catalog)
        self.parser = self.answerer.parser
        self.models = self.parser.models
        self.gpus = self.parser.gpus
        self.codec = IdCodec()
        for ident in (*catalog.models, *catalog.gpus):
            self.codec.add(ident)
        # Autocomplete ranking lives in the core (one index, built once per catalog).
        self.completer = Completer.of(catalog)

    # ----- autocomplete -----------------------------------------------------------------------

    def complete_model(self, query: str) -> list[Choice]:
        query = clean(query)
        if not query:  # an empty box shows the newest models, which people ask about most
            newest = sorted(
                self.catalog.models.values(), key=lambda m: m.release_date or _EPOCH, reverse=True
            )
            return [Choice(clip(m.name, CHOICE_CHARS), m.id) for m in newest[:MAX_CHOICES]]
        return [
            Choice(clip(name, CHOICE_CHARS), ident) for name, ident in complete_models(self.completer, query)
        ]

    def complete_gpu(self, query: str) -> list[Choice]:
        """Catalog GPUs, and a bare memory budget when the text is just a size ("24", "24gb")."""
        query = clean(query)[:100]
        out: list[Choice] = []
        budget = re.fullmatch(r"(\d{1,4}(?:\.\d+)?)\s*(g|gb|gib)?", query.lower())
        if (
            budget
            and 0 < float(budget.group(1)) <= 2048
            and (budget.group(2) or budget.group(1) not in self.gpus.by_anchor)
        ):
            gib = float(budget.group(1))
            out.append(Choice(f"{gib:g} GB of VRAM (any GPU)", f"{gib:g}gb"))
        out += [
            Choice(clip(name, CHOICE_CHARS), ident) for name, ident in complete_gpus(self.completer, query)
        ]
        return out[:MAX_CHOICES]

    def complete_quant(
        self, query: str, model_id: str | None = None, runtime: Runtime | None = None
    ) -> list[Choice]:
        q = query.strip().upper().replace(" ", "_")
        first: list[str] = []
        if model_id in self.catalog.models:
            first = list(ladder_for(runtime or Runtime.LLAMA_CPP, self.catalog.models[model_id]))
        names = list(dict.fromkeys([*first, *all_quants()]))
        if q:
            starts = [n for n in names if n.replace("-", "_").startswith(q)]
            inside = [n for n in names if q in n.replace("-", "_") and n not in starts]
            names = starts + inside
        return [Choice(n, n) for n in names[:MAX_CHOICES]]

    def complete_context(self, query: str, model_id: str | None = None) -> list[Choice]:
        window = self.catalog.models[model_id].context_window if model_id in self.catalog.models else None
        steps = [c for c in CONTEXT_STEPS if window is None or c <= window]
        if window and window not in steps:
            steps.append(window)
        out: list[Choice] = []
        if query.strip():
            try:
                n = parse_context(query)
                out.append(Choice(f"{n:,} tokens", str(n)))
            except Unresolved:
                pass
            digits = re.sub(r"\D", "", query)
            steps = [c for c in steps if not digits or ctx_choice_label(c).startswith(digits)] or steps
        out += [Choice(f"{ctx_choice_label(c)} ({c:,} tokens)", str(c)) for c in steps]
        return list({c.value: c for c in out}.values())[:MAX_CHOICES]

    # ----- resolution ------------------------------------------------------------------------

    def resolve_model(self, text: str) -> ModelEntry:
        t = text.strip()
        if t in self.catalog.models:
            return self.catalog.models[t]
        cleaned = clean(t)
        if not cleaned:
            raise Unresolved("Name a model, e.g. `qwen2.5 7b`.", [])
        match = self.models.match(cleaned)
        if match.entry is not None and not match.ambiguous:
            return match.entry
        if match.ambiguous:
            raise Unresolved(
                f"Several models match {clip(cleaned, 60)!r}; pick one.",
                [c.name for c in match.alternatives],
                candidates=match.alternatives,
            )
        suggestions = [c.name for c in match.alternatives] or [
            name for name, _ in complete_models(self.completer, cleaned, limit=5)
        ]
        raise Unresolved(f"No model called {clip(cleaned, 60)!r} in the catalog.", suggestions[:5])

    def resolve_gpu(self, text: str) -> Rig:
        """A GPU option: a catalog id, a name ("3090", "2x 4090"), or a budget ("24gb")."""
        try:
            return resolve_rig(self.catalog, self.gpus, text)
        except AnswerError as exc:
            raise Unresolved(exc.message, exc.suggestions) from None

    @staticmethod
    def with_count(rig: Rig, count: int | None) -> Rig:
        """``count`` of the rig's one kind of GPU (or budget); a mixed rig is left as it is."""
        if not count:
            return rig
        if len(rig.gpus) == 1:
            return dataclasses.replace(rig, gpus=(GPUCount(rig.gpus[0].entry, count),))
        if not rig.gpus and rig.budget_gib:
            return dataclasses.replace(rig, budget_count=count)
        return rig

    def resolve_quant(self, text: str) -> str:
        try:
            return normalize_quant(text)
        except UnknownQuantError:
            names = [c.name for c in self.complete_quant(text)][:5]
            raise Unresolved(f"Unknown quantization {clip(clean(text), 30)!r}.", names) from None

    def parse_rig(self, text: str) -> tuple[Rig, list[str]]:
        """A machine in words ("2x 3090 + 64gb ram") via the question parser's GPU, budget and RAM
        reading; returns the rig and the parser's notes (assumed variants)."""
        q = self.parser.parse(text)
        rig = rig_from_mentions(q.gpus, q)
        if rig is None:
            what = clean(text)
            raise Unresolved(
                f"No GPU or memory size found in {clip(what, 60)!r}. Try `2x 3090 + 64gb ram` or `24gb`.",
                self.gpus.suggest(what) if what else [],
            )
        notes = [n for m in q.gpus for n in m.notes]
        return rig, notes

    # ----- saved rigs ---------------------------------------------------------------------------

    @staticmethod
    def to_saved(rig: Rig, text: str) -> SavedRig:
        return SavedRig(
            text=text,
            gpus=[SavedGPU(id=gc.entry.id, count=gc.count) for gc in rig.gpus],
            budget_gib=rig.budget_gib if not rig.gpus else None,
            budget_count=rig.budget_count,
            ram_gib=rig.ram_gib,
        )

    def from_saved(self, saved: SavedRig) -> Rig | None:
        """The rig again; GPUs that left the catalog are dropped (None if nothing is left)."""
        gpus = tuple(
            GPUCount(self.catalog.gpus[g.id], g.count) for g in saved.gpus if g.id in self.catalog.gpus
        )
        if gpus:
            return Rig(gpus=gpus, ram_gib=saved.ram_gib)
        if saved.budget_gib:
            return Rig(budget_gib=saved.budget_gib, budget_count=saved.budget_count, ram_gib=saved.ram_gib)
        return None
