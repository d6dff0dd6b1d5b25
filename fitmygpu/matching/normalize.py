"""One normal form for names, so "RTX-3060", "rtx3060" and "RTX 3060" compare equal."""

from __future__ import annotations

import re
import unicodedata

_SEP = re.compile(r"[\s_\-/,:;()\[\]{}|\"'`*~]+")
_LETTER_DIGIT = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")


def normalize_name(text: str) -> str:
    """Lowercase, ASCII-folded, separators collapsed, letters split from digits ("rtx3060" -> "rtx 3060").

    Decimal points inside numbers are kept ("qwen2.5" -> "qwen 2.5") because "2.5" and "25" are
    different models.
    """
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    t = _SEP.sub(" ", t)
    t = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", t)  # dots that are not decimal points
    t = _LETTER_DIGIT.sub(" ", t)
    return " ".join(t.split())
