"""A model's architecture, precise enough to list every weight tensor with its shape.

Every memory figure FitMyGPU prints starts here. Parameter counts are *derived* from these shapes
(never typed in by hand), so a catalog entry whose derived count disagrees with the vendor's
official count exposes a wrong field instead of hiding it.

Tensor names and shapes follow llama.cpp's GGUF conventions (``blk.N.attn_q.weight`` with ``ne[0]``
the row length), because llama.cpp's per-tensor quantization rules key off those names and the row
length decides the K-quant shape fallbacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class LayerKind(StrEnum):
    """How one layer mixes tokens; this decides what it keeps in memory per token."""

    FULL = "full"  # global attention: KV for every token in context
    SLIDING = "sliding"  # sliding-window attention: KV for the last `sliding_window` tokens
    CHUNKED = "chunked"  # chunked local attention (Llama 4): KV for the current chunk
    MLA = "mla"  # multi-head latent attention: one compressed latent per token
    LINEAR = "linear"  # linear attention / SSM: a fixed-size recurrent state per sequence
    NONE = "none"  # no token mixer (an MLP-only layer, e.g. Nemotron-H "-")


ATTENTION_KINDS = frozenset({LayerKind.FULL, LayerKind.SLIDING, LayerKind.CHUNKED})


class Strict(BaseModel):
    """Catalog boundary models reject unknown fields so a typo is an error, not a silent default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class MoE(Strict):
    num_experts: int = Field(gt=1)
    experts_per_token: int = Field(gt=0)
    expert_intermediate_size: int = Field(gt=0)
    shared_experts: int = Field(0, ge=0)
    shared_intermediate_size: int | None = Field(
        None, description="Width of each shared expert; defaults to expert_intermediate_size."
    )
    shared_expert_gate: bool = Field(False, description="Qwen2-MoE style sigmoid gate (hidden -> 1).")
    dense_leading_layers: int = Field(0, ge=0, description="first_k_dense_replace")
    layer_step: int = Field(1, ge=1, description="MoE on every Nth layer after the dense ones.")
    router_bias: bool = Field(False, description="A per-expert router bias (gpt-oss, DeepSeek V3).")
    expert_bias: bool = Field(False, description="Biases inside each expert's projections (gpt-oss).")

    @property
    def shared_width(self) -> int:
        return self.shared_intermediate_size or self.expert_intermediate_size


class MLA(Strict):
    """DeepSeek-style multi-head latent attention (DeepSeek V2/V3, Kimi K2, GLM-4.7-Flash)."""

    kv_lora_rank: int = Field(gt=0)
    q_lora_rank: int | None = Field(None, gt=0)
    qk_rope_head_dim: int = Field(gt=0)
    qk_nope_head_dim: int = Field(gt=0)
    v_head_dim: int = Field(gt=0)

    @property
    def latent_width(self) -> int:
        """Elements cached per token and layer: the compressed KV plus the shared RoPE key."""
        return self.kv_lora_rank + self.qk_rope_head_dim


class GatedDeltaNet(Strict):
    """Qwen3-Next / Qwen3.5 linear attention layers."""

    kind: Literal["gated_deltanet"] = "gated_deltanet"
    num_key_heads: int = Field(gt=0)
    num_value_heads: int = Field(gt=0)
    key_head_dim: int = Field(gt=0)
    value_head_dim: int = Field(gt=0)
    conv_kernel: int = Field(4, gt=0)

    @property
    def key_dim(self) -> int:
        return self.num_key_heads * self.key_head_dim

    @property
    def value_dim(self) -> int:
        return self.num_value_heads * self.value_head_dim

    @property
    def conv_dim(self) -> int:
        return 2 * self.key_dim + self.value_dim

    def conv_state_elements(self) -> int:
        return (self.conv_kernel - 1) * self.conv_dim

    def ssm_state_elements(self) -> int:
        return self.num_value_heads * self.key_head_dim * self.value_head_dim


class Mamba2(Strict):
    """Mamba-2 mixers (Granite 4.0-H, Nemotron-H, Falcon-H1, Jamba-style hybrids)."""

    kind: Literal["mamba2"] = "mamba2"
    num_heads: int = Field(gt=0)
    head_dim: int = Field(gt=0)
    state_size: int = Field(gt=0)
    n_groups: int = Field(1, gt=0)
    conv_kernel: int = Field(4, gt=0)
    conv_bias: bool = True
    proj_bias: bool = False

    @property
    def d_inner(self) -> int:
        return self.num_heads * self.head_dim

    @property
    def conv_dim(self) -> int:
        return self.d_inner + 2 * self.n_groups * self.state_size

    def conv_state_elements(self) -> int:
        return (self.conv_kernel - 1) * self.conv_dim

    def ssm_state_elements(self) -> int:
        return self.state_size * self.d_inner


LinearMixer = Annotated[GatedDeltaNet | Mamba2, Field(discriminator="kind")]


@dataclass(frozen=True, slots=True)
class TensorSpec:
    """One weight tensor as llama.cpp names and shapes it (``ne[0]`` is the row length).

    A plain dataclass, not a pydantic model: a 671B MoE lists thousands of these, and building
    them must stay cheap enough to validate the whole catalog in well under a second.
    """

    name: str
    ne: tuple[int, ...]
    layer: int | None = None
    expert_dim: bool = False  # the last dimension enumerates experts (ffn_*_exps)
    quantizable: bool = True

    @property
    def elements(self) -> int:
        n = 1
        for d in self.ne:
            n *= d
        return n

    @property
    def role(self) -> str:
        """The name without ``blk.N.`` and ``.weight``/``.bias`` (e.g. ``attn_v``)."""
        base = self.name.split(".")
        return base[2] if base[0] == "blk" else base[0]


class Architecture(Strict):
    """Enough of a model's geometry to list its tensors and size its cache per layer."""

    family: str = Field(description="Hugging Face model_type, e.g. qwen2, llama, gemma3, deepseek_v3")
    vocab_size: int = Field(gt=0)
    hidden_size: int = Field(gt=0)
    intermediate_size: int = Field(ge=0, description="Dense FFN width (0 when every layer is MoE)")
    num_layers: int = Field(gt=0)
    num_attention_heads: int = Field(gt=0)
    num_kv_heads: int = Field(gt=0)
    head_dim: int | None = Field(None, gt=0, description="K (and Q) head dim; hidden/heads if unset")
    v_head_dim: int | None = Field(None, gt=0, description="V head dim; head_dim if unset")
    tie_word_embeddings: bool = False
    attention_bias: bool = Field(False, description="Biases on Q, K and V projections")
    attention_output_bias: bool = False
    mlp_bias: bool = False
    qk_norm: bool = Field(False, description="Per-head RMSNorm on Q and K (Qwen3, Gemma 3)")
    qk_norm_full: bool = Field(
        False, description="RMSNorm over the whole Q and K projections (OLMo 2/3), not per head"
    )
    attn_output_gate: bool = Field(False, description="Gated attention: Q projection doubled")
    attention_sinks: bool = Field(False, description="Learned per-head sink logits (gpt-oss)")
    fused_qkv: bool = Field(False, description="One attn_qkv tensor (Phi-3)")
    ffn: Literal["gated", "plain"] = Field("gated", description="gated = gate/up/down (SwiGLU)")
    norms_per_layer: int = Field(2, ge=0, description="Hidden-size norm vectors per layer")
    layer_pattern: tuple[LayerKind, ...] = Field(
        (LayerKind.FULL,), min_length=1, description="Repeated cyclically over the layers"
    )
    layer_kinds: tuple[LayerKind, ...] | None = Field(
        None, description="Explicit kind of every layer; overrides layer_pattern"
    )
    ffn_layers: tuple[bool, ...] | None = Field(
        None, description="Which layers carry an FFN (cyclic); all of them if unset"
    )
    sliding_window: int | None = Field(None, gt=0)
    attention_chunk_size: int | None = Field(None, gt=0)
    full_head_dim: int | None = Field(None, gt=0, description="Head dim on full layers, if different")
    full_kv_heads: int | None = Field(None, gt=0, description="KV heads on full layers, if different")
    kv_shared_layers: int = Field(
        0, ge=0, description="Trailing layers that reuse an earlier layer's KV (Gemma 3n)"
    )
    moe: MoE | None = None
    mla: MLA | None = None
    linear: LinearMixer | None = None
    extra_params: int = Field(
        0, ge=0, description="Parameters outside the text decoder (vision/audio towers, PLE)"
    )
    extra_params_note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Architecture:
        kinds = set(self.kinds)
        if LayerKind.MLA in kinds and self.mla is None:
            raise ValueError("layers of kind 'mla' need an `mla` block")
        if LayerKind.LINEAR in kinds and self.linear is None:
            raise ValueError("layers of kind 'linear' need a `linear` block")
        if LayerKind.SLIDING in kinds and self.sliding_window is None:
            raise ValueError("layers of kind 'sliding' need `sliding_window`")
        if LayerKind.CHUNKED in kinds and self.attention_chunk_size is None:
            raise ValueError("layers of kind 'chunked' need `attention_chunk_size`")
        if self.layer_kinds is not None and len(self.layer_kinds) != self.num_layers:
            raise ValueError(
                f"layer_kinds lists {len(self.layer_kinds)} layers, num_layers is {self.num_layers}"
            )
        if self.num_attention_heads % self.num_kv_heads:
            raise ValueError("num_attention_heads must be a multiple of num_kv_heads")
        if self.kv_shared_layers >= self.num_layers:
            raise ValueError("kv_shared_layers must leave at least one layer with its own cache")
        return self

    # ----- derived geometry -------------------------------------------------------------------

    @cached_property
    def kinds(self) -> tuple[LayerKind, ...]:
        """The kind of every layer, in order."""
        if self.layer_kinds is not None:
            return self.layer_kinds
        p = self.layer_pattern
        return tuple(p[i % len(p)] for i in range(self.num_layers))

    @property
    def k_head_dim(self) -> int:
        return self.head_dim or self.hidden_size // self.num_attention_heads

    @property
    def v_dim(self) -> int:
        return self.v_head_dim or self.k_head_dim

    def layer_head_dims(self, layer: int) -> tuple[int, int, int]:
        """(kv_heads, k_head_dim, v_head_dim) of an attention layer, honouring full-layer overrides."""
        if self.kinds[layer] == LayerKind.FULL and (self.full_head_dim or self.full_kv_heads):
            hd = self.full_head_dim or self.k_head_dim
            return (self.full_kv_heads or self.num_kv_heads, hd, hd)
        return (self.num_kv_heads, self.k_head_dim, self.v_dim)

    def has_ffn(self, layer: int) -> bool:
        if self.ffn_layers is None:
            return True
        return self.ffn_layers[layer % len(self.ffn_layers)]

    def is_moe_layer(self, layer: int) -> bool:
        m = self.moe
        if m is None or layer < m.dense_leading_layers or not self.has_ffn(layer):
            return False
        return (layer - m.dense_leading_layers) % m.layer_step == m.layer_step - 1

    def has_kv(self, layer: int) -> bool:
        """False for layers that keep no per-token cache of their own."""
        if layer >= self.num_layers - self.kv_shared_layers:
            return False
        return self.kinds[layer] in ATTENTION_KINDS or self.kinds[layer] == LayerKind.MLA

    @property
    def kv_layer_count(self) -> int:
        """The model page's "KV-bearing layers": layers that store a per-token cache."""
        return sum(self.has_kv(i) for i in range(self.num_layers))

    @property
    def gqa_ratio(self) -> int:
        return self.num_attention_heads // self.num_kv_heads

    # ----- tensors ----------------------------------------------------------------------------

    @cached_property
    def tensors(self) -> tuple[TensorSpec, ...]:
        """Every weight tensor of the text model, named and shaped as llama.cpp stores them."""
        h = self.hidden_size
        out: list[TensorSpec] = [TensorSpec(name="token_embd.weight", ne=(h, self.vocab_size))]
        for il in range(self.num_layers):
            out.extend(self._layer_tensors(il))
        out.append(TensorSpec(name="output_norm.weight", ne=(h,), quantizable=False))
        if not self.tie_word_embeddings:
            out.append(TensorSpec(name="output.weight", ne=(h, self.vocab_size)))
        return tuple(out)

    def _layer_tensors(self, il: int) -> list[TensorSpec]:
        h = self.hidden_size
        ts: list[TensorSpec] = []

        def w(role: str, *ne: int, quantizable: bool = True, experts: bool = False) -> None:
            ts.append(
                TensorSpec(
                    name=f"blk.{il}.{role}.weight",
                    ne=tuple(ne),
                    layer=il,
                    quantizable=quantizable and len(ne) >= 2,
                    expert_dim=experts,
                )
            )

        def b(role: str, *ne: int) -> None:
            ts.append(TensorSpec(name=f"blk.{il}.{role}.bias", ne=tuple(ne), layer=il, quantizable=False))

        for n in range(self.norms_per_layer):
            w(f"norm_{n}", h)
        kind = self.kinds[il]
        if kind in ATTENTION_KINDS:
            self._attention(il, w, b)
        elif kind == LayerKind.MLA:
            self._mla(w)
        elif kind == LayerKind.LINEAR:
            self._linear(w, b)
        if self.has_ffn(il):
            self._ffn(il, w, b)
        return ts

    def _attention(self, il: int, w, b) -> None:  # noqa: ANN001 - local closures
        h = self.hidden_size
        kv_heads, kd, vd = self.layer_head_dims(il)
        heads = self.num_attention_heads
        q_out = heads * kd * (2 if self.attn_output_gate else 1)
        if self.fused_qkv:
            w("attn_qkv", h, q_out + kv_heads * (kd + vd))
            if self.attention_bias:
                b("attn_qkv", q_out + kv_heads * (kd + vd))
        else:
            w("attn_q", h, q_out)
            w("attn_k", h, kv_heads * kd)
            w("attn_v", h, kv_heads * vd)
            if self.attention_bias:
                b("attn_q", q_out)
                b("attn_k", kv_heads * kd)
                b("attn_v", kv_heads * vd)
        w("attn_output", heads * vd, h)
        if self.attention_output_bias:
            b("attn_output", h)
        if self.qk_norm:
            w("attn_q_norm", kd)
            w("attn_k_norm", kd)
        elif self.qk_norm_full:
            w("attn_q_norm", heads * kd)
            w("attn_k_norm", kv_heads * kd)
        if self.attention_sinks:
            w("attn_sinks", heads)

    def _mla(self, w) -> None:  # noqa: ANN001
        m = self.mla
        assert m is not None
        h, heads = self.hidden_size, self.num_attention_heads
        qk = m.qk_nope_head_dim + m.qk_rope_head_dim
        if m.q_lora_rank:
            w("attn_q_a", h, m.q_lora_rank)
            w("attn_q_a_norm", m.q_lora_rank)
            w("attn_q_b", m.q_lora_rank, heads * qk)
        else:
            w("attn_q", h, heads * qk)
        w("attn_kv_a_mqa", h, m.kv_lora_rank + m.qk_rope_head_dim)
        w("attn_kv_a_norm", m.kv_lora_rank)
        w("attn_kv_b", m.kv_lora_rank, heads * (m.qk_nope_head_dim + m.v_head_dim))
        w("attn_output", heads * m.v_head_dim, h)

    def _linear(self, w, b) -> None:  # noqa: ANN001
        mixer = self.linear
        h = self.hidden_size
        if isinstance(mixer, GatedDeltaNet):
            w("ssm_in", h, 2 * mixer.key_dim + 2 * mixer.value_dim)
            w("ssm_ba", h, 2 * mixer.num_value_heads)
            w("ssm_conv1d", mixer.conv_kernel, mixer.conv_dim, quantizable=False)
            w("ssm_dt", mixer.num_value_heads)
            w("ssm_a", mixer.num_value_heads)
            w("ssm_norm", mixer.value_head_dim)
            w("ssm_out", mixer.value_dim, h)
        elif isinstance(mixer, Mamba2):
            in_out = 2 * mixer.d_inner + 2 * mixer.n_groups * mixer.state_size + mixer.num_heads
            w("ssm_in", h, in_out)
            w("ssm_conv1d", mixer.conv_kernel, mixer.conv_dim, quantizable=False)
            if mixer.conv_bias:
                b("ssm_conv1d", mixer.conv_dim)
            w("ssm_dt", mixer.num_heads)
            w("ssm_a", mixer.num_heads)
            w("ssm_d", mixer.num_heads)
            w("ssm_norm", mixer.d_inner)
            w("ssm_out", mixer.d_inner, h)
            if mixer.proj_bias:
                b("ssm_in", in_out)
                b("ssm_out", h)

    def _ffn(self, il: int, w, b) -> None:  # noqa: ANN001
        h = self.hidden_size
        m = self.moe
        if m is not None and self.is_moe_layer(il):
            e, f = m.num_experts, m.expert_intermediate_size
            w("ffn_gate_inp", h, e, quantizable=False)
            if m.router_bias:
                b("ffn_gate_inp", e)
            if self.ffn == "gated":
                w("ffn_gate_exps", h, f, e, experts=True)
            w("ffn_up_exps", h, f, e, experts=True)
            w("ffn_down_exps", f, h, e, experts=True)
            if m.expert_bias:
                if self.ffn == "gated":
                    b("ffn_gate_exps", f, e)
                b("ffn_up_exps", f, e)
                b("ffn_down_exps", h, e)
            if m.shared_experts:
                s = m.shared_width * m.shared_experts
                if self.ffn == "gated":
                    w("ffn_gate_shexp", h, s)
                w("ffn_up_shexp", h, s)
                w("ffn_down_shexp", s, h)
                if m.shared_expert_gate:
                    w("ffn_gate_inp_shexp", h, 1, quantizable=False)
            return
        f = self.intermediate_size
        if f == 0:
            return
        if self.ffn == "gated":
            w("ffn_gate", h, f)
        w("ffn_up", h, f)
        w("ffn_down", f, h)
        if self.mlp_bias:
            if self.ffn == "gated":
                b("ffn_gate", f)
            b("ffn_up", f)
            b("ffn_down", h)

    # ----- parameter counts -------------------------------------------------------------------

    def _layer_signature(self, il: int) -> tuple:
        return (self.kinds[il], self.is_moe_layer(il), self.has_ffn(il), self.layer_head_dims(il))

    @cached_property
    def layer_params(self) -> tuple[tuple[int, int], ...]:
        """(all, routed-expert) parameter counts per layer.

        Layers with the same signature have the same tensors, so each distinct layer is listed once;
        this keeps validating a catalog of 671B MoE models cheap.
        """
        seen: dict[tuple, tuple[int, int]] = {}
        out = []
        for il in range(self.num_layers):
            sig = self._layer_signature(il)
            if sig not in seen:
                ts = self._layer_tensors(il)
                seen[sig] = (sum(t.elements for t in ts), sum(t.elements for t in ts if t.expert_dim))
            out.append(seen[sig])
        return tuple(out)

    @cached_property
    def text_params(self) -> int:
        outside = self.hidden_size * self.vocab_size * (1 if self.tie_word_embeddings else 2)
        return outside + self.hidden_size + sum(total for total, _ in self.layer_params)

    @cached_property
    def total_params(self) -> int:
        """All parameters, including towers outside the text decoder (``extra_params``)."""
        return self.text_params + self.extra_params

    @cached_property
    def active_params(self) -> int:
        """Parameters touched per token: routed experts count only ``experts_per_token`` of them."""
        m = self.moe
        if m is None:
            return self.total_params
        inactive = sum(
            e * (m.num_experts - m.experts_per_token) // m.num_experts for _, e in self.layer_params
        )
        return self.total_params - inactive

    @cached_property
    def embedding_params(self) -> int:
        return self.vocab_size * self.hidden_size
