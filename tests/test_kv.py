"""KV cache per layer kind, derived by hand from each engine's sizing rule."""

from __future__ import annotations

from fitmygpu.architecture import MLA, Architecture, LayerKind
from fitmygpu.estimator.kv import (
    KV_TYPES,
    dynamic_cache_kv,
    kv_profile,
    llama_cpp_layer_kv,
    vllm_request_kv,
)

F16, Q8 = KV_TYPES["f16"], KV_TYPES["q8_0"]


def test_gqa_f16_llama_cpp(qwen2_1_5b):
    # 28 layers x 2 KV heads x 128 dims x (K + V) x 2 bytes x 4096 cells = 112 MiB.
    kv = sum(llama_cpp_layer_kv(kv_profile(qwen2_1_5b, F16, F16), 4096, 1, 512, False))
    assert kv == 28 * 2 * 128 * 2 * 2 * 4096 == 112 * 1024**2


def test_q8_0_blocks(qwen2_1_5b):
    # q8_0 rows: 256 elements = 8 blocks x 34 bytes = 272 bytes, for K and for V.
    kv = sum(llama_cpp_layer_kv(kv_profile(qwen2_1_5b, Q8, Q8), 4096, 1, 512, False))
    assert kv == 28 * 2 * 272 * 4096


def test_cells_pad_to_256(qwen2_1_5b):
    # llama-context.cpp: n_ctx = GGML_PAD(n_ctx, 256); 5000 -> 5120 cells.
    per_cell = 28 * 2 * 128 * 2 * 2
    assert sum(llama_cpp_layer_kv(kv_profile(qwen2_1_5b, F16, F16), 5000, 1, 512, False)) == per_cell * 5120


SWA = Architecture(
    family="gemma3",
    vocab_size=1024,
    hidden_size=1024,
    intermediate_size=4096,
    num_layers=6,
    num_attention_heads=8,
    num_kv_heads=4,
    head_dim=256,
    sliding_window=1024,
    layer_pattern=(LayerKind.SLIDING,) * 5 + (LayerKind.FULL,),
)


def test_sliding_window_llama_cpp():
    # iSWA cache: SWA layers get PAD256(min(n_ctx, window + ubatch)) = 1536 cells; full layers 32768.
    per_cell = 4 * 256 * 2 * 2
    layers = llama_cpp_layer_kv(kv_profile(SWA, F16, F16), 32768, 1, 512, False)
    assert layers == [per_cell * 1536] * 5 + [per_cell * 32768]
    # --swa-full gives every layer the whole context.
    assert sum(llama_cpp_layer_kv(kv_profile(SWA, F16, F16), 32768, 1, 512, True)) == 6 * per_cell * 32768


def test_sliding_window_vllm_blocks():
    # vLLM SlidingWindowSpec: cdiv(min(window - 1 + 2048, ctx), 16) + 1 blocks of 16 tokens.
    per_token = 4 * 256 * 2 * 2
    swa_blocks = -(-(1024 - 1 + 2048) // 16) + 1
    expected = 5 * swa_blocks * 16 * per_token + 32768 * per_token
    assert vllm_request_kv(kv_profile(SWA, KV_TYPES["bf16"], KV_TYPES["bf16"]), 32768, 2048) == expected


DEEPSEEK_MLA = Architecture(
    family="deepseek_v3",
    vocab_size=129280,
    hidden_size=7168,
    intermediate_size=18432,
    num_layers=61,
    num_attention_heads=128,
    num_kv_heads=128,
    layer_pattern=(LayerKind.MLA,),
    mla=MLA(kv_lora_rank=512, q_lora_rank=1536, qk_rope_head_dim=64, qk_nope_head_dim=128, v_head_dim=128),
)


def test_mla_latent_only():
    # V-less MLA cache (llama.cpp PR #19067): 576 elements per token and layer.
    # 61 x 32768 x 576 x 2 bytes = 2.14 GiB (estimator-research.md §6b), not 152 GiB decompressed.
    kv = sum(llama_cpp_layer_kv(kv_profile(DEEPSEEK_MLA, F16, F16), 32768, 1, 512, False))
    assert kv == 61 * 32768 * 576 * 2
    assert round(kv / 1024**3, 2) == 2.14


def test_mla_q8_matches_ik_llama_log():
    # ik_llama.cpp #259: 61 layers x 32768 x 576 in q8_0 = 1,166.6 MiB.
    kv = sum(llama_cpp_layer_kv(kv_profile(DEEPSEEK_MLA, Q8, Q8), 32768, 1, 512, False))
    assert round(kv / 1024**2, 1) == 1166.6


def test_recurrent_state_is_constant_in_context():
    from fitmygpu.architecture import GatedDeltaNet

    arch = Architecture(
        family="qwen3_next",
        vocab_size=1000,
        hidden_size=2048,
        intermediate_size=5120,
        num_layers=4,
        num_attention_heads=16,
        num_kv_heads=2,
        head_dim=256,
        layer_pattern=(LayerKind.LINEAR,) * 3 + (LayerKind.FULL,),
        linear=GatedDeltaNet(num_key_heads=16, num_value_heads=32, key_head_dim=128, value_head_dim=128),
    )
    p = kv_profile(arch, F16, F16)
    # conv state (kernel-1) x (2 x 16 x 128 + 32 x 128) + SSM state 32 x 128 x 128, f32.
    state = (3 * (2 * 2048 + 4096) + 32 * 128 * 128) * 4
    full = 2 * 256 * 2 * 2
    for ctx in (4096, 65536):
        assert sum(llama_cpp_layer_kv(p, ctx, 1, 512, False)) == 3 * state + full * ctx


def test_dynamic_cache_rotates_sliding_layers():
    per_token = 4 * 256 * 2 * 2
    assert dynamic_cache_kv(kv_profile(SWA, F16, F16), 10000, 1) == 5 * 1024 * per_token + 10000 * per_token
