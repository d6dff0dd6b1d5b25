"""Scratch memory each engine needs beyond weights and cache.

llama.cpp reserves its compute buffer by a dry run of the worst-case graph at ``n_ubatch`` tokens
(estimator-research.md §6c). Its peak is one of a few phases, whichever is largest: the output
logits (vocab x ubatch f32), the attention scores (without flash attention: KV cells x ubatch x
heads f32, which is why the buffer grows with context), or the FFN intermediates. The constants
here are calibrated against real llama.cpp logs in ``benchmarks/accuracy``.
"""

from __future__ import annotations

from fitmygpu.architecture import Architecture, LayerKind
from fitmygpu.estimator.constants import (
    MLX_PREFILL_STEP,
    VLLM_CUDA_GRAPHS,
    VLLM_MAX_NUM_SEQS,
    VLLM_NON_TORCH,
)

F32 = 4


def _ffn_width(arch: Architecture) -> int:
    """Widest FFN activation per token: the dense FFN, or the active experts plus shared ones."""
    dense = arch.intermediate_size
    m = arch.moe
    if m is None:
        return dense
    moe = m.experts_per_token * m.expert_intermediate_size + m.shared_experts * m.shared_width
    return max(dense, moe)


def _attn_width(arch: Architecture) -> int:
    """Q + K + V activation width per token."""
    if arch.mla is not None:
        m = arch.mla
        return arch.num_attention_heads * (2 * (m.qk_nope_head_dim + m.qk_rope_head_dim) + m.v_head_dim)
    return (arch.num_attention_heads + 2 * arch.num_kv_heads) * arch.k_head_dim


def llama_cpp_compute(arch: Architecture, kv_cells: int, ubatch: int, flash_attn: bool) -> int:
    """Main-device compute buffer of llama.cpp with the whole model offloaded.

    Logits phase: vocab x ubatch f32 plus the normed hidden state (the measured Llama-3-8B buffer
    at ub 512 is 258.5 MiB = 250.5 MiB logits + 8 MiB hidden, estimator-research.md §11).
    Attention phase without flash attention: the KQ scores and their softmax, both
    cells x ubatch x heads f32, plus the f32 mask; with flash attention only an f16 mask and the
    Q/K/V activations. FFN phase: gate, up and activation at ubatch x width f32.
    """
    h = arch.hidden_size
    ub = ubatch
    hidden_io = ub * h * F32
    logits = arch.vocab_size * ub * F32 + hidden_io
    has_attention = any(k not in (LayerKind.LINEAR, LayerKind.NONE) for k in arch.kinds)
    if not has_attention:
        attention = 0
    elif flash_attn:
        attention = kv_cells * ub * 2 + ub * _attn_width(arch) * F32 + 2 * hidden_io
    else:
        heads = arch.num_attention_heads
        attention = 2 * kv_cells * ub * heads * F32 + kv_cells * ub * F32 + 2 * hidden_io
    ffn = 3 * ub * _ffn_width(arch) * F32 + 2 * hidden_io
    return max(logits, attention, ffn)


def llama_cpp_layer_compute(arch: Architecture, kv_cells: int, ubatch: int, flash_attn: bool) -> int:
    """Compute buffer on a device that holds layers but not the output (multi-GPU layer split)."""
    h = arch.hidden_size
    ub = ubatch
    hidden_io = ub * h * F32
    if flash_attn:
        attention = kv_cells * ub * 2 + ub * _attn_width(arch) * F32 + 2 * hidden_io
    else:
        attention = 2 * kv_cells * ub * arch.num_attention_heads * F32 + kv_cells * ub * F32
    ffn = 3 * ub * _ffn_width(arch) * F32 + 2 * hidden_io
    return max(attention, ffn)


def llama_cpp_host_compute(arch: Architecture, ubatch: int) -> int:
    """Host-side buffer when layers run on the CPU: the input embeddings and layer activations."""
    return ubatch * (arch.hidden_size * 3 + _ffn_width(arch) * 3) * F32


def vllm_overheads(arch: Architecture, batched_tokens: int, tp: int) -> tuple[int, int]:
    """(activation peak, non-torch + CUDA graphs) per GPU for vLLM's profile run.

    The profile runs a dummy forward of ``max_num_batched_tokens`` tokens and a dummy sampler pass
    over ``max_num_seqs`` rows of vocab-wide f32 logits (vllm/v1/worker/gpu_model_runner.py
    profile_run). We approximate the forward peak as the widest per-token activations in bf16 and
    the sampler as three vocab-wide f32 copies (logits, softmax, sort).
    """
    per_token = 2 * arch.hidden_size + (_attn_width(arch) + 3 * _ffn_width(arch)) // tp
    forward = batched_tokens * per_token * 2
    sampler = 3 * VLLM_MAX_NUM_SEQS * arch.vocab_size * F32
    return forward + sampler, VLLM_NON_TORCH + VLLM_CUDA_GRAPHS


def transformers_peak(arch: Architecture, prompt_tokens: int) -> int:
    """Forward-pass peak of a Transformers prefill: the whole prompt at once, bf16 activations
    (SDPA/flash kernels avoid the tokens^2 score matrix), logits only for the last token."""
    per_token = 4 * arch.hidden_size + _attn_width(arch) + 3 * _ffn_width(arch)
    return prompt_tokens * per_token * 2 + arch.vocab_size * F32 * 2


def mlx_peak(arch: Architecture, prompt_tokens: int) -> int:
    """mlx_lm prefills in chunks of ``prefill_step_size`` (2048) tokens, bf16 activations."""
    chunk = min(prompt_tokens, MLX_PREFILL_STEP)
    per_token = 4 * arch.hidden_size + _attn_width(arch) + 3 * _ffn_width(arch)
    return chunk * per_token * 2 + arch.vocab_size * F32 * 2
