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
from functools import lru_cache

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
# Words in GPU names that say nothing about which product it is ("2 GPUs", "Tensor Core GPU").
NOISE = frozenset(
    [
        "gpus",
        "gpu",
        "per",
        "core",
        "tensor",
        "kit",
        "developer",
        "generation",
        "edition",
        "card",
        "cards",
        "graphics",
        "limited",
        "superchip",
        "hbm",
        "q",
        "gb",
    ]
)
# Words that may sit between a GPU and its memory size: "m4 pro mac mini with 48gb".
MEMORY_FILLER = frozenset(
    [
        "with",
        "w",
        "mac",
        "macbook",
        "mini",
        "studio",
        "air",
        "imac",
        "version",
        "variant",
        "model",
        "the",
        "a",
        "of",
        "unified",
        "has",
        "having",
        "and",
        "its",
    ]
)
# Product words that anchor a mention on their own (no model number in them).
WORD_ANCHORS = ("spark", "halo", "thor", "orin", "titan", "framework", "digits", "vii")
# No rig names more cards than this; a paste full of model numbers stops being scanned here.
MAX_ANCHORS = 16
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
    core: frozenset[str] | None = None  # computed once: words every variant has
    variant: frozenset[str] | None = None  # computed once: words that tell variants apart


@dataclass
class GPUIndex:
    gpus: dict[str, GPUEntry]
    groups: dict[str, GPUGroup] = field(default_factory=dict)
    by_anchor: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    vocab: frozenset[str] = frozenset()
    # (word, number) pairs that are model names, so "phi-4 4090" is one 4090, not four.
    count_blockers: frozenset[tuple[str, str]] = frozenset()

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
        small_numbers = {t for t in vocab if t.isdigit() and len(t) < 3}
        idx.vocab = frozenset(vocab - {"+"} - set(_WORD_COUNT) - APPLE_CONTEXT - NOISE - small_numbers)
        return idx

    # ----- scanning text -------------------------------------------------------------------

    def tokens(self, text: str) -> list[str]:
        """The tokens GPU scanning works on ("macbook pro" folded to "mac", "mobile" to "laptop");
        positions returned by :meth:`find_tokens` index this list."""
        return _fold(tokenize(_MAC_PHRASE.sub(" mac ", text.lower())))

    def find(self, text: str) -> tuple[list[GPUMention], list[str], set[int]]:
        """GPU mentions in ``text``, notes, and the token positions they used."""
        return self.find_tokens(self.tokens(text))

    def find_tokens(self, tokens: list[str]) -> tuple[list[GPUMention], list[str], set[int]]:
        # Plurals of model codes: "a100s", "h100s", "b580s" (but "l40s" is a product of its own).
        tokens = [
            t[:-1] if t.endswith("s") and t not in self.by_anchor and t[:-1] in self.by_anchor else t
            for t in tokens
        ]
        mentions: list[GPUMention] = []
        notes: list[str] = []
        used: set[int] = set()
        attempts = 0
        i = 0
        while i < len(tokens) and attempts < MAX_ANCHORS:
            tok = tokens[i]
            if tok in self.by_anchor and i not in used and self._is_gpu_anchor(tokens, i):
                attempts += 1
                m, span_used, note = self._read(tokens, i)
                if m is not None:
                    prev = mentions[-1] if mentions else None
                    if (
                        prev
                        and prev.entry.id == m.entry.id
                        and m.span[0] - prev.span[1] <= 1
                        and m.count == 1
                    ):
                        # "Jetson AGX Thor (T5000)": two names of one card, not two cards
                        mentions[-1] = GPUMention(
                            prev.entry, prev.count, (prev.span[0], m.span[1]), prev.notes
                        )
                    else:
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
                or nxt in APPLE_CONTEXT
                or prev in APPLE_CONTEXT
                or prev in {"on", "my", "an", "a"}
            )
        if tok == "vii":  # "Radeon VII", not "Final Fantasy VII"
            return i > 0 and tokens[i - 1] in {"radeon", "amd"}
        return True

    def _read(self, tokens: list[str], i: int) -> tuple[GPUMention | None, set[int], str | None]:
        anchor = tokens[i]
        groups = [self.groups[g] for g in self.by_anchor[anchor]]
        # "sxm 2", "dual": words of this product's names (not the Mac around an Apple chip)
        own = frozenset().union(*(g.tokens for g in groups)) - APPLE_CONTEXT
        # After the anchor: suffixes and variant words of GPU names, and a memory size.
        after: list[tuple[int, str]] = []
        j = i + 1
        while j < len(tokens) and j <= i + 5:
            t = tokens[j]
            name_word = (t in self.vocab or t in own or t in NOISE) and t not in self.by_anchor
            if not (is_memory(t) or name_word):
                break
            after.append((j, t))
            j += 1
        # Before it: product words ("rtx pro", "radeon ai pro", "jetson agx").
        before: list[tuple[int, str]] = []
        k = i - 1
        while k >= 0 and k >= i - 4 and tokens[k] in self.vocab and tokens[k] not in self.by_anchor:
            before.insert(0, (k, tokens[k]))
            k -= 1
        # The longest reading some product accepts: words next to a GPU may belong to the
        # sentence instead ("phi-4 reasoning plus 4090", "a 3090 plus a 3060").
        words_after = [p for p, t in after if not is_memory(t)]
        for n_after in range(len(words_after), -1, -1):
            end = words_after[n_after] if n_after < len(words_after) else j
            for n_before in range(len(before), -1, -1):
                kept_before = before[len(before) - n_before :]
                got = self._try(tokens, i, groups, kept_before, [a for a in after if a[0] < end], end)
                if got is not None:
                    return got, set(range(got.span[0], got.span[1] + 1)), None
        said = " ".join([*(t for _, t in before), anchor, *(t for _, t in after)])
        return None, set(), f"No GPU named {said!r} in the catalog."

    def _try(
        self,
        tokens: list[str],
        i: int,
        groups: list[GPUGroup],
        before: list[tuple[int, str]],
        after: list[tuple[int, str]],
        end: int,
    ) -> GPUMention | None:
        anchor = tokens[i]
        memory = next((memory_gib(t) for _, t in after if is_memory(t)), None)
        if memory is None and end == (after[-1][0] + 1 if after else i + 1):
            # "m4 pro mac mini with 48gb", "3060 with the 8gb": a memory size a few words on.
            m = end
            while m < len(tokens) and m <= end + 4 and tokens[m] in MEMORY_FILLER:
                m += 1
            if m < len(tokens) and is_memory(tokens[m]):
                memory = memory_gib(tokens[m])
                end = m + 1
        k = before[0][0] - 1 if before else i - 1
        # "nvidia geforce rtx 4090", "mac studio m3 ultra": part of the mention
        apple = bool(APPLE_CHIP.match(anchor))
        while k >= 0 and (tokens[k] in BRANDS or (apple and tokens[k] in APPLE_CONTEXT)):
            k -= 1
        if memory is None and k >= 0 and is_memory(tokens[k]):  # "my 16gb 4060 ti"
            memory = memory_gib(tokens[k])
            k -= 1
        start = k + 1
        wanted = ({t for _, t in before} | {t for _, t in after if not is_memory(t)}) - BRANDS - NOISE
        best: GPUGroup | None = None
        best_key: tuple[int, int, int] | None = None
        for g in groups:
            core = _core(g)
            if wanted - core - _variant_tokens(g) - g.tokens:
                continue  # the user wrote a word this product does not have
            has_memory = memory is not None and any(abs(e.memory_gib - memory) < 0.5 for e in g.entries)
            key = (int(has_memory), len(core & wanted), -len(core - wanted - {anchor}))
            if best_key is None or key > best_key:
                best, best_key = g, key
        if best is None:
            return None
        entry, notes = _pick_variant(best, memory, wanted)
        count, count_pos = count_before(tokens, start, self.count_blockers)
        if count is None:
            count, count_pos = _count_after(tokens, end)
        positions = set(range(start, end)) | count_pos
        return GPUMention(entry, count or 1, (min(positions), max(positions)), tuple(notes))

    # ----- names ---------------------------------------------------------------------------

    def suggest(self, text: str, limit: int = 5) -> list[str]:
        """Names to offer when ``text`` named no catalog GPU: close spellings when there are
        any, otherwise the cards people ask about most (a toaster resembles no GPU)."""
        names = sorted({g.default.name for g in self.groups.values()})
        hits = process.extract(text[:100], names, scorer=fuzz.WRatio, limit=limit, score_cutoff=62)
        if hits:
            return [n for n, _, _ in hits]
        return [self.gpus[i].name for i in POPULAR if i in self.gpus][:limit]


# Offered when a GPU name resembles nothing in the catalog.
POPULAR = (
    "nvidia-rtx-3060-12gb",
    "nvidia-rtx-4060-ti-16gb",
    "nvidia-rtx-3090",
    "nvidia-rtx-4090",
    "nvidia-rtx-5090",
    "amd-rx-7900-xtx",
    "m4-pro-24gb",
)


def e_tokens(e: GPUEntry) -> frozenset[str]:
    """An entry's own name words (name, id and aliases), without brands and memory sizes. Apple
    aliases only wrap the chip in a Mac ("macbook air m2 8gb"), so they are left out there."""
    aliases = () if e.vendor.value == "Apple" else e.aliases
    return _name_words((e.name, e.id, *aliases))


@lru_cache(maxsize=4096)
def _name_words(names: tuple[str, ...]) -> frozenset[str]:
    toks = {t for n in names for t in _fold(tokenize(n))}
    return frozenset(t for t in toks - BRANDS - NOISE if not is_memory(t))


@lru_cache(maxsize=8192)
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(tokenize(text))


def _core(group: GPUGroup) -> frozenset[str]:
    """Words every variant of a product has: the product's name."""
    if group.core is None:
        group.core = frozenset.intersection(*(e_tokens(e) for e in group.entries))
    return group.core


def _fold(tokens: list[str]) -> list[str]:
    return [SYNONYMS.get(t, t) for t in tokens]


def _group_anchors(name: str, entries: list[GPUEntry]) -> set[str]:
    """Model codes of a product: tokens with a digit that are not memory sizes or tiny numbers."""
    anchors: set[str] = set()
    for e in entries:
        for n in (e.name, *e.aliases, name):
            for t in _fold(tokenize(n)):
                digits = sum(c.isdigit() for c in t)
                code = digits >= 2 or (digits == 1 and t[0].isalpha())  # "3090", "t4"; not "3e"
                if code and not is_memory(t) and not (t.isdigit() and len(t) < 3):
                    anchors.add(t)
    for word in WORD_ANCHORS:
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
                    {t for t in _tokens(a) if not is_memory(t)} - BRANDS <= wanted | _core(group)
                    and any(is_memory(t) for t in _tokens(a))
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


def _variant_tokens(group: GPUGroup) -> frozenset[str]:
    """Tokens that differ between a group's variants (pcie, sxm, nvl...)."""
    if group.variant is None:
        sets = [e_tokens(e) for e in group.entries]
        group.variant = frozenset().union(*sets) - frozenset.intersection(*sets)
    return group.variant


_WORD_COUNT = {
    "dual": 2,
    "two": 2,
    "pair": 2,
    "five": 5,
    "seven": 7,
    "sixteen": 16,
    "twin": 2,
    "triple": 3,
    "three": 3,
    "quad": 4,
    "four": 4,
    "six": 6,
    "eight": 8,
}


def count_before(
    tokens: list[str], start: int, blockers: frozenset[tuple[str, str]] = frozenset(), bare: bool = True
) -> tuple[int | None, set[int]]:
    """ "2x 3090", "2 x 3090", "dual 3090", "2 3090s", "a pair of 3090s" (``bare``: whether a
    plain number counts, as it does before a card but not before a memory size)."""
    k = start - 1
    if k < 0:
        return None, set()
    t = tokens[k]
    if t == "of" and k >= 1 and tokens[k - 1] in ("pair", "couple"):
        return 2, {k - 1, k}
    if re.fullmatch(r"\d{1,2}x", t):
        return int(t[:-1]), {k}
    if t == "x" and k >= 1 and tokens[k - 1].isdigit() and len(tokens[k - 1]) <= 2:
        return int(tokens[k - 1]), {k - 1, k}
    if t in _WORD_COUNT:
        return _WORD_COUNT[t], {k}
    prev = tokens[k - 1] if k >= 1 else ""
    if bare and t.isdigit() and 1 <= int(t) <= 16 and (prev, t) not in blockers and prev not in APPLE_CONTEXT:
        return int(t), {k}  # not "phi-4 4090" (a model) or "macbook pro 14 m3" (a screen size)
    return None, set()


def _count_after(tokens: list[str], j: int) -> tuple[int | None, set[int]]:
    """ "3090 x2", "3090 x 2"."""
    if j < len(tokens) and re.fullmatch(r"x\d{1,2}", tokens[j]):
        return int(tokens[j][1:]), {j}
    if j + 1 < len(tokens) and tokens[j] == "x" and tokens[j + 1].isdigit() and len(tokens[j + 1]) <= 2:
        return int(tokens[j + 1]), {j, j + 1}
    return None, set()
