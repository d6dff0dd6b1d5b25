"""Small text helpers shared by every surface (terminal, Discord, charts, autocomplete)."""

from __future__ import annotations

ELLIPSIS = "…"


def clip(text: str | None, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in an ellipsis when cut."""
    text = text or ""
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + ELLIPSIS
