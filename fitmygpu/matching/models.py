"""Finding the model a user means, with an honest score and the runners-up.

Scoring is token coverage, both ways, weighted half and half: how much of a catalog name the text
covers (so "qwen2.5 7b" prefers "Qwen2.5 7B Instruct" over "Qwen2.5 Coder 7B Instruct") and how
much of the model-related text the name explains (so "qwen2.5 coder 7b" prefers the Coder). Only
words that occur somewhere in the catalog count on the text side: chatter ("i do a lot of python")
neither helps nor dilutes a match.

Exact tokens decide, fuzzy tokens only help:

* parameter sizes are hard constraints: a "7b" in the text rules out every model without a 7B size;
* numbers must match exactly, and a number in the text that the name contradicts ("qwen2.5 8b"
  against "Qwen3 8B": 2.5 versus 3) marks the candidate as conflicting, which is never accepted;
* only words get typo tolerance (one edit, transpositions included; two for long words).

A result is *found* when it is confident (score >= ``CONFIDENT``) and clear of the runner-up by
``MARGIN``, or when it is the only plausible reading by a wide margin ("scout"). Anything else with
a real hit is *ambiguous* and carries its candidates; nothing at all, or only conflicting
candidates, is *not found*, with suggestions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein

from fitmygpu.catalog.schema import ModelEntry
from fitmygpu.matching.tokens import is_number, is_size, tokenize

# Words that do not tell two models apart when a user leaves them out. They still count, lightly,
# when the user writes them ("instruct 2507" prefers the Instruct release over the Thinking one).
GENERIC = frozenset({"instruct", "chat", "it", "hf", "model", "gguf", "the", "version", "release", "pt"})
# Words of a question that never name a model (and are never typo-corrected into one).
_STOPWORDS_TEXT = """
    will would could can cant should shall may might must i im i'm ive id ill run running runs ran
    fit fits fitting fitted on in inside my a an the with without and or but for from by is are was
    were be been being it its it's enough does do doing did done to of how much many vram memory
    gpu gpus card cards using use used at what whats about please pls plz bot hey hi hello yo need
    needed needs want wanna gonna get got load loaded loading into work works working inference
    locally local server machine setup rig build me you your we our us they them this that these
    those there here be if any good well fast faster slow quant quants quantized quantization
    quantisation context ctx tokens token at least than more less bigger biggest best better which
    theres so ok okay just also like know anyone someone somebody guys guy folks friend buddy
    says said say true false yes no not nah lol lmao thanks thank thx question quick wondering
    wonder possible possibly able tried trying try first time new old used still even really very
    too go going doable worth over under then when where why who all some one single only each
    every own have has had having am planning plan buy buying bought bigger smaller
    handle poor little am dreaming reasonable reasonably decent okay python code coding lot lots
    do does mine myself home pc desktop laptop gaming computer box tell show check help model
    models llm llms ai offload offloading offloaded ram system sys cpu vs versus per day week
    month year gig gigs gb
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
# Offered as "try one of these" when a text names no model at all.
STARTERS = (
    "qwen3-8b",
    "llama-3.1-8b-instruct",
    "gemma-3-12b-it",
    "gpt-oss-20b",
    "mistral-nemo-instruct-2407",
)
CONFIDENT = 60.0
MARGIN = 6.0
UNIQUE_MARGIN = 15.0  # a weaker match is accepted when nothing else comes close ("scout")
WEAK = 45.0  # below this, nothing was really named
CONFLICT_PENALTY = 0.6
FUZZY_CREDIT = 0.9


@lru_cache(maxsize=16384)
def _weight(tok: str) -> float:
    """Sizes decide the most; a missing family word ("coder", "r1") costs more than a missing
    version number, so "llama 8b" stays ambiguous between Llama 3 and 3.1 instead of picking a
    fine-tune."""
    if is_size(tok):
        # Active-parameter counts ("a3b") are often left out; the total size is what people say.
        return 1.0 if tok[0] == "a" else 3.0
    if is_number(tok):
        # Four-digit numbers are release tags ("2507", "0528", "2411"): leaving one out usually
        # means the untagged original, so a tagged name covers less of what was said.
        return 2.0 if len(tok) == 4 and tok.isdigit() else 1.0
    if tok in GENERIC:
        return 0.25
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


@dataclass(frozen=True, slots=True)
class _Name:
    """One name of a model, tokenized once: its token set, the part that must be covered, and
    its numbers (for conflicts)."""

    tokens: frozenset[str]
    weight: float
    numbers: frozenset[str]
    active: frozenset[str]  # active-parameter sizes ("a3b"), implied once the total size matches


class ModelIndex:
    """All model names, tokenized once, with an inverted index from token to entries."""

    def __init__(self, models: dict[str, ModelEntry]) -> None:
        self.models = models
        self.names: dict[str, list[_Name]] = {}
        self.sizes: dict[str, frozenset[str]] = {}
        self.by_token: dict[str, set[str]] = defaultdict(set)
        for m in models.values():
            texts = {m.name, m.id, *m.aliases}
            if m.hf_repo:
                texts.add(m.hf_repo.split("/")[-1])
            names: dict[frozenset[str], _Name] = {}
            sizes = {t for t in tokenize(m.parameters_label) if is_size(t)}
            for text in texts:
                toks = frozenset(tokenize(text))
                if not (toks - GENERIC) or toks in names:
                    continue
                names[toks] = _Name(
                    tokens=toks,
                    weight=sum(_weight(t) for t in toks),
                    numbers=frozenset(t for t in toks if is_number(t)),
                    active=frozenset(t for t in toks if is_size(t) and t[0] == "a"),
                )
                sizes |= {t for t in toks if is_size(t)}
                for t in toks:
                    self.by_token[t].add(m.id)
            self.names[m.id] = list(names.values())
            self.sizes[m.id] = frozenset(sizes)
        self.vocab = [t for t in self.by_token if not is_number(t) and not is_size(t) and len(t) >= 4]
        self.display = sorted(m.name for m in models.values())
        self._by_name = {m.name: m.id for m in models.values()}
        self._expand_one = lru_cache(maxsize=4096)(self._fuzzy)

    def _fuzzy(self, tok: str) -> frozenset[str]:
        """Catalog words within one edit (two for long words) of a word the catalog lacks."""
        if tok in self.by_token or len(tok) < 4 or is_number(tok) or is_size(tok) or tok in STOPWORDS:
            return frozenset({tok})
        if not tok.isalpha():
            return frozenset({tok})
        limit = 1 if len(tok) < 7 else 2
        hits = process.extract(
            tok, self.vocab, scorer=DamerauLevenshtein.distance, limit=3, score_cutoff=limit
        )
        return frozenset({tok, *(cand for cand, _, _ in hits)})

    def match(self, text_or_tokens: str | list[str], limit: int = 5) -> ModelMatch:
        tokens = tokenize(text_or_tokens) if isinstance(text_or_tokens, str) else list(text_or_tokens)
        query = [t for t in dict.fromkeys(tokens) if t not in STOPWORDS]
        if not query:
            return ModelMatch(entry=None, score=0.0, alternatives=self.starters(limit))
        expanded = {q: self._expand_one(q) for q in query}
        # Only words the catalog knows (exactly or by a close spelling) are part of the question
        # about a model; the rest is chatter and neither helps nor hurts.
        relevant = [q for q in query if any(a in self.by_token for a in expanded[q])]
        if not relevant:
            return ModelMatch(entry=None, score=0.0, alternatives=self.suggest(query, limit))
        q_sizes = {t for t in query if is_size(t)}
        q_weight = sum(_weight(q) for q in relevant)
        pool: set[str] = set()
        for q in relevant:
            for a in expanded[q]:
                pool |= self.by_token.get(a, set())
        # Two total sizes no model has together ("llama 3.1 8b or 70b") are a choice: any of
        # them qualifies, and the answer is ambiguous between them.
        totals = {t for t in q_sizes if t[0] != "a"}
        either = len(totals) > 1 and not any(totals <= self.sizes[mid] for mid in pool)
        hits_of: dict[str, list[tuple[str, bool]]] = defaultdict(list)
        for q in relevant:
            for a in expanded[q]:
                hits_of[a].append((q, a == q))
        # Every number said counts for conflicts, even one no catalog name has: "qwen 2.6 7b" is
        # not Qwen2.5 7B with a typo we may silently fix.
        q_numbers = frozenset(q for q in query if is_number(q))
        scored: list[tuple[float, str, bool, frozenset[str]]] = []
        for mid in pool:
            if either:
                if not totals & self.sizes[mid]:
                    continue
            elif q_sizes and not q_sizes <= self.sizes[mid]:
                continue
            best: tuple[float, bool, frozenset[str]] = (0.0, False, frozenset())
            for name in self.names[mid]:
                s = _score(hits_of, q_numbers, name, q_weight)
                if s[0] > best[0]:
                    best = s
            if best[0] > 0:
                scored.append((best[0], mid, best[1], best[2]))
        scored.sort(key=lambda x: (-x[0], self.models[x[1]].name))
        if not scored:
            return ModelMatch(entry=None, score=0.0, alternatives=self.suggest(query, limit))
        alts = [Candidate(mid, self.models[mid].name, round(s, 1)) for s, mid, _, _ in scored[: limit + 1]]
        top, top_id, conflict, used = scored[0]
        second = scored[1][0] if len(scored) > 1 else 0.0
        gap = top - second
        if conflict or top < WEAK:
            return ModelMatch(entry=None, score=round(top, 1), alternatives=alts[:limit])
        # A word the catalog does not know, in the middle of the name ("qwen2.5 omni 7b"), may be
        # a variant the catalog lacks: the closest name is then a candidate, not an answer.
        unknown_inside = _unknown_inside([t for t in tokens if t not in STOPWORDS], used, set(relevant))
        clear = (top >= CONFIDENT and gap >= MARGIN) or gap >= UNIQUE_MARGIN
        if not either and not unknown_inside and clear:
            return ModelMatch(
                entry=self.models[top_id],
                score=round(top, 1),
                alternatives=alts[1 : limit + 1],
                matched_tokens=used,
            )
        return ModelMatch(
            entry=self.models[top_id],
            score=round(top, 1),
            alternatives=alts[:limit],
            ambiguous=True,
            matched_tokens=used,
        )

    def suggest(self, query: list[str], limit: int = 5) -> list[Candidate]:
        """Closest names by plain fuzzy similarity, for "did you mean" when nothing matched, or
        a few common models when nothing is close."""
        text = " ".join(t for t in query if t not in STOPWORDS)[:200]
        hits = (
            process.extract(text, self.display, scorer=fuzz.WRatio, limit=limit, score_cutoff=60)
            if text
            else []
        )
        found = [Candidate(self._by_name[name], name, round(score, 1)) for name, score, _ in hits]
        return found or self.starters(limit)

    def starters(self, limit: int = 5) -> list[Candidate]:
        return [Candidate(i, self.models[i].name, 0.0) for i in STARTERS if i in self.models][:limit]


def _unknown_inside(seq: list[str], matched: frozenset[str], relevant: set[str]) -> bool:
    """Whether one or two tokens the best name does not explain sit between two of its words: a
    word the catalog does not know ("qwen2.5 omni 7b") or a number ("llama 3.4 8b", "qwen 2.6
    7b"). Likely a variant or version the catalog lacks, so the match is only a candidate."""
    last = None
    for i, t in enumerate(seq):
        if t in matched:
            between = seq[last + 1 : i] if last is not None else []
            if 0 < len(between) <= 2 and all(
                is_number(w) or (w.isalpha() and w not in relevant) for w in between
            ):
                return True
            last = i
    return False


def _score(
    hits_of: dict[str, list[tuple[str, bool]]], q_numbers: frozenset[str], name: _Name, q_weight: float
) -> tuple[float, bool, frozenset[str]]:
    """Coverage of the name by the text and of the (model-related) text by the name, half each;
    scaled down when a number in the text contradicts one in the name. ``hits_of`` maps a catalog
    token to the query tokens that stand for it (exactly, or as a close spelling), so the work is
    proportional to the name, not to the text."""
    used: set[str] = set()
    credit: dict[str, float] = {}
    for t in name.tokens:
        for q, exact in hits_of.get(t, ()):
            used.add(t)
            c = _weight(q) * (1.0 if exact else FUZZY_CREDIT)
            if c > credit.get(q, 0.0):
                credit[q] = c
    if name.active and any(is_size(t) and t[0] != "a" for t in used):
        used |= name.active  # "qwen3 30b" is the 30B-A3B: the active size comes with the total
    if all(is_size(t) or is_number(t) or t in GENERIC for t in used):
        return 0.0, False, frozenset()  # a size, a number or "instruct" alone names no model
    name_hit = sum(_weight(t) for t in used)
    score = 100 * (0.5 * name_hit / name.weight + 0.5 * sum(credit.values()) / q_weight)
    conflict = bool(q_numbers - name.tokens) and bool(name.numbers - used)
    if conflict:
        score *= CONFLICT_PENALTY
    return score, conflict, frozenset(credit)
