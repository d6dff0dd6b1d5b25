"""Ranking catalog names for a partial input: the bot's slash-command autocomplete.

Stable API (the Discord bot calls these; keep the signatures)::

    complete_models(source, partial, limit=25) -> list[tuple[str, str]]   # (display name, model id)
    complete_gpus(source, partial, limit=25) -> list[tuple[str, str]]     # (display name, gpu id)

``source`` is a :class:`~fitmygpu.catalog.loader.Catalog`, a :class:`ModelIndex` /
:class:`GPUIndex`, a :class:`~fitmygpu.matching.question.QuestionParser`, or a :class:`Completer`;
the index behind it is built once per source object and reused. At most ``min(limit, 25)``
results, each display name at most 100 characters (Discord's limits); the id is the value to send
back. An empty input lists a sensible default order (models by name, GPUs: current consumer cards
first).

How the input is read: it is tokenized like a question ("qwen2.5:7b" -> qwen 2.5 7b). Every word
but the last must match a word of some name of the entry, exactly or within a typo; the last one
is a prefix still being typed. Sizes agree exactly: "qwen 7b" lists only 7B models, and a bare
trailing number prefers the size it spells ("qwen 7" lists Qwen 7B models before Qwen 72B).
Plainer names come first ("Qwen2.5 7B Instruct" before "Qwen2.5 Coder 7B Instruct"). When fewer
than ``limit`` entries match that way, the rest is filled by plain fuzzy similarity so a typo
still gets suggestions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein

from fitmygpu.catalog.loader import Catalog
from fitmygpu.catalog.schema import GPUClass, GPUEntry, ModelEntry
from fitmygpu.matching.gpus import BRANDS, SYNONYMS, GPUIndex
from fitmygpu.matching.models import GENERIC, ModelIndex
from fitmygpu.matching.tokens import fold, is_memory, is_number, is_size, tokenize
from fitmygpu.textutil import clip

MAX_RESULTS = 25
MAX_NAME = 100
MAX_INPUT = 100  # Discord caps option input at 100 characters anyway


@dataclass(frozen=True, slots=True)
class _Entry:
    id: str
    display: str  # what the user sees (<= 100 chars)
    plain: str  # display folded and tokenized, joined by spaces (for prefix and fuzzy checks)
    tokens: frozenset[str]  # every token of every name of the entry
    name_tokens: tuple[str, ...]  # tokens of the display name, for "how plain is it"
    sizes: frozenset[str]  # parameter sizes (models) or memory sizes (GPUs)
    rank: int  # default order when nothing distinguishes two entries
    default: bool = True  # the variant a bare product name means (GPUs)


class _Table:
    """One kind of entry (models or GPUs) with a prefix index over all their tokens."""

    def __init__(self, entries: list[_Entry]) -> None:
        self.entries = entries
        self.by_id = {e.id: e for e in entries}
        self.prefix: dict[str, set[int]] = defaultdict(set)
        self.exact: dict[str, set[int]] = defaultdict(set)
        for i, e in enumerate(entries):
            for t in e.tokens:
                self.exact[t].add(i)
                for n in range(1, len(t) + 1):
                    self.prefix[t[:n]].add(i)
        self.vocab = [t for t in self.exact if len(t) >= 4 and t.isalpha()]
        self.plains = [e.plain for e in entries]
        self.default = [e for e in sorted(entries, key=lambda e: e.rank)]
        self._fuzzy_cache: dict[str, frozenset[str]] = {}

    def close_words(self, tok: str) -> frozenset[str]:
        """Catalog words within a typo of ``tok`` (itself when it is known)."""
        if tok in self.exact or len(tok) < 4 or not tok.isalpha():
            return frozenset({tok})
        hit = self._fuzzy_cache.get(tok)
        if hit is None:
            limit = 1 if len(tok) < 7 else 2
            found = process.extract(
                tok, self.vocab, scorer=DamerauLevenshtein.distance, limit=3, score_cutoff=limit
            )
            hit = frozenset({tok, *(w for w, _, _ in found)})
            if len(self._fuzzy_cache) < 4096:
                self._fuzzy_cache[tok] = hit
        return hit

    def complete(self, partial: str, limit: int) -> list[tuple[str, str]]:
        limit = max(0, min(limit, MAX_RESULTS))
        if limit == 0:
            return []
        text = fold(partial[:MAX_INPUT])
        still_typing = bool(text) and not text[-1].isspace()
        # The word being typed is tokenized on its own, so "phi-4 m" is not glued to "4m".
        head, _, tail = text.rpartition(" ") if still_typing else (text, "", "")
        done, tail_toks = tokenize(head), tokenize(tail)
        last = tail_toks[-1] if tail_toks else None
        done += tail_toks[:-1]
        if not done and last is None:
            return [(e.display, e.id) for e in self.default[:limit]]
        scored = self._rank(done, last)
        out = [self.entries[i] for _, i in scored[:limit]]
        if len(out) < limit:
            query = " ".join([*done, last or ""]).strip()
            said = [*done, last] if last else done
            sizes = {t for t in said if is_size(t) or is_memory(t)}  # spelled-out sizes stay exact
            out.extend(self._fuzzy_fill(query, {e.id for e in out}, limit - len(out), sizes))
        return [(e.display, e.id) for e in out]

    def _rank(self, done: list[str], last: str | None) -> list[tuple[tuple[float, int], int]]:
        # Candidates: entries that have every finished word (or a close spelling) and a token
        # that starts with the word being typed.
        cands: set[int] | None = None
        wanted: list[tuple[str, frozenset[str]]] = []
        for q in dict.fromkeys(done):
            if q in GENERIC or q in BRANDS:
                continue
            alts = self.close_words(q)
            hit: set[int] = set()
            for a in alts:
                hit |= self.exact.get(a, set())
            cands = hit if cands is None else cands & hit
            wanted.append((q, alts))
        if last is not None:
            hit = set(self.prefix.get(last, set()))
            if not hit and len(last) >= 4:
                for a in self.close_words(last):
                    hit |= self.exact.get(a, set())
            cands = hit if cands is None else cands & hit
        if not cands:
            return []
        scored = []
        for i in cands:
            e = self.entries[i]
            score = 0.0
            for q, _alts in wanted:
                if q in e.tokens:
                    score += 2.0 if (is_size(q) or is_memory(q)) else 1.0
                    score += 0.2 if q in e.name_tokens else 0.0  # said in the name, not an alias
                else:
                    score += 0.7
            if last is not None:
                score += _last_token_score(last, e)
            covered = sum(1 for t in e.name_tokens if t in e.tokens and _said(t, done, last))
            extra = len(e.name_tokens) - covered
            if e.plain.startswith(" ".join([*done, last or ""]).strip()):
                score += 0.5
            score += 0.2 if e.default else 0.0  # "a100" lists the A100 a bare name means first
            scored.append(((-(score - 0.08 * extra), e.rank), i))
        scored.sort()
        return scored

    def _fuzzy_fill(self, text: str, have: set[str], n: int, sizes: set[str]) -> list[_Entry]:
        hits = process.extract(text, self.plains, scorer=fuzz.WRatio, limit=n + len(have), score_cutoff=50)
        out = []
        for _, _, i in hits:
            e = self.entries[i]
            if e.id not in have and sizes <= e.tokens:
                out.append(e)
                have.add(e.id)
            if len(out) == n:
                break
        return out


def _said(t: str, done: list[str], last: str | None) -> bool:
    return t in done or (last is not None and t.startswith(last))


def _last_token_score(last: str, e: _Entry) -> float:
    """How well the word being typed fits the entry. A bare number is read as the size it
    spells: "7" means 7B (or 7 GB), so 7B models rank above 72B ones."""
    if is_number(last):
        if any(s in e.sizes for s in (f"{last}b", f"{last}m", f"{last}gb")):
            return 2.0
        if last in e.tokens:
            return 1.0
        if any(s.startswith(last) for s in e.sizes):
            return 0.4
        return 0.3
    if last in e.tokens:
        base = 2.0 if (is_size(last) or is_memory(last)) else 1.0
        return base + (0.2 if last in e.name_tokens else 0.0)
    if any(t.startswith(last) for t in e.name_tokens):
        return 0.7
    if any(t.startswith(last) for t in e.tokens):
        return 0.6
    return 0.4  # a close spelling of a longer word


class Completer:
    """Autocomplete tables for the models and GPUs of one catalog, built once."""

    def __init__(self, models: dict[str, ModelEntry], gpus: dict[str, GPUEntry]) -> None:
        self.models = _Table(_model_entries(models))
        self.gpus = _Table(_gpu_entries(gpus))

    @classmethod
    def of(cls, catalog: Catalog) -> Completer:
        return cls(catalog.models, catalog.gpus)

    def complete_models(self, partial: str, limit: int = MAX_RESULTS) -> list[tuple[str, str]]:
        return self.models.complete(partial, limit)

    def complete_gpus(self, partial: str, limit: int = MAX_RESULTS) -> list[tuple[str, str]]:
        return self.gpus.complete(partial, limit)


def _plain(text: str) -> str:
    return " ".join(tokenize(text))


def _model_entries(models: dict[str, ModelEntry]) -> list[_Entry]:
    ordered = sorted(models.values(), key=lambda m: fold(m.name))
    out = []
    for rank, m in enumerate(ordered):
        names = [m.name, m.id, *m.aliases]
        if m.hf_repo:
            names += [m.hf_repo, m.hf_repo.split("/")[-1]]
        tokens = frozenset(t for n in names for t in tokenize(n))
        sizes = frozenset(t for t in tokens | set(tokenize(m.parameters_label)) if is_size(t))
        out.append(
            _Entry(
                id=m.id,
                display=clip(m.name, MAX_NAME),
                plain=_plain(m.name),
                tokens=tokens | sizes,
                name_tokens=tuple(t for t in tokenize(m.name) if t not in GENERIC),
                sizes=sizes,
                rank=rank,
            )
        )
    return out


_CLASS_ORDER = {GPUClass.CONSUMER: 0, GPUClass.WORKSTATION: 1, GPUClass.LAPTOP: 2}


def _gpu_entries(gpus: dict[str, GPUEntry]) -> list[_Entry]:
    def order(g: GPUEntry) -> tuple[int, int, bool, str]:
        return (_CLASS_ORDER.get(g.gpu_class, 3), -(g.release_year or 0), not g.default, fold(g.name))

    out = []
    for rank, g in enumerate(sorted(gpus.values(), key=order)):
        memory = f"{g.memory_gib:g}gb"
        tokens = {SYNONYMS.get(t, t) for n in (g.name, g.id, *g.aliases) for t in tokenize(n)}
        tokens |= {memory, "mobile"} if "laptop" in tokens else {memory}
        tokens |= {"apple", "mac"} if g.vendor.value == "Apple" else set()
        out.append(
            _Entry(
                id=g.id,
                display=clip(g.name, MAX_NAME),
                plain=_plain(g.name),
                tokens=frozenset(tokens),
                name_tokens=tuple(t for t in tokenize(g.name) if t not in BRANDS and not is_memory(t)),
                sizes=frozenset({memory}),
                rank=rank,
                default=g.default or sum(1 for o in gpus.values() if o.group == g.group) == 1,
            )
        )
    return out


# ----- module-level API: one Completer per source object, built on first use ---------------

_CACHE: dict[int, tuple[object, Completer]] = {}


def completer_for(source: object) -> Completer:
    """The :class:`Completer` for a catalog, an index or a parser (built once, then reused)."""
    if isinstance(source, Completer):
        return source
    hit = _CACHE.get(id(source))
    if hit is not None and hit[0] is source:
        return hit[1]
    if isinstance(source, Catalog):
        comp = Completer(source.models, source.gpus)
    elif isinstance(source, ModelIndex):
        comp = Completer(source.models, {})
    elif isinstance(source, GPUIndex):
        comp = Completer({}, source.gpus)
    elif hasattr(source, "catalog") and isinstance(source.catalog, Catalog):  # QuestionParser, Answerer
        comp = Completer(source.catalog.models, source.catalog.gpus)
    else:
        raise TypeError(f"cannot autocomplete from {type(source).__name__}")
    if len(_CACHE) > 16:
        _CACHE.clear()
    _CACHE[id(source)] = (source, comp)  # holding the source keeps its id from being reused
    return comp


def complete_models(source: object, partial: str, limit: int = MAX_RESULTS) -> list[tuple[str, str]]:
    """Up to ``limit`` (at most 25) ``(display name, model id)`` pairs for a partial model name."""
    return completer_for(source).complete_models(partial, limit)


def complete_gpus(source: object, partial: str, limit: int = MAX_RESULTS) -> list[tuple[str, str]]:
    """Up to ``limit`` (at most 25) ``(display name, gpu id)`` pairs for a partial GPU name."""
    return completer_for(source).complete_gpus(partial, limit)


__all__ = ["Completer", "complete_gpus", "complete_models", "completer_for"]
