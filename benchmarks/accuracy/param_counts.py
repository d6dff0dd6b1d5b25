"""Compare Architecture.total_params with Transformers' own parameter count.

For each architecture family that ``fitmygpu.hf_config`` supports, one config dict (the real
model's shapes where named) is turned into our Architecture and, separately, into a Transformers
model built with ``from_config`` on the meta device (no weights allocated). The two counts must
agree: ours is derived from the llama.cpp tensor list, Transformers' from its module tree.

Needs torch and transformers, which live in the engine venv:

    benchmarks/accuracy/.venv-llama/bin/pip install /opt/wheels/torch-2.13.0+cpu-*.whl transformers
    benchmarks/accuracy/.venv-llama/bin/python benchmarks/accuracy/param_counts.py [--markdown]

The engine venv has no pydantic/fitmygpu deps, so this script computes our side by calling the
project venv (``.venv/bin/python``) as a subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent / "param_counts.json"

CONFIGS: dict[str, dict] = {
    "Llama-3.1-8B (llama)": {
        "model_type": "llama", "vocab_size": 128256, "hidden_size": 4096, "intermediate_size": 14336,
        "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
        "tie_word_embeddings": False,
    },
    "Mistral-7B-v0.3 (mistral)": {
        "model_type": "mistral", "vocab_size": 32768, "hidden_size": 4096, "intermediate_size": 14336,
        "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
        "sliding_window": None, "tie_word_embeddings": False,
    },
    "Granite-3.1-8B (granite)": {
        "model_type": "granite", "vocab_size": 49155, "hidden_size": 4096, "intermediate_size": 12800,
        "num_hidden_layers": 40, "num_attention_heads": 32, "num_key_value_heads": 8,
        "tie_word_embeddings": True,
    },
    "OLMo-2-7B (olmo2)": {
        "model_type": "olmo2", "vocab_size": 100352, "hidden_size": 4096, "intermediate_size": 11008,
        "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 32,
        "tie_word_embeddings": False,
    },
    "DeepSeek-R1-Distill-Qwen-1.5B (qwen2)": {
        "model_type": "qwen2", "vocab_size": 151936, "hidden_size": 1536, "intermediate_size": 8960,
        "num_hidden_layers": 28, "num_attention_heads": 12, "num_key_value_heads": 2,
        "tie_word_embeddings": False,
    },
    "Qwen3-8B (qwen3)": {
        "model_type": "qwen3", "vocab_size": 151936, "hidden_size": 4096, "intermediate_size": 12288,
        "num_hidden_layers": 36, "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 128,
        "tie_word_embeddings": False,
    },
    "Qwen1.5-MoE-A2.7B (qwen2_moe)": {
        "model_type": "qwen2_moe", "vocab_size": 151936, "hidden_size": 2048, "intermediate_size": 5632,
        "num_hidden_layers": 24, "num_attention_heads": 16, "num_key_value_heads": 16,
        "num_experts": 60, "num_experts_per_tok": 4, "moe_intermediate_size": 1408,
        "shared_expert_intermediate_size": 5632, "decoder_sparse_step": 1, "tie_word_embeddings": False,
    },
    "Qwen3-30B-A3B (qwen3_moe)": {
        "model_type": "qwen3_moe", "vocab_size": 151936, "hidden_size": 2048, "intermediate_size": 6144,
        "num_hidden_layers": 48, "num_attention_heads": 32, "num_key_value_heads": 4, "head_dim": 128,
        "num_experts": 128, "num_experts_per_tok": 8, "moe_intermediate_size": 768,
        "decoder_sparse_step": 1, "mlp_only_layers": [], "tie_word_embeddings": False,
    },
    "Qwen3-Next-80B-A3B (qwen3_next)": {
        "model_type": "qwen3_next", "vocab_size": 151936, "hidden_size": 2048, "intermediate_size": 5120,
        "num_hidden_layers": 48, "num_attention_heads": 16, "num_key_value_heads": 2, "head_dim": 256,
        "num_experts": 512, "num_experts_per_tok": 10, "moe_intermediate_size": 512,
        "shared_expert_intermediate_size": 512, "full_attention_interval": 4,
        "linear_num_key_heads": 16, "linear_num_value_heads": 32, "linear_key_head_dim": 128,
        "linear_value_head_dim": 128, "linear_conv_kernel_dim": 4, "decoder_sparse_step": 1,
        "mlp_only_layers": [], "tie_word_embeddings": False,
    },
    "Mixtral-8x7B (mixtral)": {
        "model_type": "mixtral", "vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 14336,
        "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
        "num_local_experts": 8, "num_experts_per_tok": 2, "tie_word_embeddings": False,
    },
    "Gemma-7B (gemma)": {
        "model_type": "gemma", "vocab_size": 256000, "hidden_size": 3072, "intermediate_size": 24576,
        "num_hidden_layers": 28, "num_attention_heads": 16, "num_key_value_heads": 16, "head_dim": 256,
    },
    "Gemma-2-2B (gemma2)": {
        "model_type": "gemma2", "vocab_size": 256000, "hidden_size": 2304, "intermediate_size": 9216,
        "num_hidden_layers": 26, "num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 256,
        "sliding_window": 4096,
    },
    "Gemma-3-1B (gemma3_text)": {
        "model_type": "gemma3_text", "vocab_size": 262144, "hidden_size": 1152, "intermediate_size": 6912,
        "num_hidden_layers": 26, "num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 256,
        "sliding_window": 512, "sliding_window_pattern": 6,
    },
    "Phi-3-mini (phi3)": {
        "model_type": "phi3", "vocab_size": 32064, "hidden_size": 3072, "intermediate_size": 8192,
        "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 32,
        "tie_word_embeddings": False,
    },
    "DeepSeek-V2-Lite (deepseek_v2)": {
        "model_type": "deepseek_v2", "vocab_size": 102400, "hidden_size": 2048, "intermediate_size": 10944,
        "num_hidden_layers": 27, "num_attention_heads": 16, "num_key_value_heads": 16,
        "n_routed_experts": 64, "num_experts_per_tok": 6, "moe_intermediate_size": 1408,
        "n_shared_experts": 2, "first_k_dense_replace": 1, "moe_layer_freq": 1, "kv_lora_rank": 512,
        "q_lora_rank": None, "qk_rope_head_dim": 64, "qk_nope_head_dim": 128, "v_head_dim": 128,
        "topk_method": "greedy", "tie_word_embeddings": False,
    },
    "DeepSeek-V3 (deepseek_v3)": {
        "model_type": "deepseek_v3", "vocab_size": 129280, "hidden_size": 7168, "intermediate_size": 18432,
        "num_hidden_layers": 61, "num_attention_heads": 128, "num_key_value_heads": 128,
        "n_routed_experts": 256, "num_experts_per_tok": 8, "moe_intermediate_size": 2048,
        "n_shared_experts": 1, "first_k_dense_replace": 3, "moe_layer_freq": 1, "kv_lora_rank": 512,
        "q_lora_rank": 1536, "qk_rope_head_dim": 64, "qk_nope_head_dim": 128, "v_head_dim": 128,
        "topk_method": "noaux_tc", "n_group": 8, "topk_group": 4, "tie_word_embeddings": False,
    },
    "gpt-oss-20b (gpt_oss)": {
        "model_type": "gpt_oss", "vocab_size": 201088, "hidden_size": 2880, "intermediate_size": 2880,
        "num_hidden_layers": 24, "num_attention_heads": 64, "num_key_value_heads": 8, "head_dim": 64,
        "num_local_experts": 32, "num_experts_per_tok": 4, "sliding_window": 128,
        "layer_types": ["sliding_attention", "full_attention"] * 12, "tie_word_embeddings": False,
    },
    "GLM-4.5-Air (glm4_moe)": {
        "model_type": "glm4_moe", "vocab_size": 151552, "hidden_size": 4096, "intermediate_size": 10944,
        "num_hidden_layers": 46, "num_attention_heads": 96, "num_key_value_heads": 8, "head_dim": 128,
        "n_routed_experts": 128, "num_experts_per_tok": 8, "moe_intermediate_size": 1408,
        "n_shared_experts": 1, "first_k_dense_replace": 1, "attention_bias": True, "use_qk_norm": False,
        "partial_rotary_factor": 0.5, "tie_word_embeddings": False,
    },
    "Llama-4-Scout (llama4_text)": {
        "model_type": "llama4_text", "vocab_size": 202048, "hidden_size": 5120, "intermediate_size": 8192,
        "intermediate_size_mlp": 16384, "num_hidden_layers": 48, "num_attention_heads": 40,
        "num_key_value_heads": 8, "head_dim": 128, "num_local_experts": 16, "num_experts_per_tok": 1,
        "interleave_moe_layer_step": 1, "attention_chunk_size": 8192, "tie_word_embeddings": False,
    },
    "Command-R-7B (cohere2)": {
        "model_type": "cohere2", "vocab_size": 256000, "hidden_size": 4096, "intermediate_size": 14336,
        "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
        "sliding_window": 4096, "tie_word_embeddings": True,
    },
    "Command-R (cohere)": {
        "model_type": "cohere", "vocab_size": 256000, "hidden_size": 8192, "intermediate_size": 22528,
        "num_hidden_layers": 40, "num_attention_heads": 64, "num_key_value_heads": 64,
        "use_qk_norm": False, "tie_word_embeddings": True,
    },
    "Nemotron-H-8B (nemotron_h)": {
        "model_type": "nemotron_h", "vocab_size": 131072, "hidden_size": 4096, "intermediate_size": 21504,
        "num_hidden_layers": 52, "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 128,
        "hybrid_override_pattern": "M-M-M-M*-M-M-M-M-M*-M-M-M-M-M*-M-M-M-M-M*-M-M-M-M-M-",
        "mamba_num_heads": 128, "mamba_head_dim": 64, "ssm_state_size": 128, "n_groups": 8,
        "conv_kernel": 4, "use_conv_bias": True, "use_bias": False, "mamba_hidden_act": "silu",
        "tie_word_embeddings": False,
    },
}  # fmt: skip

OURS_SNIPPET = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from fitmygpu.hf_config import architecture_from_config
cfgs = json.load(sys.stdin)
out = {}
for name, c in cfgs.items():
    try:
        a = architecture_from_config(c)
        out[name] = {"total": a.total_params, "text": a.text_params}
    except Exception as e:  # noqa: BLE001
        out[name] = {"error": repr(e)}
print(json.dumps(out))
"""


def ours() -> dict:
    py = ROOT / ".venv" / "bin" / "python"
    p = subprocess.run([str(py), "-c", OURS_SNIPPET, str(ROOT)], input=json.dumps(CONFIGS),
                       capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(p.stdout)


def transformers_count(c: dict) -> int:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    kw = {k: v for k, v in c.items() if k != "model_type"}
    cfg = AutoConfig.for_model(c["model_type"], **kw)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(cfg)
    return sum(p.numel() for p in model.parameters())


def main() -> None:
    import transformers

    mine = ours()
    rows = []
    for name, c in CONFIGS.items():
        row = {"model": name, "model_type": c["model_type"], "ours": mine[name].get("total"),
               "ours_error": mine[name].get("error")}  # fmt: skip
        try:
            row["transformers"] = transformers_count(c)
        except Exception as e:
            row["transformers"] = None
            row["transformers_error"] = f"{type(e).__name__}: {e}"[:300]
        if row["ours"] and row["transformers"]:
            row["diff"] = row["ours"] - row["transformers"]
            row["diff_pct"] = 100 * row["diff"] / row["transformers"]
        rows.append(row)
        print(json.dumps(row), flush=True)
    OUT.write_text(json.dumps({"transformers": transformers.__version__, "rows": rows}, indent=1))
    if "--markdown" in sys.argv:
        print(f"\nTransformers {transformers.__version__}\n")
        print("| model (model_type) | ours | Transformers | diff | diff % |")
        print("|---|---:|---:|---:|---:|")
        for r in rows:
            if r.get("diff") is None:
                why = r.get("transformers_error") or r.get("ours_error")
                print(f"| {r['model']} | {r['ours'] or '-'} | {r['transformers'] or '-'} | n/a | {why} |")
            else:
                print(f"| {r['model']} | {r['ours']:,} | {r['transformers']:,} | {r['diff']:+,} | "
                      f"{r['diff_pct']:+.4f}% |")  # fmt: skip


if __name__ == "__main__":
    main()
