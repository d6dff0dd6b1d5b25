"""Finding GPUs in text: model numbers are anchors, suffixes must agree exactly.

"3060" must never become a 3060 Ti, so a GPU mention is read as an *anchor* (a model code such as
"3060", "a100", "m3", "7900") plus the tokens around it. Among the products that share the anchor,
the tokens that tell them apart ("ti", "super", "xtx", "max", "laptop") must be exactly the ones the
user wrote. Memory sizes then pick the variant ("3060 8gb"); a bare name means the default variant,
with a note that others exist.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from fitmygpu.catalog.schema import GPUEntry
from fitmygpu.matching.tokens import is_memory, memory_gib, tokenize

BRANDS = frozenset(
    [
        "nvidia",
        "geforce",
        "rtx",
        "gtx",
        "amd",
        "radeon",
        "rx",
        "intel",
        "apple",
        "tesla",
        "ati",
        "graphics",
        "gpu",
        "card",
        "founders",
        "edition",
    ]
)
APPLE_CHIP = re.compile(r"^m[1-9]$")
APPLE_CONTEXT = frozenset(["mac", "macbook", "imac", "apple", "mbp", "studio", "mini", "air", "chip"])
APPLE_SUFFIX = frozenset({"pro", "max", "ultra"})
# Synonyms folded before matching.
SYNONYMS = {"mobile": "laptop", "notebook": "laptop", "sxm5": "sxm", "nvlink": "nvl"}
_MAC_PHRASE = re.compile(r"\b(macbook\s+(pro|air)|mac\s+(pro|mini|studio)|imac)\b")


@dataclass(frozen=True)
class GPUMention:
    """One GPU the text names, with how many and what was assumed."""

    entry: GPUEntry
    count: int = 1
    span: tuple[int, int] = (0, 0)
    notes: tuple[str, ...] = ()


@dataclass
class GPUGroup:
    name: str
    entries: list[GPUEntry]
    tokens: frozenset[str]  # every token of every entry's names
    default: GPUEntry


@dataclass
class GPUIndex:
    gpus: dict[str, GPUEntry]
    groups: dict[str, GPUGroup] = field(default_factory=dict)
    by_anchor: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    vocab: frozenset[str] = frozenset()

    @classmethod
    def build(cls, gpus: dict[str, GPUEntry]) -> GPUIndex:
        idx = cls(gpus=gpus)
        members: dict[str, list[GPUEntry]] = defaultdict(list)
        for g in gpus.values():
            members[g.group].append(g)
        vocab: set[str] = set()
        for name, entries in members.items():
            toks: set[str] = set()
            for e in entries:
                for n in (e.name, e.id, *e.aliases):
                    toks.update(_fold(tokenize(n)))
            toks -= BRANDS
            toks = {t for t in toks if not is_memory(t)}
            default = next((e for e in entries if e.default), entries[0])
            idx.groups[name] = GPUGroup(name, entries, frozenset(toks), default)
            vocab |= toks
            for t in _group_anchors(name, entries):
                idx.by_anchor[t].append(name)
        idx.vocab = frozenset(vocab - {"+"} - set(_WORD_COUNT) - APPLE_CONTEXT)
        return idx

    # ----- scanning text -------------------------------------------------------------------

    def find(self, text: str) -> tuple[list[GPUMention], list[str], set[int]]:
        """GPU mentions in ``text``, notes, and the token positions they used."""
        tokens = _fold(tokenize(_MAC_PHRASE.sub(" mac ", text.lower())))
        return self.find_tokens(tokens)

    def find_tokens(self, tokens: list[str]) -> tuple[list[GPUMention], list[str], set[int]]:
        mentions: list[GPUMention] = []
        notes: list[str] = []
        used: set[int] = set()
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            if tok in self.by_anchor and i not in used and self._is_gpu_anchor(tokens, i):
                m, span_used, note = self._read(tokens, i)
                if m is not None:
                    mentions.append(m)
                    used |= span_used
                    i = max(span_used) + 1
                    continue
                if note:
                    notes.append(note)
            i += 1
        return mentions, notes, used

    def _is_gpu_anchor(self, tokens: list[str], i: int) -> bool:
        tok = tokens[i]
        if APPLE_CHIP.match(tok):
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            prev = tokens[i - 1] if i else ""
            return (
                nxt in APPLE_SUFFIX
                or is_memory(nxt)
                or prev in APPLE_CONTEXT
                or prev in {"on", "my", "an", "a"}
            )
        return True

    def _read(self, tokens: list[str], i: int) -> tuple[GPUMention | None, set[int], str | None]:
        anchor = tokens[i]
        groups = [self.groups[g] for g in self.by_anchor[anchor]]
        # Tokens after the anchor that belong to GPU names (suffixes, variants) or are memory.
        j = i + 1
        after: list[str] = []
        memory: float | None = None
        while j < len(tokens) and j <= i + 4:
            t = tokens[j]
            if is_memory(t):
                memory = memory_gib(t)
            elif t in self.vocab and t not in self.by_anchor and t not in APPLE_CONTEXT:
                after.append(t)
            elif t in BRANDS or t in {"vram", "+"} or t in APPLE_CONTEXT:
                break
            else:
                break
            j += 1
        before: list[str] = []
        k = i - 1
        while k >= 0 and k >= i - 2 and tokens[k] in self.vocab and tokens[k] not in self.by_anchor:
            if tokens[k] in _WORD_COUNT:
                break
            before.insert(0, tokens[k])
            k -= 1
        wanted = (set(before) | set(after)) - BRANDS
        best: GPUGroup | None = None
        best_key: tuple[int, int] | None = None
        for g in groups:
            core = _core(g)
            if wanted - core - _variant_tokens(g) - g.tokens:
                continue  # the user wrote a word this product does not have
            key = (len(core & wanted), -len(core - wanted - {anchor}))
            if best_key is None or key > best_key:
                best, best_key = g, key
        if best is None:
            return None, set(), f"No GPU named {' '.join([*before, anchor, *after])!r} in the catalog."
        entry, notes = _pick_variant(best, memory, wanted)
        count, count_pos = _count_before(tokens, k + 1)
        if count is None:
            count, count_pos = _count_after(tokens, j)
        used = set(range(k + 1, j)) | count_pos
        return GPUMention(entry, count or 1, (min(used), max(used)), tuple(notes)), used, None

    # ----- names ---------------------------------------------------------------------------

    def resolve_name(self, text: str) -> tuple[GPUMention | None, list[str]]:
        """A single GPU from a name (the /gpu option or --gpu flag)."""
        mentions, notes, _ = self.find(text)
        if mentions:
            return mentions[0], notes
        return None, notes

    def suggest(self, text: str, limit: int = 5) -> list[str]:
        names = sorted({g.default.name for g in self.groups.values()})
        return [n for n, _, _ in process.extract(text, names, scorer=fuzz.WRatio, limit=limit)]


def e_tokens(e: GPUEntry) -> set[str]:
    """An entry's own name words, without brands and memory sizes."""
    toks = set(_fold(tokenize(e.name))) | set(_fold(tokenize(e.id)))
    return {t for t in toks - BRANDS if not is_memory(t) and t != "gb"}


def _core(group: GPUGroup) -> set[str]:
    """Words every variant of a product has: the product's name."""
    return set.intersection(*(e_tokens(e) for e in group.entries))


def _fold(tokens: list[str]) -> list[str]:
    return [SYNONYMS.get(t, t) for t in tokens]


def _group_anchors(name: str, entries: list[GPUEntry]) -> set[str]:
    """Model codes of a product: tokens with a digit that are not memory sizes or tiny numbers."""
    anchors: set[str] = set()
    for e in entries:
        for n in (e.name, *e.aliases, name):
            for t in _fold(tokenize(n)):
                if any(c.isdigit() for c in t) and not is_memory(t) and not (t.isdigit() and len(t) < 3):
                    anchors.add(t)
    for word in ("spark", "halo", "thor", "orin", "titan"):
        if any(word in tokenize(n) for e in entries for n in (e.name, *e.aliases)):
            anchors.add(word)
    return anchors


def _with_memory(e: GPUEntry) -> str:
    return e.name if f"{e.memory_gib:g} GB" in e.name else f"{e.name} ({e.memory_gib:g} GB)"


def _base_name(group: GPUGroup) -> str:
    return re.sub(r"\s*\(?\d+(\.\d+)? GB\)?", "", group.default.name).strip()


def _pick_variant(group: GPUGroup, memory: float | None, wanted: set[str]) -> tuple[GPUEntry, list[str]]:
    entries = group.entries
    by_tokens = [e for e in entries if (wanted & _variant_tokens(group)) <= e_tokens(e)]
    if by_tokens:
        entries = by_tokens
    notes: list[str] = []
    if memory is not None:
        exact = [e for e in entries if abs(e.memory_gib - memory) < 0.5]
        if exact:

            def rank(e: GPUEntry) -> tuple[bool, bool, int]:
                said = any(
                    {t for t in tokenize(a) if not is_memory(t)} - BRANDS <= wanted | _core(group)
                    and any(is_memory(t) for t in tokenize(a))
                    for a in e.aliases
                )
                return (not said, not e.default, len(e_tokens(e)))

            return min(exact, key=rank), notes
        sizes = ", ".join(f"{e.memory_gib:g} GB" for e in sorted(entries, key=lambda e: e.memory_gib))
        notes.append(f"No {_base_name(group)} with {memory:g} GB; it comes with {sizes}.")
    chosen = group.default if group.default in entries else entries[0]
    others = [e for e in group.entries if e is not chosen]
    if others and memory is None and not wanted & _variant_tokens(group):
        alts = ", ".join(_with_memory(e) for e in others)
        notes.append(f"Assumed the {_with_memory(chosen)}; also exists: {alts}.")
    return chosen, notes


def _variant_tokens(group: GPUGroup) -> set[str]:
    """Tokens that differ between a group's variants (pcie, sxm, nvl...)."""
    sets = [e_tokens(e) for e in group.entries]
    return set().union(*sets) - set.intersection(*sets)


_WORD_COUNT = {
    "dual": 2,
    "two": 2,
    "twin": 2,
    "pair": 2,
    "triple": 3,
    "three": 3,
    "quad": 4,
    "four": 4,
    "six": 6,
    "eight": 8,
}


def _count_before(tokens: list[str], start: int) -> tuple[int | None, set[int]]:
    """ "2x 3090", "2 x 3090", "dual 3090", "2 3090s"."""
    k = start - 1
    if k < 0:
        return None, set()
    t = tokens[k]
    if re.fullmatch(r"\d{1,2}x", t):
        return int(t[:-1]), {k}
    if t == "x" and k >= 1 and tokens[k - 1].isdigit() and len(tokens[k - 1]) <= 2:
        return int(tokens[k - 1]), {k - 1, k}
    if t in _WORD_COUNT:
        return _WORD_COUNT[t], {k}
    if t.isdigit() and 1 <= int(t) <= 16:
        return int(t), {k}
    return None, set()


def _count_after(tokens: list[str], j: int) -> tuple[int | None, set[int]]:
    """ "3090 x2", "3090 x 2"."""
    if j < len(tokens) and re.fullmatch(r"x\d{1,2}", tokens[j]):
        return int(tokens[j][1:]), {j}
    if j + 1 < len(tokens) and tokens[j] == "x" and tokens[j + 1].isdigit() and len(tokens[j + 1]) <= 2:
        return int(tokens[j + 1]), {j, j + 1}
    return None, set()
