"""Shared fixtures: the bundled catalog (loaded once) and small hand-built architectures."""

from __future__ import annotations

import pytest

from fitmygpu.architecture import Architecture
from fitmygpu.catalog.loader import Catalog, load_catalog
from fitmygpu.estimator.types import Device, Setup

GIB = 1024**3
MIB = 1024**2


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def llama3_8b() -> Architecture:
    # meta-llama/Meta-Llama-3-8B config.json: vocab 128256, hidden 4096, intermediate 14336,
    # 32 layers, 32 heads, 8 KV heads, untied embeddings.
    return Architecture(
        family="llama",
        vocab_size=128256,
        hidden_size=4096,
        intermediate_size=14336,
        num_layers=32,
        num_attention_heads=32,
        num_kv_heads=8,
    )


@pytest.fixture
def qwen2_1_5b() -> Architecture:
    # deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B config.json.
    return Architecture(
        family="qwen2",
        vocab_size=151936,
        hidden_size=1536,
        intermediate_size=8960,
        num_layers=28,
        num_attention_heads=12,
        num_kv_heads=2,
        attention_bias=True,
    )


def gpu(gib: float, name: str = "test GPU", **kw) -> Setup:
    return Setup(devices=(Device(name=name, memory_bytes=int(gib * GIB), **kw),))
