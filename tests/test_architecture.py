"""Parameter counts derived from shapes must match the vendors' published counts."""

from __future__ import annotations

import pytest

from fitmygpu.hf_config import UnsupportedArchitectureError, architecture_from_config


def test_llama3_8b_count_matches_meta(llama3_8b):
    # Hugging Face reports 8,030,261,248 parameters for Meta-Llama-3-8B (safetensors metadata).
    assert llama3_8b.total_params == 8_030_261_248


def test_qwen2_bias_counts(qwen2_1_5b):
    # 1.78B on the Hugging Face page: untied embeddings (2 x 151936 x 1536) plus 28 layers.
    emb = 2 * 151936 * 1536
    attn = 1536 * 1536 + 1536 + 2 * (1536 * 256 + 256) + 1536 * 1536  # q (+bias), k, v (+bias), o
    mlp = 3 * 1536 * 8960
    per_layer = attn + mlp + 2 * 1536
    assert qwen2_1_5b.total_params == emb + 28 * per_layer + 1536


MIXTRAL = dict(
    model_type="mixtral",
    vocab_size=32000,
    hidden_size=4096,
    intermediate_size=14336,
    num_hidden_layers=32,
    num_attention_heads=32,
    num_key_value_heads=8,
    num_local_experts=8,
    num_experts_per_tok=2,
)
QWEN3_MOE = dict(
    model_type="qwen3_moe",
    vocab_size=151936,
    hidden_size=2048,
    intermediate_size=6144,
    num_hidden_layers=48,
    num_attention_heads=32,
    num_key_value_heads=4,
    head_dim=128,
    num_experts=128,
    num_experts_per_tok=8,
    moe_intermediate_size=768,
)
DEEPSEEK_V3 = dict(
    model_type="deepseek_v3",
    vocab_size=129280,
    hidden_size=7168,
    intermediate_size=18432,
    num_hidden_layers=61,
    num_attention_heads=128,
    num_key_value_heads=128,
    n_routed_experts=256,
    num_experts_per_tok=8,
    moe_intermediate_size=2048,
    n_shared_experts=1,
    first_k_dense_replace=3,
    moe_layer_freq=1,
    kv_lora_rank=512,
    q_lora_rank=1536,
    qk_rope_head_dim=64,
    qk_nope_head_dim=128,
    v_head_dim=128,
    topk_method="noaux_tc",
)


@pytest.mark.parametrize(
    ("config", "total", "active"),
    [
        (MIXTRAL, 46.7e9, 12.9e9),  # Mistral AI: 46.7B total, 12.9B active
        (QWEN3_MOE, 30.5e9, 3.3e9),  # Qwen3-30B-A3B model card: 30.5B total, 3.3B activated
        (DEEPSEEK_V3, 671e9, 37e9),  # DeepSeek-V3 paper: 671B total, 37B activated
    ],
)
def test_moe_counts_match_official(config, total, active):
    arch = architecture_from_config(config)
    assert arch.total_params == pytest.approx(total, rel=0.01)
    assert arch.active_params == pytest.approx(active, rel=0.02)


def test_unsupported_architecture_is_named():
    with pytest.raises(UnsupportedArchitectureError, match="rwkv7"):
        architecture_from_config({"model_type": "rwkv7", "hidden_size": 1})


def test_sliding_pattern_and_kv_layers():
    arch = architecture_from_config(
        dict(
            model_type="gemma3_text",
            vocab_size=262144,
            hidden_size=1152,
            intermediate_size=6912,
            num_hidden_layers=26,
            num_attention_heads=4,
            num_key_value_heads=1,
            head_dim=256,
            sliding_window=512,
            sliding_window_pattern=6,
        )
    )
    kinds = arch.kinds
    # Gemma 3: every 6th layer is global, the rest slide.
    assert [i for i, k in enumerate(kinds) if k == "full"] == [5, 11, 17, 23]
    assert arch.kv_layer_count == 26
