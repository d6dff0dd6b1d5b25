"""End-to-end estimates: breakdowns add up, verdict bands, offload, vLLM budget, Apple limits."""

from __future__ import annotations

import pytest

from fitmygpu.estimator.constants import GIB, MIB
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
    # CUDA context as llama.cpp's breakdown reports it (PR #15860).
    assert e.reserve_bytes == 456 * MIB
    # Flash attention on: the logits phase is the peak, 128256 x 512 x 4 B + 512 x 4096 x 4 B.
    assert e.compute_bytes == int(258.5 * MIB)
    assert e.total_bytes == plan.total_bytes - plan.token_embd_bytes + GIB + int(258.5 * MIB) + 456 * MIB
    assert e.usable_bytes == 24 * GIB
    assert e.verdict == Verdict.FITS


def test_tight_band(llama3_8b):
    base = estimate(llama3_8b, Options(quant="Q4_K_M", context=8192), gpu(24)).total_bytes
    # Usable just 5% above the need: fits, but with under 10% to spare.
    e = estimate(llama3_8b, Options(quant="Q4_K_M", context=8192), gpu(base * 1.05 / GIB))
    assert e.verdict == Verdict.TIGHT
    # 5% short: llama.cpp moves layers to RAM (the RAM size is unknown, so it is not ruled out).
    e = estimate(llama3_8b, Options(quant="Q4_K_M", context=8192), gpu(base * 0.95 / GIB))
    assert e.verdict == Verdict.OFFLOAD


def test_partial_offload_with_ram(llama3_8b):
    setup = Setup(devices=gpu(6).devices, system_ram_bytes=32 * GIB)
    e = estimate(llama3_8b, Options(quant="Q8_0", context=8192), setup)
    assert e.verdict == Verdict.OFFLOAD
    assert e.offload is not None and 0 < e.offload.gpu_layers < 32
    assert e.total_bytes <= e.usable_bytes
    assert e.offload.fits_ram is True
    # The row also says what everything on the GPU would need: GPU-resident Q8_0 weights, 1 GiB of
    # KV at 8K, the 258.5 MiB logits-bound compute buffer and the 456 MiB CUDA reserve.
    plan = weight_plan(llama3_8b, "Q8_0")
    need = plan.total_bytes - plan.token_embd_bytes + GIB + int(258.5 * MIB) + 456 * MIB
    assert e.need_bytes == need > e.usable_bytes
    assert (
        sum(d.total_bytes for d in all_on_gpus(llama3_8b, Options(quant="Q8_0", context=8192), setup)) == need
    )
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
    # recommendedMaxWorkingSetSize: about 2/3 of RAM up to 36 GB, 3/4 above (the rule;
    # llmfit PR #754 reports 10.67 GB usable on a 16 GB M4, i.e. 2/3).
    assert apple_working_set(24 * GIB) == 16 * GIB
    assert apple_working_set(64 * GIB) == 48 * GIB


def test_mlx_needs_apple(qwen2_1_5b):
    with pytest.raises(EstimateError, match="Apple"):
        estimate(qwen2_1_5b, Options(runtime=Runtime.MLX, quant="MLX-4BIT"), gpu(24))
    mac = Setup(devices=(Device(name="M2", memory_bytes=16 * GIB, backend=Backend.METAL, unified=True),))
    e = estimate(qwen2_1_5b, Options(runtime=Runtime.MLX, quant="MLX-4BIT", context=8192), mac)
    assert e.usable_bytes == int(16 * GIB * 2 / 3)
    assert e.reserve_bytes == 0


def test_vllm_budget_and_concurrency(qwen2_1_5b):
    setup = gpu(24)
    e = estimate(qwen2_1_5b, Options(runtime=Runtime.VLLM, quant="BF16", context=32768), setup)
    usable = int(24 * GIB * 0.9)
    assert e.usable_bytes == usable
    # One 32K request: 28 layers x 2 heads x 128 x 2 x 2 bytes x 32768 tokens (2048 blocks of 16).
    per_request = 28 * 2 * 128 * 2 * 2 * 32768
    assert e.kv_bytes == per_request
    # BF16 weights: matrices at 2 bytes, the 57 norm vectors and 84 bias vectors in F32
    # (28 layers x (2 norms of 1536 + q/k/v biases 1536 + 256 + 256)) + the final 1536 norm.
    one_d = 28 * (2 * 1536 + 1536 + 2 * 256) + 1536
    weights = (qwen2_1_5b.total_params - one_d) * 2 + one_d * 4
    assert e.weights_bytes == weights
    # Profile run on a < 70 GiB GPU: 2048 batched tokens of bf16 activations per token
    # 2 x hidden + (q+k+v = 2048) + 3 x FFN 8960, plus three 256 x vocab f32 sampler copies;
    # then 0.07 GiB non-torch + 0.65 GiB CUDA graphs (vLLM PR #21489's log).
    act = 2048 * (2 * 1536 + 2048 + 3 * 8960) * 2 + 3 * 256 * 151936 * 4
    overhead = int(0.07 * GIB) + int(0.65 * GIB)
    assert e.compute_bytes == act + overhead
    assert e.max_concurrency == (usable - weights - act - overhead) // per_request


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
    # llama.cpp splits by free memory (here memory minus the 456 MiB reserve): shares
    # 24120 / 35952 = 0.6709 and 1. With full offload the output counts as slot 33 of 33
    # (act_gpu_layers = n_layer + 1): layer il goes to GPU 0 while il / 33 < 0.6709, i.e. il <= 22.
    assert (a.layers, b.layers) == (23, 9)
    # The output layer (32 / 33 = 0.97) lands on GPU 1 with the logits-sized compute buffer.
    plan = weight_plan(llama3_8b, "Q4_K_M")
    assert b.weights_bytes == sum(plan.layer_bytes[23:]) + plan.output_bytes + plan.other_bytes


def test_ollama_reserve_and_default_context(qwen2_1_5b):
    from fitmygpu.estimator.core import ollama_default_context

    e = estimate(qwen2_1_5b, Options(runtime=Runtime.OLLAMA, quant="Q4_K_M"), gpu(12))
    # CUDA context (456 MiB) + llama-server's --fit margin of 1 GiB that Ollama's loads keep free.
    assert e.reserve_bytes == (456 + 1024) * MIB
    # server/routes.go: >= 47 GiB of VRAM -> 256K, >= 23 GiB -> 32K, else 4K.
    assert [ollama_default_context(gpu(g)) for g in (8, 24, 48)] == [4096, 32768, 262144]


def test_mlx_cache_grows_in_256_token_steps(qwen2_1_5b):
    mac = Setup(devices=(Device(name="M2", memory_bytes=16 * GIB, backend=Backend.METAL, unified=True),))
    e = estimate(qwen2_1_5b, Options(runtime=Runtime.MLX, quant="MLX-4BIT", context=5000), mac)
    # mlx_lm KVCache steps of 256: 5000 -> 5120 tokens x 28 layers x 2 x 128 x (K+V) x 2 bytes.
    assert e.kv_bytes == 5120 * 28 * 2 * 128 * 2 * 2


def test_transformers_prefill_peak(qwen2_1_5b):
    e = estimate(qwen2_1_5b, Options(runtime=Runtime.TRANSFORMERS, quant="BF16", context=4096), gpu(24))
    # The whole 4096-token prompt at once, bf16: 4 x hidden + q/k/v (16 heads x 128) + 3 x FFN,
    # plus f32 logits for the last token (twice: logits and their softmax).
    per_token = 4 * 1536 + (12 + 2 * 2) * 128 + 3 * 8960
    assert e.compute_bytes == 4096 * per_token * 2 + 151936 * 4 * 2
    assert e.reserve_bytes == 300 * 1000**2  # PyTorch CUDA context with lazy loading


def test_pipeline_copies_multiply_compute_on_two_gpus(llama3_8b):
    setup = Setup(devices=gpu(24).devices * 2)
    a, b = estimate(llama3_8b, Options(quant="Q4_K_M", context=8192), setup).devices
    # 4 graph copies (GGML_SCHED_MAX_COPIES). GPU 1 holds the output: the logits phase,
    # 128256 x 512 x 4 + 512 x 4096 x 4 B = 258.5 MiB. GPU 0's peak is the FFN phase:
    # 3 x 512 x 14336 x 4 B + 2 x 512 x 4096 x 4 B = 100 MiB.
    assert b.compute_bytes == 4 * int(258.5 * MIB)
    assert a.compute_bytes == 4 * 100 * MIB
