"""Cases measured on real llama.cpp (benchmarks/accuracy, docs/accuracy.md "Hand-checkable cases").

Each expected value is the figure llama.cpp logged, and each is also worked out by hand in the
comment from the architecture; the estimator must reproduce both. Rerun the measurement with
``python benchmarks/accuracy/run_accuracy.py`` (needs llama-cpp-python; never run in CI).
"""

from __future__ import annotations

import pytest

from fitmygpu.estimator.compute import llama_cpp_compute
from fitmygpu.estimator.kv import KV_TYPES, kv_profile, llama_cpp_layer_kv
from fitmygpu.hf_config import architecture_from_config
from fitmygpu.quant.formats import weight_plan

MIB = 1024**2

GEMMA3_1B = architecture_from_config({
    "model_type": "gemma3_text", "vocab_size": 262144, "hidden_size": 1152, "intermediate_size": 6912,
    "num_hidden_layers": 26, "num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 256,
    "sliding_window": 512, "sliding_window_pattern": 6, "tie_word_embeddings": True,
})  # fmt: skip


def _kv(arch, ctx: int, kv: str = "f16") -> list[int]:
    t = KV_TYPES[kv]
    return llama_cpp_layer_kv(kv_profile(arch, t, t), ctx, 1, 512, swa_full=False)


def test_qwen2_kv_f16_8k(qwen2_1_5b):
    # 28 layers x 2 KV heads x 128 x (K+V) x 2 B x 8192 cells; logged "size = 224.00 MiB".
    assert sum(_kv(qwen2_1_5b, 8192)) == 224 * MIB


def test_qwen2_kv_q8_0_2k(qwen2_1_5b):
    # 256-wide rows are 8 q8_0 blocks of 34 B; 28 x 2 x 272 B x 2048 = 29.75 MiB (logged 29.75).
    assert sum(_kv(qwen2_1_5b, 2048, "q8_0")) == int(29.75 * MIB)


@pytest.mark.parametrize(
    ("ctx", "kv", "full_mib", "swa_mib"), [(8192, "f16", 32.0, 22.0), (131072, "q8_0", 272.0, 11.6875)]
)
def test_gemma3_two_caches(ctx, kv, full_mib, swa_mib):
    # Global layers (4 of 26) get every cell; SWA layers pad256(512 + 512) = 1024 cells.
    # Logged: "32.00 MiB (8192 cells, 4 layers)" + "22.00 MiB (1024 cells, 22 layers)";
    # at 128K q8_0: "272.00 MiB" + "11.69 MiB".
    layers = _kv(GEMMA3_1B, ctx, kv)
    full = sum(b for b, k in zip(layers, GEMMA3_1B.kinds, strict=True) if k == "full")
    swa = sum(b for b, k in zip(layers, GEMMA3_1B.kinds, strict=True) if k == "sliding")
    assert (full / MIB, swa / MIB) == (full_mib, swa_mib)


def test_llama3_8b_kv_128k(llama3_8b):
    # 32 x 8 x 128 x 2 x 2 B x 131072 = 16 GiB; logged "size = 16384.00 MiB" (dry run).
    assert sum(_kv(llama3_8b, 131072)) == 16384 * MIB


@pytest.mark.parametrize(("arch_name", "logged_mib"), [("qwen2", 1801.09), ("gemma3", 1013.54)])
def test_q8_0_file_size(arch_name, logged_mib, qwen2_1_5b):
    # Matrices at 34 B per 32 weights, 1-D tensors in F32: "CPU_Mapped model buffer size".
    arch = qwen2_1_5b if arch_name == "qwen2" else GEMMA3_1B
    assert round(weight_plan(arch, "Q8_0").total_bytes / MIB, 2) == logged_mib


def test_llama3_8b_compute_no_fa_32k(llama3_8b):
    # KQ scores once + f32 mask: 32768 x 512 x (32 x 4 + 4) B = 2112 MiB, plus the attention block's
    # activations 512 x (6144 + 4096 + 3 x 4096) x 4 B = 44 MiB; logged 2156.01 MiB.
    assert round(llama_cpp_compute(llama3_8b, 32768, 512, flash_attn=False) / MIB, 2) == 2156.0


def test_qwen2_compute_no_fa_128k(qwen2_1_5b):
    # 131072 x 512 x (12 x 4 + 4) B = 3328 MiB + 512 x (2048 + 1536 + 3 x 1536) x 4 B = 16 MiB;
    # logged 3344.01 MiB.
    assert llama_cpp_compute(qwen2_1_5b, 131072, 512, flash_attn=False) == 3344 * MIB


def test_qwen2_compute_flash_attention_is_logits_bound(qwen2_1_5b):
    # 151936 x 512 x 4 B + 512 x 1536 x 4 B = 299.75 MiB on a GPU; the CPU log (302.75 MiB) also
    # holds the 3 MiB of token-embedding rows that a GPU keeps in its host buffer.
    for ctx in (2048, 32768, 131072):
        assert llama_cpp_compute(qwen2_1_5b, ctx, 512, flash_attn=True) == int(299.75 * MIB)
