"""Finding the model a user means, with an honest score and the runners-up.

Scoring is token coverage, both ways: how much of a catalog name the text covers (so "qwen2.5 7b"
prefers "Qwen2.5 7B Instruct" over "Qwen2.5 Coder 7B Instruct") and how much of the text the name
explains. Parameter sizes are hard constraints — a "7b" in the text rules out every model without
a 7B size — and numbers must match exactly; only words get typo tolerance (rapidfuzz).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from fitmygpu.catalog.schema import ModelEntry
from fitmygpu.matching.tokens import Phrase, is_number, is_size, tokenize

# Suffixes that do not tell two models apart when a user leaves them out.
GENERIC = frozenset({"instruct", "chat", "it", "hf", "model", "gguf", "the", "version", "release"})
# Words of a question that never name a model.
STOPWORDS = frozenset(
    [
        "will",
        "would",
        "could",
        "can",
        "should",
        "i",
        "im",
        "i'm",
        "run",
        "running",
        "runs",
        "fit",
        "fits",
        "fitting",
        "on",
        "in",
        "my",
        "a",
        "an",
        "the",
        "with",
        "and",
        "or",
        "for",
        "is",
        "it",
        "its",
        "enough",
        "does",
        "do",
        "doing",
        "to",
        "of",
        "how",
        "much",
        "many",
        "vram",
        "memory",
        "gpu",
        "gpus",
        "card",
        "cards",
        "using",
        "use",
        "at",
        "what",
        "whats",
        "about",
        "please",
        "bot",
        "hey",
        "hi",
        "hello",
        "need",
        "needed",
        "want",
        "get",
        "load",
        "loaded",
        "into",
        "work",
        "works",
        "inference",
        "locally",
        "local",
        "server",
        "machine",
        "setup",
        "rig",
        "will?",
        "me",
        "you",
        "this",
        "that",
        "there",
        "be",
        "if",
        "any",
        "good",
        "fast",
        "quant",
        "quantized",
        "quantization",
        "context",
        "ctx",
        "tokens",
        "token",
        "at",
        "least",
        "than",
        "more",
        "less",
        "bigger",
        "biggest",
        "best",
        "which",
        "there's",
    ]
)
CONFIDENT = 62.0
MARGIN = 6.0


def _weight(tok: str) -> float:
    """Sizes decide the most; a missing family word ("coder", "r1") costs more than a missing
    version number, so "llama 8b" stays ambiguous between Llama 3 and 3.1 instead of picking a
    fine-tune."""
    if is_size(tok):
        return 3.0
    if is_number(tok):
        return 1.0
    return 1.5


@dataclass(frozen=True)
class Candidate:
    id: str
    name: str
    score: float


@dataclass
class ModelMatch:
    """The best model for a text, how sure we are, and what else it could be."""

    entry: ModelEntry | None
    score: float
    alternatives: list[Candidate] = field(default_factory=list)
    ambiguous: bool = False
    matched_tokens: frozenset[str] = frozenset()

    @property
    def found(self) -> bool:
        return self.entry is not None and not self.ambiguous


class ModelIndex:
    """All model names, tokenized once, with an inverted index from token to entries."""

    def __init__(self, models: dict[str, ModelEntry]) -> None:
        self.models = models
        self.phrases: dict[str, list[Phrase]] = {}
        self.sizes: dict[str, frozenset[str]] = {}
        self.by_token: dict[str, set[str]] = defaultdict(set)
        for m in models.values():
            names = {m.name, m.id, *m.aliases}
            if m.hf_repo:
                names.add(m.hf_repo.split("/")[-1])
            phrases = [Phrase.of(n) for n in names]
            self.phrases[m.id] = phrases
            sizes = set(Phrase.of(m.parameters_label).sizes)
            for p in phrases:
                sizes |= p.sizes
                for t in p.tokens:
                    self.by_token[t].add(m.id)
            self.sizes[m.id] = frozenset(sizes)
        self.vocab = [t for t in self.by_token if not is_number(t) and not is_size(t) and len(t) >= 4]
        self.display = sorted(m.name for m in models.values())

    def _expand(self, tokens: list[str]) -> dict[str, set[str]]:
        """Each query token -> the catalog tokens it may stand for (itself, or close spellings)."""
        out: dict[str, set[str]] = {}
        for t in tokens:
            alts = {t}
            if len(t) >= 4 and not is_number(t) and t not in self.by_token:
                for cand, score, _ in process.extract(t, self.vocab, scorer=fuzz.ratio, limit=3):
                    if score >= 80:
                        alts.add(cand)
            out[t] = alts
        return out

    def match(self, text_or_tokens: str | list[str], limit: int = 5) -> ModelMatch:
        tokens = tokenize(text_or_tokens) if isinstance(text_or_tokens, str) else list(text_or_tokens)
        query = [t for t in dict.fromkeys(tokens) if t not in STOPWORDS]
        if not query:
            return ModelMatch(entry=None, score=0.0)
        expanded = self._expand(query)
        q_sizes = {t for t in query if is_size(t)}
        pool: set[str] = set()
        for alts in expanded.values():
            for a in alts:
                pool |= self.by_token.get(a, set())
        scored: list[tuple[float, str, frozenset[str]]] = []
        for mid in pool:
            if q_sizes and not q_sizes <= self.sizes[mid]:
                continue
            best, used = 0.0, frozenset()
            for p in self.phrases[mid]:
                s, u = _score(query, expanded, p)
                if s > best:
                    best, used = s, u
            if best > 0:
                scored.append((best, mid, used))
        scored.sort(key=lambda x: (-x[0], self.models[x[1]].name))
        if not scored:
            return ModelMatch(entry=None, score=0.0, alternatives=self.suggest(query, limit))
        alts = [Candidate(mid, self.models[mid].name, round(s, 1)) for s, mid, _ in scored[: limit + 1]]
        top, top_id, used = scored[0]
        second = scored[1][0] if len(scored) > 1 else 0.0
        if top < CONFIDENT:
            return ModelMatch(entry=None, score=round(top, 1), alternatives=alts[:limit])
        ambiguous = top - second < MARGIN
        return ModelMatch(
            entry=self.models[top_id],
            score=round(top, 1),
            alternatives=alts[1 : limit + 1] if not ambiguous else alts[:limit],
            ambiguous=ambiguous,
            matched_tokens=used,
        )

    def suggest(self, query: list[str], limit: int = 5) -> list[Candidate]:
        """Closest names by plain fuzzy similarity, for "did you mean" when nothing matched."""
        text = " ".join(query)
        if not text:
            return []
        hits = process.extract(text, self.display, scorer=fuzz.WRatio, limit=limit, score_cutoff=60)
        by_name = {m.name: m.id for m in self.models.values()}
        return [Candidate(by_name[name], name, round(score, 1)) for name, score, _ in hits]


def _score(query: list[str], expanded: dict[str, set[str]], p: Phrase) -> tuple[float, frozenset[str]]:
    """Coverage of the name by the text (65%) and of the text by the name (35%)."""
    name = [t for t in p.tokens if t not in GENERIC]
    if not name:
        return 0.0, frozenset()
    name_set = set(name)
    used: set[str] = set()
    q_hit = 0.0
    for q in query:
        hit = expanded[q] & name_set
        if hit:
            used |= hit
            q_hit += _weight(q)
    if not used:
        return 0.0, frozenset()
    name_w = sum(_weight(t) for t in name_set)
    name_hit = sum(_weight(t) for t in used)
    q_w = sum(_weight(q) for q in query)
    matched_query = frozenset(q for q in query if expanded[q] & name_set)
    return 100 * (0.65 * name_hit / name_w + 0.35 * q_hit / q_w), matched_query
