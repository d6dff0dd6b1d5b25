"""Hugging Face ``config.json`` to :class:`Architecture`, offline.

People paste or download a config.json for a model we do not carry; this turns it into the same
architecture the catalog uses, so every estimate path (weights per tensor, KV per layer kind) works
on it. Each family's quirks (Qwen2's fixed QKV bias, Gemma's tied embeddings and extra norms,
gpt-oss's sinks and expert biases, DeepSeek's MLA and dense leading layers) are spelled out here
because config.json does not state them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fitmygpu.architecture import MLA, Architecture, GatedDeltaNet, LayerKind, Mamba2, MoE


class UnsupportedArchitectureError(ValueError):
    def __init__(self, model_type: str) -> None:
        super().__init__(
            f"architecture {model_type!r} is not supported yet; supported: {', '.join(sorted(BUILDERS))}"
        )
        self.model_type = model_type


_LAYER_TYPES = {
    "full_attention": LayerKind.FULL,
    "sliding_attention": LayerKind.SLIDING,
    "chunked_attention": LayerKind.CHUNKED,
    "linear_attention": LayerKind.LINEAR,
    "mamba": LayerKind.LINEAR,
    "attention": LayerKind.FULL,
}

Config = dict[str, Any]


def _base(c: Config, family: str, **overrides: Any) -> dict[str, Any]:
    heads = c["num_attention_heads"]
    fields: dict[str, Any] = {
        "family": family,
        "vocab_size": c["vocab_size"],
        "hidden_size": c["hidden_size"],
        "intermediate_size": c.get("intermediate_size", 0),
        "num_layers": c["num_hidden_layers"],
        "num_attention_heads": heads,
        "num_kv_heads": c.get("num_key_value_heads") or heads,
        "head_dim": c.get("head_dim"),
        "tie_word_embeddings": bool(c.get("tie_word_embeddings", False)),
        "attention_bias": bool(c.get("attention_bias", False)),
        "mlp_bias": bool(c.get("mlp_bias", False)),
    }
    if c.get("layer_types"):
        unknown = sorted({t for t in c["layer_types"] if t not in _LAYER_TYPES})
        if unknown:
            raise ValueError(
                f"config.json has layer types this estimator does not model: {', '.join(unknown)}"
            )
        fields["layer_kinds"] = tuple(_LAYER_TYPES[t] for t in c["layer_types"])
        if LayerKind.SLIDING in fields["layer_kinds"]:
            fields["sliding_window"] = c.get("sliding_window")
    fields.update(overrides)
    if fields["head_dim"] is None:
        fields.pop("head_dim")
    return fields


def _llama(c: Config) -> Architecture:
    # Mistral 7B v0.1 used a 4096-token sliding window on every layer; later releases set null.
    sw = c.get("sliding_window") if c.get("model_type") == "mistral" else None
    extra = {"layer_pattern": (LayerKind.SLIDING,), "sliding_window": sw} if sw else {}
    return Architecture(**_base(c, c.get("model_type", "llama"), **extra))


def _olmo2(c: Config) -> Architecture:
    # OLMo 2: q_norm/k_norm span the whole projections (modeling_olmo2.py), and the two norms per
    # layer are post-attention and post-feedforward.
    return Architecture(**_base(c, "olmo2", qk_norm_full=True))


def _qwen2(c: Config) -> Architecture:
    # Qwen2 hard-codes bias=True on q/k/v (modeling_qwen2.py); use_sliding_window is off in releases.
    return Architecture(**_base(c, "qwen2", attention_bias=True))


def _qwen3(c: Config) -> Architecture:
    return Architecture(**_base(c, "qwen3", qk_norm=True))


def _qwen_style_moe(c: Config) -> MoE | None:
    """Qwen2-MoE / Qwen3-MoE / Qwen3-Next experts: an optional gated shared expert."""
    if not c.get("num_experts"):
        return None
    shared = c.get("shared_expert_intermediate_size") or 0
    return MoE(
        num_experts=c["num_experts"],
        experts_per_token=c["num_experts_per_tok"],
        expert_intermediate_size=c["moe_intermediate_size"],
        shared_experts=1 if shared else 0,
        shared_intermediate_size=shared or None,
        shared_expert_gate=bool(shared),
        layer_step=c.get("decoder_sparse_step", 1) or 1,
    )


def _deepseek_style_moe(c: Config, router_bias: bool) -> MoE | None:
    """DeepSeek V2/V3, Kimi K2 and GLM-4.5 experts: shared experts and dense leading layers."""
    if not c.get("n_routed_experts"):
        return None
    return MoE(
        num_experts=c["n_routed_experts"],
        experts_per_token=c["num_experts_per_tok"],
        expert_intermediate_size=c["moe_intermediate_size"],
        shared_experts=c.get("n_shared_experts") or 0,
        dense_leading_layers=c.get("first_k_dense_replace", 0),
        layer_step=c.get("moe_layer_freq", 1) or 1,
        router_bias=router_bias,
    )


def _qwen_moe(c: Config) -> Architecture:
    family = c["model_type"]
    return Architecture(
        **_base(
            c,
            family,
            attention_bias=family == "qwen2_moe",
            qk_norm=family != "qwen2_moe",
            moe=_qwen_style_moe(c),
        )
    )


def _qwen3_next(c: Config) -> Architecture:
    interval = c.get("full_attention_interval", 4)
    pattern = (LayerKind.LINEAR,) * (interval - 1) + (LayerKind.FULL,)
    moe = _qwen_style_moe(c)
    linear = GatedDeltaNet(
        num_key_heads=c["linear_num_key_heads"],
        num_value_heads=c["linear_num_value_heads"],
        key_head_dim=c["linear_key_head_dim"],
        value_head_dim=c["linear_value_head_dim"],
        conv_kernel=c.get("linear_conv_kernel_dim", 4),
    )
    fields = _base(c, c["model_type"], qk_norm=True, attn_output_gate=True, moe=moe, linear=linear)
    if "layer_kinds" not in fields:
        fields["layer_pattern"] = pattern
    return Architecture(**fields)


def _mixtral(c: Config) -> Architecture:
    moe = MoE(
        num_experts=c["num_local_experts"],
        experts_per_token=c["num_experts_per_tok"],
        expert_intermediate_size=c["intermediate_size"],
    )
    return Architecture(**_base(c, "mixtral", intermediate_size=0, moe=moe))


def _gemma(c: Config) -> Architecture:
    family = c["model_type"]
    fields = _base(c, family, tie_word_embeddings=bool(c.get("tie_word_embeddings", True)))
    if family == "gemma2":
        fields["norms_per_layer"] = 4
        if "layer_kinds" not in fields:
            fields["layer_pattern"] = (LayerKind.SLIDING, LayerKind.FULL)
            fields["sliding_window"] = c["sliding_window"]
    elif family in ("gemma3", "gemma3_text"):
        fields["family"] = "gemma3"
        fields["norms_per_layer"] = 4
        fields["qk_norm"] = True
        if "layer_kinds" not in fields:
            n = c.get("sliding_window_pattern", 6)
            fields["layer_pattern"] = (LayerKind.SLIDING,) * (n - 1) + (LayerKind.FULL,)
            fields["sliding_window"] = c["sliding_window"]
    return Architecture(**fields)


def _phi3(c: Config) -> Architecture:
    return Architecture(**_base(c, "phi3", fused_qkv=True))


def _deepseek(c: Config) -> Architecture:
    family = c["model_type"]
    moe = _deepseek_style_moe(c, router_bias=c.get("topk_method") == "noaux_tc")
    mla = MLA(
        kv_lora_rank=c["kv_lora_rank"],
        q_lora_rank=c.get("q_lora_rank"),
        qk_rope_head_dim=c["qk_rope_head_dim"],
        qk_nope_head_dim=c["qk_nope_head_dim"],
        v_head_dim=c["v_head_dim"],
    )
    fields = _base(c, family, moe=moe, mla=mla, layer_pattern=(LayerKind.MLA,))
    fields.pop("layer_kinds", None)
    return Architecture(**fields)


def _gpt_oss(c: Config) -> Architecture:
    moe = MoE(
        num_experts=c["num_local_experts"],
        experts_per_token=c.get("num_experts_per_tok") or c["experts_per_token"],
        expert_intermediate_size=c["intermediate_size"],
        router_bias=True,
        expert_bias=True,
    )
    fields = _base(
        c,
        "gpt_oss",
        intermediate_size=0,
        attention_bias=True,
        attention_output_bias=True,
        attention_sinks=True,
        moe=moe,
    )
    if "layer_kinds" not in fields:
        fields["layer_pattern"] = (LayerKind.SLIDING, LayerKind.FULL)
        fields["sliding_window"] = c["sliding_window"]
    return Architecture(**fields)


def _glm4_moe(c: Config) -> Architecture:
    moe = _deepseek_style_moe(c, router_bias=True)
    return Architecture(
        **_base(
            c,
            "glm4_moe",
            attention_bias=bool(c.get("attention_bias", True)),
            qk_norm=bool(c.get("use_qk_norm", False)),
            moe=moe,
        )
    )


def _llama4(c: Config) -> Architecture:
    moe = MoE(
        num_experts=c["num_local_experts"],
        experts_per_token=c["num_experts_per_tok"],
        expert_intermediate_size=c["intermediate_size"],
        shared_experts=1,
        layer_step=c.get("interleave_moe_layer_step", 1),
    )
    chunk = c.get("attention_chunk_size")
    pattern = (LayerKind.CHUNKED,) * 3 + (LayerKind.FULL,) if chunk else (LayerKind.FULL,)
    fields = _base(
        c,
        "llama4",
        intermediate_size=c.get("intermediate_size_mlp", c["intermediate_size"]),
        moe=moe,
        layer_pattern=pattern,
        attention_chunk_size=chunk,
    )
    fields.pop("layer_kinds", None)
    return Architecture(**fields)


def _cohere(c: Config) -> Architecture:
    # Command R: one shared input norm per layer (parallel attention + FFN), tied embeddings.
    return Architecture(
        **_base(
            c,
            c["model_type"],
            norms_per_layer=1,
            qk_norm=bool(c.get("use_qk_norm", False)),
            tie_word_embeddings=bool(c.get("tie_word_embeddings", True)),
        )
    )


def _nemotron_h(c: Config) -> Architecture:
    pattern = c["hybrid_override_pattern"]
    kinds = {"M": LayerKind.LINEAR, "*": LayerKind.FULL, "-": LayerKind.NONE}
    mamba = Mamba2(
        num_heads=c["mamba_num_heads"],
        head_dim=c["mamba_head_dim"],
        state_size=c["ssm_state_size"],
        n_groups=c["n_groups"],
        conv_kernel=c["conv_kernel"],
        conv_bias=bool(c.get("use_conv_bias", True)),
        proj_bias=bool(c.get("use_bias", False)),
    )
    return Architecture(
        **_base(
            c,
            "nemotron_h",
            ffn="plain",
            norms_per_layer=1,
            layer_kinds=tuple(kinds[ch] for ch in pattern),
            ffn_layers=tuple(ch == "-" for ch in pattern),
            linear=mamba,
        )
    )


BUILDERS: dict[str, Callable[[Config], Architecture]] = {
    "llama": _llama,
    "mistral": _llama,
    "granite": _llama,
    "olmo2": _olmo2,
    "qwen2": _qwen2,
    "qwen3": _qwen3,
    "qwen2_moe": _qwen_moe,
    "qwen3_moe": _qwen_moe,
    "qwen3_next": _qwen3_next,
    "mixtral": _mixtral,
    "gemma": _gemma,
    "gemma2": _gemma,
    "gemma3": _gemma,
    "gemma3_text": _gemma,
    "phi3": _phi3,
    "deepseek_v2": _deepseek,
    "deepseek_v3": _deepseek,
    "kimi_k2": _deepseek,
    "gpt_oss": _gpt_oss,
    "glm4_moe": _glm4_moe,
    "llama4": _llama4,
    "llama4_text": _llama4,
    "cohere": _cohere,
    "cohere2": _cohere,
    "nemotron_h": _nemotron_h,
}


def architecture_from_config(config: Config) -> Architecture:
    """Build the architecture for a parsed config.json (multimodal configs use their text part)."""
    c = config
    text = c.get("text_config")
    if isinstance(text, dict) and "hidden_size" in text:
        c = {**text, "model_type": text.get("model_type") or c.get("model_type")}
    model_type = str(c.get("model_type", "")).lower()
    builder = BUILDERS.get(model_type)
    if builder is None:
        raise UnsupportedArchitectureError(model_type or "(no model_type)")
    try:
        return builder(c)
    except KeyError as exc:
        raise ValueError(f"config.json for {model_type!r} lacks the field {exc.args[0]!r}") from exc


def context_window(config: Config) -> int | None:
    c = config.get("text_config") if isinstance(config.get("text_config"), dict) else config
    return c.get("max_position_embeddings")


def load_config(path: Path | str) -> Config:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a JSON object")
    return data
