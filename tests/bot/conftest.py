"""Fixtures for the bot's unit tests: one name lookup over the bundled catalog, built once."""

from __future__ import annotations

import pytest

from bot.lookup import Lookup
from fitmygpu.catalog.loader import Catalog


@pytest.fixture(scope="session")
def lookup(catalog: Catalog) -> Lookup:
    return Lookup(catalog)
