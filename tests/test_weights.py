"""GGUF weights per tensor against llama.cpp's published bits-per-weight."""

from __future__ import annotations

import pytest

from fitmygpu.quant.formats import weight_plan
from fitmygpu.quant.ggml_types import GGMLType, tensor_bytes

# llama.cpp tools/quantize/README.md, Llama-3.1-8B bits per weight (no imatrix except where the
# preset requires one). Our per-tensor rules must reproduce them to 4 decimals.
README_BPW = {
    "Q2_K": 3.1593, "Q3_K_S": 3.6429, "Q3_K_L": 4.2979, "Q4_K_S": 4.6672, "Q4_K_M": 4.8944,
    "Q5_K_S": 5.5704, "Q5_K_M": 5.7036, "Q6_K": 6.5633, "Q8_0": 8.5008, "IQ4_XS": 4.4597,
    "IQ4_NL": 4.6818, "IQ3_XXS": 3.2548, "IQ2_M": 2.9294, "IQ1_S": 2.0042, "F16": 16.0005,
}  # fmt: skip


@pytest.mark.parametrize(("quant", "bpw"), README_BPW.items())
def test_llama31_8b_bits_per_weight(llama3_8b, quant, bpw):
    plan = weight_plan(llama3_8b, quant)
    assert round(plan.total_bytes * 8 / llama3_8b.total_params, 4) == bpw


def test_block_sizes():
    # ggml-common.h: Q4_K is 144 bytes per 256 weights; Q8_0 34 bytes per 32.
    assert tensor_bytes(GGMLType.Q4_K, (4096, 4096)) == 4096 // 256 * 144 * 4096
    assert tensor_bytes(GGMLType.Q8_0, (4096, 10)) == 4096 // 32 * 34 * 10


def test_kquant_row_fallback():
    # A 1152-wide row is not whole 256-blocks: Q4_K falls back to Q5_0 (llama-quant.cpp).
    from fitmygpu.architecture import Architecture

    arch = Architecture(
        family="gemma3",
        vocab_size=1024,
        hidden_size=1152,
        intermediate_size=6912,
        num_layers=2,
        num_attention_heads=4,
        num_kv_heads=1,
        head_dim=256,
        tie_word_embeddings=True,
    )
    from fitmygpu.quant.gguf_rules import GGUFPreset, TensorTypePlanner

    types = {t.name: ty for t, ty in TensorTypePlanner(arch, GGUFPreset.Q4_K_M).plan(arch.tensors)}
    assert types["blk.0.attn_q.weight"] == GGMLType.Q5_0  # rows of 1152
    assert types["blk.0.ffn_gate.weight"] == GGMLType.Q5_0  # rows of 1152
    # Rows of 6912 = 27 x 256 take a K-quant; layer 1 of 2 is in use_more_bits range -> Q6_K.
    assert types["blk.1.ffn_down.weight"] == GGMLType.Q6_K
    # Tied embeddings double as the output matrix: Q6_K, which falls back to Q8_0 at 1152.
    assert types["token_embd.weight"] == GGMLType.Q8_0


def test_awq_keeps_embeddings_16bit(llama3_8b):
    plan = weight_plan(llama3_8b, "AWQ")
    # Embedding and output stay BF16: 2 x 128256 x 4096 x 2 bytes.
    assert plan.token_embd_bytes + plan.output_bytes == 2 * 128256 * 4096 * 2
    # Linear weights: 4 bits + (fp16 scale + 4-bit zero) per 128 weights = 4.15625 bits.
    linear = sum(plan.layer_bytes)
    assert linear / (llama3_8b.total_params - 2 * 128256 * 4096) * 8 == pytest.approx(4.15625, abs=0.01)
