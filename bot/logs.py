"""Logging for operators: one stream (stderr), text or JSON lines, and secrets scrubbed.

Why a redacting formatter rather than "be careful": exception messages and third-party log lines
can carry anything, including an ``Authorization`` header or a token in a URL. Every record passes
through :class:`RedactingFormatter`, which replaces each registered secret before it is written.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime

REDACTED = "[redacted]"
# LogRecord attributes that are not user-supplied ``extra=`` fields.
_STANDARD = set(vars(logging.LogRecord("x", 0, "x", 0, "x", None, None))) | {"message", "asctime"}


class RedactingFormatter(logging.Formatter):
    """Formats a record, then replaces every secret it was given."""

    def __init__(self, secrets: Iterable[str] = (), fmt: str | None = None) -> None:
        super().__init__(fmt)
        self.secrets = [s for s in secrets if s and len(s) >= 8]

    def scrub(self, text: str) -> str:
        for s in self.secrets:
            text = text.replace(s, REDACTED)
        return text

    def format(self, record: logging.LogRecord) -> str:
        return self.scrub(super().format(record))


class JSONFormatter(RedactingFormatter):
    """One JSON object per line: time, level, logger, message, extras, exception text."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                doc[key] = value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return self.scrub(json.dumps(doc, ensure_ascii=False))


TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def configure_logging(level: str, fmt: str = "text", secrets: Iterable[str] = ()) -> logging.Handler:
    """Route all logging (ours and discord.py's) to stderr; returns the handler for tests."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JSONFormatter(secrets) if fmt == "json" else RedactingFormatter(secrets, TEXT_FORMAT)
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # discord.py's HTTP debug lines are noise even at DEBUG for an operator.
    logging.getLogger("discord.http").setLevel(max(logging.INFO, logging.getLevelName(level)))
    return handler
