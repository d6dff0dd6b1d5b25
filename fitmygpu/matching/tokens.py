"""Splitting names and questions into the tokens that decide a match.

Fuzzy string ratios alone make the classic mistakes ("7b" matching a 14B model, "3060" matching a
3060 Ti). So the tokenizer keeps the tokens that must agree exactly as whole units: parameter
sizes ("1.5b", "30b", "a3b", "8x7b", "e4b"), memory sizes ("12gb"), versions ("2.5", "v0.3") and
model numbers ("3060", "a100"), and splits glued words from numbers ("rtx3060" -> "rtx 3060",
"qwen2.5" -> "qwen 2.5") without breaking short codes like "r1", "k2" or "m3".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

SIZE_RE = re.compile(r"^(?:\d+x)?\d+(?:\.\d+)?[bmt]$|^[ae]\d+(?:\.\d+)?b$")
MEMORY_RE = re.compile(r"^\d+(?:\.\d+)?(?:gb|gib|g)$")
NUMBER_RE = re.compile(r"^\d+(?:\.\d+)?$")

_SEP = re.compile(r"[\s_/,;:()\[\]{}|\"'`*~!?<>=@#$%^&]+")
# "30b-a3b" / "17b-16e" keep their pieces; a hyphen elsewhere is a separator.
_HYPHEN = re.compile(r"-")
# Glued letters+digits: split when the letter run has 2+ letters ("rtx3060", "qwen2.5", "llama3").
# One product code, not word + number: Grace "gb10"/"gh200"/"gb200", AMD Instinct "mi50"/"mi300x".
_GRACE = re.compile(r"^(?:g[bh]\d{2,3}|mi\d{2,3}[a-z]?)$")
_WORD_NUM = re.compile(r"^([a-z]{2,})(\d+(?:\.\d+)?)([a-z]*)$")
# Digits glued to a word suffix of 2+ letters ("4060ti", "7900xtx", "3090s") but not sizes.
_NUM_WORD = re.compile(r"^(\d+(?:\.\d+)?)([a-z]{2,})$")
_SIZE_GLUE = re.compile(r"(\d+(?:\.\d+)?)\s+(b|m|gb)\b")
# "16 gig", "48gigs", "24 gigabytes" -> "16gb".
_GIGS = re.compile(r"(\d+(?:\.\d+)?)\s*(?:gigs?|gigabytes?|gbs)\b")
# "max+" / "r+" (a word glued to a plus) is the word "plus"; a free-standing "+" joins GPUs.
_WORD_PLUS = re.compile(r"(?<=[a-z])\+(?![a-z0-9])")
# Counts glued to a GPU: "2x3090", "8xh100" (but not sizes like "8x7b").
_COUNT_GLUE = re.compile(r"^(\d{1,2})x([a-z]{0,3}\d{2,5}[a-z]*)$")


_DASHES = re.compile(r"[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]")


def fold(text: str) -> str:
    """Lowercase ASCII, so accents, full-width digits and typographic dashes cannot defeat a
    match ("qwen3\u20118b" is "qwen3-8b", not "qwen38b")."""
    text = _DASHES.sub("-", text)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def tokenize(text: str) -> list[str]:
    """Tokens of a name or a question, in order."""
    t = fold(text)
    t = _WORD_PLUS.sub(" plus ", t)
    t = t.replace("+", " + ")
    t = _GIGS.sub(r"\1gb", t)
    t = _SIZE_GLUE.sub(r"\1\2", t)  # "7 b" -> "7b", "12 gb" -> "12gb"
    out: list[str] = []
    for raw in _SEP.split(_HYPHEN.sub(" ", t)):
        tok = raw.strip(".")
        if not tok:
            continue
        out.extend(_split_glued(tok))
    return out


@lru_cache(maxsize=16384)
def _split_glued(tok: str) -> tuple[str, ...]:
    if re.match(r"^\d{3,5}s$", tok):  # "3090s": a plural, not a size
        return (tok[:-1],)
    if SIZE_RE.match(tok) or MEMORY_RE.match(tok) or NUMBER_RE.match(tok):
        return (tok,)
    m = _COUNT_GLUE.match(tok)
    if m:
        return (m.group(1) + "x", *_split_glued(m.group(2)))
    if _GRACE.match(tok):
        return (tok,)
    m = _WORD_NUM.match(tok)
    if m:
        word, num, rest = m.groups()
        return (word, *(_split_glued(num + rest) if rest else (num,)))
    m = _NUM_WORD.match(tok)
    if m and not MEMORY_RE.match(tok):
        num, word = m.groups()
        if word in ("gb", "gib"):
            return (tok,)
        return (num, word)
    if "." in tok and not re.search(r"\d\.\d", tok):
        return tuple(p for p in tok.split(".") if p)
    return (tok,)


@lru_cache(maxsize=16384)
def is_size(tok: str) -> bool:
    return bool(SIZE_RE.match(tok))


@lru_cache(maxsize=16384)
def is_memory(tok: str) -> bool:
    return bool(MEMORY_RE.match(tok))


def memory_gib(tok: str) -> float:
    return float(re.match(r"\d+(?:\.\d+)?", tok).group())  # type: ignore[union-attr]


@lru_cache(maxsize=16384)
def is_number(tok: str) -> bool:
    return bool(NUMBER_RE.match(tok))


@dataclass(frozen=True, slots=True)
class Phrase:
    """A tokenized name with the tokens that must match exactly pulled out."""

    text: str
    tokens: tuple[str, ...]
    sizes: frozenset[str]
    numbers: frozenset[str]

    @classmethod
    def of(cls, text: str) -> Phrase:
        toks = tuple(tokenize(text))
        return cls(
            text=text,
            tokens=toks,
            sizes=frozenset(t for t in toks if is_size(t)),
            numbers=frozenset(t for t in toks if is_number(t)),
        )
