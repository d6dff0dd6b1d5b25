"""The speed roofline in fitmygpu/estimator/speed.py, checked against hand-written formulas.

Expected values are written out from the formula with the efficiency factors typed in here (the
values derived in docs/speed.md), not read back from the code. One test ties those factors to the
published-benchmark medians that benchmarks/speed_factors.py computes.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from fitmygpu.architecture import Architecture, MoE
from fitmygpu.estimator import constants as K
from fitmygpu.estimator.speed import active_fraction_bytes, decode_rate, prompt_rate
from fitmygpu.estimator.types import Backend, Device

GIB = 1024**3

# docs/speed.md, "Chosen factors".
DECODE = {"cuda": 0.70, "rocm": 0.72, "metal": 0.73, "sycl": 0.43}
PROMPT = {"cuda": 0.91, "rocm": 0.34, "metal": 0.45, "sycl": 0.30}
VLLM = 0.77
RAM_GBS = 76.8  # 2 channels x 8 bytes x 4800 MT/s


def dev(bw: float | None = 1000.0, tflops: float | None = 100.0, backend: Backend = Backend.CUDA) -> Device:
    return Device(name="d", memory_bytes=24 * GIB, bandwidth_gbs=bw, fp16_tflops=tflops, backend=backend)


def test_constants_are_the_documented_factors() -> None:
    assert K.DECODE_EFFICIENCY == DECODE
    assert K.PROMPT_EFFICIENCY == PROMPT
    assert K.VLLM_DECODE_EFFICIENCY == VLLM
    assert K.SYSTEM_RAM_BANDWIDTH_GBS == RAM_GBS


def test_constants_match_the_published_benchmark_medians(monkeypatch: pytest.MonkeyPatch) -> None:
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "speed_factors.py"
    spec = importlib.util.spec_from_file_location("speed_factors", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, mod)  # dataclasses resolve annotations through it
    spec.loader.exec_module(mod)
    m = mod.medians()
    for b in ("cuda", "rocm", "metal", "sycl"):
        assert m[b]["decode"][0] == DECODE[b]
    assert m["vllm"]["decode"][0] == VLLM
    for b in ("cuda", "rocm", "sycl"):
        assert m[b]["prompt"][0] == PROMPT[b]
    # No Apple chip has catalog TFLOPS, so metal's prompt factor is not derived (kept at 0.45).
    assert m["metal"]["prompt"] == (None, 0)


@pytest.mark.parametrize("backend", list(Backend))
def test_decode_single_device_is_efficiency_times_bandwidth_over_bytes(backend: Backend) -> None:
    nbytes = 4 * GIB
    expected = DECODE[backend.value] * 1000e9 / nbytes
    assert decode_rate([(nbytes, dev(1000.0, backend=backend))]) == round(expected, 1)


def test_decode_rtx_4090_llama2_7b_q4_0() -> None:
    # 1008 GB/s x 0.70 / 3.56 GiB = 184.6 tok/s; llama.cpp #15013 measured 189.0.
    nbytes = int(3.56 * GIB)
    assert decode_rate([(nbytes, dev(1008.0))]) == round(0.70 * 1008e9 / nbytes, 1)
    assert decode_rate([(nbytes, dev(1008.0))]) == pytest.approx(184.6, abs=0.1)


def test_decode_efficiency_override_is_used_for_vllm() -> None:
    nbytes = 16 * GIB
    assert decode_rate([(nbytes, dev(1555.0))], VLLM) == round(VLLM * 1555e9 / nbytes, 1)


def test_system_ram_part_uses_system_ram_bandwidth() -> None:
    nbytes = 2 * GIB
    # speed.py reads RAM at the CUDA decode factor (no separate CPU factor was derived).
    assert decode_rate([(nbytes, None)]) == round(DECODE["cuda"] * RAM_GBS * 1e9 / nbytes, 1)


def test_partial_offload_adds_the_time_of_each_part() -> None:
    gpu_bytes, ram_bytes = 6 * GIB, 2 * GIB
    seconds = gpu_bytes / (DECODE["rocm"] * 960e9) + ram_bytes / (DECODE["cuda"] * RAM_GBS * 1e9)
    parts = [(gpu_bytes, dev(960.0, backend=Backend.ROCM)), (ram_bytes, None)]
    assert decode_rate(parts) == round(1 / seconds, 1)
    # The RAM part dominates: far slower than the GPU alone.
    assert decode_rate(parts) < decode_rate(parts[:1]) / 3


def test_layer_split_over_two_gpus_is_sequential() -> None:
    a, b = 10 * GIB, 5 * GIB
    seconds = a / (0.70 * 1008e9) + b / (0.70 * 936.2e9)
    assert decode_rate([(a, dev(1008.0)), (b, dev(936.2))]) == round(1 / seconds, 1)


def test_decode_unknown_bandwidth_or_nothing_to_read() -> None:
    assert decode_rate([(GIB, dev(None))]) is None
    assert decode_rate([(0, dev(1000.0))]) is None
    assert decode_rate([]) is None


def moe_arch() -> Architecture:
    # 2 layers, 8 experts of width 128 on hidden 256, 2 routed per token.
    return Architecture(
        family="qwen3_moe",
        vocab_size=1000,
        hidden_size=256,
        intermediate_size=0,
        num_layers=2,
        num_attention_heads=4,
        num_kv_heads=2,
        moe=MoE(num_experts=8, experts_per_token=2, expert_intermediate_size=128),
    )


def test_moe_reads_only_the_active_experts() -> None:
    layer, experts = 10_000_000, 8_000_000
    # Non-expert bytes + k/E of the expert bytes: 2 MB + 2/8 x 8 MB.
    assert active_fraction_bytes(layer, experts, moe_arch()) == 2_000_000 + 2_000_000


def test_dense_or_expertless_layers_are_read_whole(llama3_8b: Architecture) -> None:
    assert active_fraction_bytes(10_000, 6_000, llama3_8b) == 10_000
    assert active_fraction_bytes(10_000, 0, moe_arch()) == 10_000


def test_prompt_rate_single_gpu(llama3_8b: Architecture) -> None:
    params = 8_030_261_248  # Meta-Llama-3-8B
    assert llama3_8b.active_params == params
    expected = PROMPT["cuda"] * 165.2e12 / (2 * params)
    assert prompt_rate(llama3_8b, [dev(tflops=165.2)]) == round(expected, 0)


def test_prompt_rate_splits_layers_over_gpus(llama3_8b: Architecture) -> None:
    flops = 2 * 8_030_261_248
    seconds = 0.5 * flops / (165.2e12 * PROMPT["cuda"]) + 0.5 * flops / (122.8e12 * PROMPT["rocm"])
    devices = [dev(tflops=165.2), dev(tflops=122.8, backend=Backend.ROCM)]
    assert prompt_rate(llama3_8b, devices) == round(1 / seconds, 0)


def test_prompt_rate_counts_only_active_moe_params() -> None:
    arch = moe_arch()
    # Per layer the experts hold 8 x 3 x 256 x 128 weights; 6 of the 8 are idle for a token.
    idle = 2 * 6 * 3 * 256 * 128
    assert arch.active_params == arch.total_params - idle
    expected = PROMPT["metal"] * 10e12 / (2 * (arch.total_params - idle))
    assert prompt_rate(arch, [dev(tflops=10.0, backend=Backend.METAL)]) == round(expected, 0)


def test_prompt_rate_needs_tflops_for_every_device(llama3_8b: Architecture) -> None:
    assert prompt_rate(llama3_8b, []) is None
    assert prompt_rate(llama3_8b, [dev(tflops=100.0), dev(tflops=None)]) is None
