"""End-to-end estimates: breakdowns add up, verdict bands, offload, vLLM budget, Apple limits."""

from __future__ import annotations

import pytest

from fitmygpu.estimator.constants import GIB, LLAMA_CPP_CUDA_RESERVE, MIB
from fitmygpu.estimator.core import EstimateError, all_on_gpus, apple_working_set, estimate, max_context
from fitmygpu.estimator.types import Backend, Device, Options, Runtime, Setup, Verdict
from fitmygpu.quant.formats import weight_plan

from .conftest import gpu


def test_llama3_8b_compute_buffer_matches_log(llama3_8b):
    # Logged: "CUDA0 compute buffer size = 258.50 MiB" for Llama-3-8B, ub 512, n_ctx 512, no FA:
    # logits 128256 x 512 x 4 B = 250.5 MiB plus the 512 x 4096 f32 hidden state = 8 MiB.
    e = estimate(llama3_8b, Options(quant="Q4_K_M", context=512, flash_attn=False), gpu(24))
    assert e.compute_bytes == int(258.5 * MIB)


def test_breakdown_adds_up_and_embeddings_stay_on_cpu(llama3_8b):
    e = estimate(llama3_8b, Options(quant="Q4_K_M", context=8192), gpu(24))
    plan = weight_plan(llama3_8b, "Q4_K_M")
    # llama.cpp keeps token_embd on the CPU; the GPU holds everything else.
    assert e.weights_bytes == plan.total_bytes - plan.token_embd_bytes
    # 32 layers x 8 KV heads x 128 x 2 x 2 bytes x 8192 = 1 GiB.
    assert e.kv_bytes == GIB
    assert e.reserve_bytes == LLAMA_CPP_CUDA_RESERVE
    assert e.total_bytes == e.weights_bytes + e.kv_bytes + e.compute_bytes + e.reserve_bytes
    assert e.usable_bytes == 24 * GIB
    assert e.verdict == Verdict.FITS


def test_tight_band(llama3_8b):
    base = estimate(llama3_8b, Options(quant="Q4_K_M", context=8192), gpu(24)).total_bytes
    # Usable just 5% above the need: fits, but with under 10% to spare.
    e = estimate(llama3_8b, Options(quant="Q4_K_M", context=8192), gpu(base * 1.05 / GIB))
    assert e.verdict == Verdict.TIGHT
    e = estimate(llama3_8b, Options(quant="Q4_K_M", context=8192), gpu(base * 0.95 / GIB))
    assert e.verdict != Verdict.FITS


def test_partial_offload_with_ram(llama3_8b):
    setup = Setup(devices=gpu(6).devices, system_ram_bytes=32 * GIB)
    e = estimate(llama3_8b, Options(quant="Q8_0", context=8192), setup)
    assert e.verdict == Verdict.OFFLOAD
    assert e.offload is not None and 0 < e.offload.gpu_layers < 32
    assert e.total_bytes <= e.usable_bytes
    assert e.offload.fits_ram is True
    # The row also says what everything on the GPU would need: more than the card has.
    full = all_on_gpus(llama3_8b, Options(quant="Q8_0", context=8192), setup)
    assert e.need_bytes == sum(d.total_bytes for d in full) > e.usable_bytes
    # The largest -ngl that fits: the headroom left is smaller than one more layer with its KV.
    one_layer = weight_plan(llama3_8b, "Q8_0").layer_bytes[0] + e.kv_bytes // e.offload.gpu_layers
    assert 0 <= e.headroom_bytes < one_layer


def test_offload_without_enough_ram(llama3_8b):
    setup = Setup(devices=gpu(2).devices, system_ram_bytes=2 * GIB)
    assert estimate(llama3_8b, Options(quant="Q8_0", context=8192), setup).verdict == Verdict.NO_FIT


def test_max_context_is_the_edge(qwen2_1_5b):
    setup = gpu(4)
    opts = Options(quant="BF16")
    mc = max_context(qwen2_1_5b, opts, setup, 131072)
    assert mc is not None and mc < 131072
    assert estimate(qwen2_1_5b, opts.model_copy(update={"context": mc}), setup).verdict in (
        Verdict.FITS,
        Verdict.TIGHT,
    )
    assert estimate(qwen2_1_5b, opts.model_copy(update={"context": mc + 256}), setup).verdict not in (
        Verdict.FITS,
        Verdict.TIGHT,
    )


def test_apple_working_set():
    # About 2/3 of RAM up to 36 GB, 3/4 above (recommendedMaxWorkingSetSize).
    assert apple_working_set(24 * GIB) == 16 * GIB
    assert apple_working_set(64 * GIB) == 48 * GIB


def test_mlx_needs_apple(qwen2_1_5b):
    with pytest.raises(EstimateError, match="Apple"):
        estimate(qwen2_1_5b, Options(runtime=Runtime.MLX, quant="MLX-4BIT"), gpu(24))
    mac = Setup(devices=(Device(name="M2", memory_bytes=16 * GIB, backend=Backend.METAL, unified=True),))
    e = estimate(qwen2_1_5b, Options(runtime=Runtime.MLX, quant="MLX-4BIT", context=8192), mac)
    assert e.usable_bytes == apple_working_set(16 * GIB)


def test_vllm_budget_and_concurrency(qwen2_1_5b):
    setup = gpu(24)
    e = estimate(qwen2_1_5b, Options(runtime=Runtime.VLLM, quant="BF16", context=32768), setup)
    usable = int(24 * GIB * 0.9)
    assert e.usable_bytes == usable
    # One 32K request: 28 layers x 2 heads x 128 x 2 x 2 bytes x 32768 tokens (2048 blocks of 16).
    per_request = 28 * 2 * 128 * 2 * 2 * 32768
    assert e.kv_bytes == per_request
    pool = usable - e.weights_bytes - e.compute_bytes
    assert e.max_concurrency == pool // per_request


def test_vllm_heads_must_divide(qwen2_1_5b):
    setup = Setup(devices=gpu(24).devices * 8)  # 12 heads do not split 8 ways
    e = estimate(qwen2_1_5b, Options(runtime=Runtime.VLLM, quant="BF16"), setup)
    assert e.verdict == Verdict.NO_FIT
    assert any("divide" in n for n in e.notes)


def test_gguf_runtime_rejects_awq(qwen2_1_5b):
    with pytest.raises(EstimateError, match="GGUF"):
        estimate(qwen2_1_5b, Options(quant="AWQ"), gpu(24))


def test_two_gpus_split_layers(llama3_8b):
    setup = Setup(devices=gpu(24).devices + gpu(12).devices)
    e = estimate(llama3_8b, Options(quant="Q4_K_M", context=8192), setup)
    a, b = e.devices
    # Layers split in proportion to memory: 24:12 of 32 layers.
    assert (a.layers, b.layers) == (21, 11) or (a.layers, b.layers) == (22, 10)
    assert a.layers + b.layers == 32
