"""Rough tokens per second, from the roofline: decode reads every active weight and the KV once
per token (memory-bound), prompt processing does 2 FLOPs per active parameter (compute-bound).
The efficiency factors in ``constants`` are what published benchmarks reach (docs/accuracy.md)."""

from __future__ import annotations

from fitmygpu.architecture import Architecture
from fitmygpu.estimator.constants import (
    DECODE_EFFICIENCY,
    PROMPT_EFFICIENCY,
    SYSTEM_RAM_BANDWIDTH_GBS,
)
from fitmygpu.estimator.types import Device


def decode_rate(parts: list[tuple[int, Device | None]], efficiency: float | None = None) -> float | None:
    """Tokens/s when each part's bytes are read from its device in turn (``None`` = system RAM)."""
    seconds = 0.0
    for nbytes, dev in parts:
        if nbytes <= 0:
            continue
        if dev is None:
            bw, eff = SYSTEM_RAM_BANDWIDTH_GBS, DECODE_EFFICIENCY["cuda"]
        else:
            if dev.bandwidth_gbs is None:
                return None
            bw, eff = dev.bandwidth_gbs, DECODE_EFFICIENCY[dev.backend.value]
        seconds += nbytes / (bw * 1e9 * (efficiency or eff))
    return round(1 / seconds, 1) if seconds else None


def prompt_rate(arch: Architecture, devices: list[Device]) -> float | None:
    """Prompt tokens/s on the GPUs that hold the model (layers run one device after another)."""
    if not devices or any(d.fp16_tflops is None for d in devices):
        return None
    flops_per_token = 2 * arch.active_params
    share = 1 / len(devices)
    seconds = sum(
        share * flops_per_token / (d.fp16_tflops * 1e12 * PROMPT_EFFICIENCY[d.backend.value])  # type: ignore[operator]
        for d in devices
    )
    return round(1 / seconds, 0)


def active_fraction_bytes(layer_bytes: int, expert_bytes: int, arch: Architecture) -> int:
    """Bytes of one layer read per token: all of it, except only k of E routed experts."""
    m = arch.moe
    if m is None or not expert_bytes:
        return layer_bytes
    return layer_bytes - expert_bytes + expert_bytes * m.experts_per_token // m.num_experts
