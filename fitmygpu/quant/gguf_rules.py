"""llama-quantize's per-tensor type choice for each GGUF file preset.

A "Q4_K_M" file is not 4.5 bits per weight everywhere: llama.cpp bumps the output matrix to Q6_K,
half the ``attn_v`` and ``ffn_down`` tensors to Q6_K, and falls back to another type when a row is
not a whole number of 256-weight blocks. This module re-implements ``llama_tensor_get_type`` from
llama.cpp ``src/llama-quant.cpp`` (2026) as summarised, with sources, in
../shared/reference/estimator-research.md §10; rule numbers below refer to that section.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from fitmygpu.architecture import Architecture, TensorSpec
from fitmygpu.quant.ggml_types import LAYOUT, GGMLType, fits_rows

T = GGMLType


class GGUFPreset(StrEnum):
    """llama-quantize file types (``--help`` names)."""

    F32 = "F32"
    F16 = "F16"
    BF16 = "BF16"
    Q8_0 = "Q8_0"
    Q6_K = "Q6_K"
    Q5_K_M = "Q5_K_M"
    Q5_K_S = "Q5_K_S"
    Q5_1 = "Q5_1"
    Q5_0 = "Q5_0"
    Q4_K_M = "Q4_K_M"
    Q4_K_S = "Q4_K_S"
    Q4_1 = "Q4_1"
    Q4_0 = "Q4_0"
    IQ4_XS = "IQ4_XS"
    IQ4_NL = "IQ4_NL"
    Q3_K_L = "Q3_K_L"
    Q3_K_M = "Q3_K_M"
    Q3_K_S = "Q3_K_S"
    IQ3_M = "IQ3_M"
    IQ3_S = "IQ3_S"
    IQ3_XS = "IQ3_XS"
    IQ3_XXS = "IQ3_XXS"
    Q2_K = "Q2_K"
    Q2_K_S = "Q2_K_S"
    IQ2_M = "IQ2_M"
    IQ2_S = "IQ2_S"
    IQ2_XS = "IQ2_XS"
    IQ2_XXS = "IQ2_XXS"
    IQ1_M = "IQ1_M"
    IQ1_S = "IQ1_S"
    TQ2_0 = "TQ2_0"
    TQ1_0 = "TQ1_0"
    MXFP4_MOE = "MXFP4_MOE"


P = GGUFPreset

BASE_TYPE: dict[GGUFPreset, GGMLType] = {
    P.F32: T.F32,
    P.F16: T.F16,
    P.BF16: T.BF16,
    P.Q8_0: T.Q8_0,
    P.Q6_K: T.Q6_K,
    P.Q5_K_M: T.Q5_K,
    P.Q5_K_S: T.Q5_K,
    P.Q5_1: T.Q5_1,
    P.Q5_0: T.Q5_0,
    P.Q4_K_M: T.Q4_K,
    P.Q4_K_S: T.Q4_K,
    P.Q4_1: T.Q4_1,
    P.Q4_0: T.Q4_0,
    P.IQ4_XS: T.IQ4_XS,
    P.IQ4_NL: T.IQ4_NL,
    P.Q3_K_L: T.Q3_K,
    P.Q3_K_M: T.Q3_K,
    P.Q3_K_S: T.Q3_K,
    P.IQ3_M: T.IQ3_S,
    P.IQ3_S: T.IQ3_S,
    P.IQ3_XS: T.IQ3_S,
    P.IQ3_XXS: T.IQ3_XXS,
    P.Q2_K: T.Q2_K,
    P.Q2_K_S: T.Q2_K,
    P.IQ2_M: T.IQ2_S,
    P.IQ2_S: T.IQ2_XS,
    P.IQ2_XS: T.IQ2_XS,
    P.IQ2_XXS: T.IQ2_XXS,
    P.IQ1_M: T.IQ1_M,
    P.IQ1_S: T.IQ1_S,
    P.TQ2_0: T.TQ2_0,
    P.TQ1_0: T.TQ1_0,
    P.MXFP4_MOE: T.MXFP4,
}

NEEDS_IMATRIX = frozenset({P.IQ1_S, P.IQ1_M, P.IQ2_XXS, P.IQ2_XS, P.IQ2_S, P.IQ3_XXS})
_VERY_LOW = {P.IQ2_XXS, P.IQ2_XS, P.IQ1_S, P.IQ2_S, P.IQ2_M, P.IQ1_M}
_ATTN_V_LIKE = {"attn_v", "attn_qkv", "attn_kv_b"}
_FALLBACK: dict[GGMLType, GGMLType] = {
    **{t: T.IQ4_NL for t in (T.IQ1_S, T.IQ1_M, T.IQ2_XXS, T.IQ2_XS, T.IQ2_S, T.IQ3_XXS, T.IQ3_S)},
    T.IQ4_XS: T.IQ4_NL,
    T.Q2_K: T.Q4_0,
    T.Q3_K: T.Q4_0,
    T.TQ1_0: T.Q4_0,
    T.TQ2_0: T.Q4_0,
    T.Q4_K: T.Q5_0,
    T.Q5_K: T.Q5_1,
    T.Q6_K: T.Q8_0,
}


def use_more_bits(i: int, n: int) -> bool:
    """llama.cpp's pattern for "half the layers": the first and last eighth, and every third."""
    return i < n // 8 or i >= 7 * n // 8 or (i - n // 8) % 3 == 2


def _category(t: TensorSpec, tied: bool) -> str:
    role = t.role
    if role == "output" or (role == "token_embd" and tied):
        return "output"
    if role == "token_embd":
        return "token_embd"
    if role in _ATTN_V_LIKE:
        return "attn_v"
    for cat in ("attn_k", "attn_q", "attn_output", "ffn_down", "ffn_gate", "ffn_up"):
        if role == cat or (role.startswith(cat + "_") and cat.startswith("ffn")):
            return cat
    return "other"


@dataclass
class _Counters:
    n_wv: int
    n_layer: int
    i_wv: int = 0
    seen: dict[str, int] = field(default_factory=dict)

    def next(self, cat: str) -> int:
        i = self.seen.get(cat, 0)
        self.seen[cat] = i + 1
        return i


class TensorTypePlanner:
    """Assigns a ggml type to each tensor of one architecture under one preset, in file order."""

    def __init__(self, arch: Architecture, preset: GGUFPreset, *, imatrix: bool | None = None) -> None:
        self.arch = arch
        self.preset = preset
        # Rule 15: these presets refuse to run without an importance matrix, so a real file of
        # that type was made with one; the others default to llama-quantize's plain run.
        self.imatrix = preset in NEEDS_IMATRIX if imatrix is None else imatrix
        self.base = BASE_TYPE[preset]
        self.n_gqa = arch.gqa_ratio
        self.n_expert = arch.moe.num_experts if arch.moe else 0
        # llama.cpp's LLM_TYPE_70B: Llama 2/3 70B (80 layers, hidden 8192).
        self.is_70b = arch.num_layers == 80 and arch.hidden_size == 8192

    def plan(self, tensors: Iterable[TensorSpec]) -> list[tuple[TensorSpec, GGMLType]]:
        tensors = list(tensors)
        tied = self.arch.tie_word_embeddings
        quantized = LAYOUT[self.base].block > 1
        n_wv = sum(1 for t in tensors if t.quantizable and _category(t, tied) == "attn_v")
        c = _Counters(n_wv=n_wv, n_layer=self.arch.num_layers)
        out: list[tuple[TensorSpec, GGMLType]] = []
        for t in tensors:
            if not t.quantizable:
                out.append((t, T.F32))
                continue
            if not quantized:
                out.append((t, self.base))
                continue
            ty = self._rules(t, _category(t, tied), c)
            out.append((t, self._fallback(ty, t.ne[0])))
        return out

    @staticmethod
    def _fallback(ty: GGMLType, row: int) -> GGMLType:
        """Rule 14: a row that is not whole blocks moves to a type whose block divides it."""
        if fits_rows(ty, row):
            return ty
        alt = _FALLBACK.get(ty, T.F16)
        return alt if fits_rows(alt, row) else T.F16

    def _layer_index(self, t: TensorSpec, cat: str, c: _Counters) -> tuple[int, int]:
        """(i, n) for the per-layer rules: layer from the name for MoE, a running count otherwise."""
        i = c.next(cat)
        if self.n_expert > 1 and t.layer is not None:
            i = t.layer
        return i, c.n_layer

    def _rules(self, t: TensorSpec, cat: str, c: _Counters) -> GGMLType:
        p, ty = self.preset, self.base
        # Rule 1: the output matrix (and tied embeddings, which double as it).
        if cat == "output":
            if p == P.MXFP4_MOE:
                return T.Q8_0
            if t.ne[0] % LAYOUT[ty].block:
                return T.Q8_0
            if p in {P.IQ1_S, P.IQ1_M, P.IQ2_XXS, P.IQ2_XS, P.IQ2_S, P.IQ2_M, P.IQ3_XXS}:
                return T.Q5_K
            return ty if ty == T.Q8_0 else T.Q6_K
        # Rule 2: MXFP4_MOE puts experts in MXFP4 and everything else in Q8_0.
        if p == P.MXFP4_MOE:
            return T.MXFP4 if t.expert_dim else T.Q8_0
        # Rule 3: untied token embeddings.
        if cat == "token_embd":
            if p in {P.IQ2_XXS, P.IQ2_XS, P.IQ1_S, P.IQ1_M}:
                return T.Q2_K
            if p in {P.IQ2_S, P.IQ2_M, P.IQ3_XXS}:
                return T.IQ3_S
            if p in {P.TQ1_0, P.TQ2_0}:
                return T.Q4_K
            return ty
        # Rule 4: very-low-bit presets.
        if p in _VERY_LOW:
            return self._very_low(t, cat, c)
        if cat == "attn_v":
            return self._attn_v(c)
        if cat == "attn_k":
            if self.n_expert == 8:
                return T.Q8_0
            return {P.IQ3_XS: T.IQ3_XXS, P.IQ3_XXS: T.IQ2_S}.get(p, ty)
        if cat == "attn_q":
            return {P.IQ3_XS: T.IQ3_XXS, P.IQ3_XXS: T.IQ2_S}.get(p, ty)
        if cat == "ffn_down":
            return self._ffn_down(t, c)
        if cat == "attn_output":
            if self.n_expert == 8:
                bumped = {
                    P.Q2_K,
                    P.IQ3_XS,
                    P.IQ3_XXS,
                    P.Q3_K_S,
                    P.Q3_K_M,
                    P.IQ4_NL,
                    P.Q4_K_S,
                    P.Q4_K_M,
                    P.IQ3_S,
                    P.IQ3_M,
                    P.IQ4_XS,
                }
                return T.Q5_K if p in bumped else ty
            return {
                P.Q2_K: T.Q3_K,
                P.IQ3_XXS: T.IQ3_S,
                P.Q3_K_M: T.Q4_K,
                P.Q3_K_L: T.Q5_K,
                P.IQ3_M: T.Q4_K,
            }.get(p, ty)
        if cat in ("ffn_gate", "ffn_up"):
            i, n = self._layer_index(t, cat, c)
            if p == P.IQ3_XS and n // 8 <= i < 7 * n // 8:
                return T.IQ3_XXS
            return ty
        return ty

    def _very_low(self, t: TensorSpec, cat: str, c: _Counters) -> GGMLType:
        p, ty = self.preset, self.base
        iq2_sm = p in {P.IQ2_S, P.IQ2_M}
        if cat == "attn_v":
            c.i_wv += 1
            if self.n_gqa >= 4 or self.n_expert >= 4:
                return T.Q4_K
            return T.IQ3_S if iq2_sm else T.Q2_K
        if cat == "attn_k" and self.n_expert == 8:
            return T.Q4_K
        if cat == "ffn_down":
            i, n = self._layer_index(t, cat, c)
            if i < n // 8:
                return T.IQ3_S if iq2_sm else T.Q2_K
            return ty
        if cat == "attn_output":
            if self.n_expert == 8:
                return T.Q5_K
            if p in {P.IQ1_S, P.IQ1_M}:
                return T.IQ2_XXS
            if iq2_sm:
                return T.IQ3_S
        return ty

    def _attn_v(self, c: _Counters) -> GGMLType:
        p, ty, gqa4 = self.preset, self.base, self.n_gqa >= 4
        i = c.i_wv
        c.i_wv += 1
        if p == P.Q2_K:
            ty = T.Q4_K if gqa4 else T.Q3_K
        elif p == P.Q2_K_S and gqa4:
            ty = T.Q4_K
        elif p == P.IQ3_XXS:
            ty = T.Q4_K if gqa4 else (T.IQ3_XXS if self.imatrix else T.IQ3_S)
        elif (p in {P.IQ3_XS, P.IQ3_S} and gqa4) or p == P.IQ3_M:
            ty = T.Q4_K
        elif p == P.Q3_K_M:
            ty = T.Q5_K if i < 2 else T.Q4_K
        elif p == P.Q3_K_L or (p in {P.IQ4_NL, P.IQ4_XS} and gqa4):
            ty = T.Q5_K
        elif p in {P.Q4_K_M, P.Q5_K_M} and use_more_bits(i, c.n_wv):
            ty = T.Q6_K
        elif p == P.Q4_K_S and i < 4:
            ty = T.Q5_K
        if self.is_70b and ty in {T.Q3_K, T.Q4_K}:
            ty = T.Q5_K
        if self.n_expert == 8:
            ty = T.Q8_0
        return ty

    def _ffn_down(self, t: TensorSpec, c: _Counters) -> GGMLType:
        p, ty = self.preset, self.base
        i, n = self._layer_index(t, "ffn_down", c)
        if p == P.Q2_K:
            return T.Q3_K
        if p == P.Q2_K_S:
            return T.Q4_K if i < n // 8 else ty
        if p == P.IQ3_XXS and not self.imatrix:
            return T.Q4_K if i < n // 8 else T.Q3_K
        if p == P.Q3_K_M:
            return T.Q5_K if i < n // 16 else T.Q4_K
        if p == P.IQ3_M:
            if i < n // 8 or (self.n_expert == 8 and use_more_bits(i, n)):
                return T.Q4_K
            return ty
        if p == P.Q3_K_L:
            return T.Q5_K
        if p in {P.Q4_K_M, P.Q5_K_M}:
            return T.Q6_K if use_more_bits(i, n) else ty
        if p in {P.IQ4_NL, P.IQ4_XS} and not self.imatrix:
            return T.Q5_K if i < n // 8 else ty
        if p == P.Q4_K_S:
            return T.Q5_K if i < n // 8 else ty
        if self.imatrix and p in {P.Q4_0, P.Q5_0} and i < n // 8:
            return T.Q4_1 if p == P.Q4_0 else T.Q5_1
        return ty
