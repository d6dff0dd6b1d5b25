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
from fitmygpu.estimator.kv import llama_cpp_swa_cells

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


def _q_width(arch: Architecture) -> int:
    """Width of the query (and of the attention output before attn_output) per token."""
    if arch.mla is not None:
        return arch.num_attention_heads * arch.mla.v_head_dim
    return arch.num_attention_heads * arch.k_head_dim


def _attention_cells(
    arch: Architecture, kv_cells: int, ubatch: int, seqs: int, swa_full: bool
) -> tuple[int, int]:
    """(cells of the full-attention cache, cells of the windowed cache; 0 where there is none),
    sized exactly as ``kv.llama_cpp_layer_kv`` sizes the caches."""
    full = windowed = 0
    for kind in set(arch.kinds):
        if kind in (LayerKind.SLIDING, LayerKind.CHUNKED):
            w = arch.sliding_window if kind == LayerKind.SLIDING else arch.attention_chunk_size
            assert w is not None
            windowed = max(windowed, llama_cpp_swa_cells(w, kv_cells, seqs, ubatch, swa_full))
        elif kind in (LayerKind.FULL, LayerKind.MLA):
            full = kv_cells
    return full, windowed


def _attention_phase(
    arch: Architecture, kv_cells: int, ubatch: int, flash_attn: bool, swa_full: bool, seqs: int
) -> int:
    """Peak of one attention block, measured on llama.cpp's CPU backend (benchmarks/accuracy).

    Without flash attention the KQ scores ``cells x ubatch x heads`` f32 exist once: the softmax
    reuses their memory (ggml-alloc in-place), so the slope per cell is ``ubatch x (4 heads + 4)``
    bytes, the +4 being the f32 KQ mask. Fitted on the dry-run logs at 8K-128K: Llama-3-8B
    shapes 572.01 / 2156.01 / 8492.01 MiB at 8K / 32K / 128K (= cells x 512 x 132 B + 44 MiB);
    Qwen2-1.5B 848.01 / 3344.01 MiB at 32K / 128K (x 52 B + 16 MiB); Qwen3-30B-A3B shapes
    2142.01 / 8478.01 MiB (x 132 B + 30 MiB). The constant is
    ``ubatch x (q + k + v + q + 3 hidden) x 4 B`` (Q, K, V, the KQV output, the residual stream and
    the norm outputs): 44 / 16 / 30 MiB exactly for those three, and 1 MiB under Gemma-3-1B's
    12.76 MiB. Sliding-window models keep a second mask for the SWA cache, and their KQ scores are
    the full layers' (the SWA layers' are smaller): Gemma-3-1B at 128K logs 1294.76 MiB, this
    gives 1293.75. With flash attention the scores never materialise; only the f16 masks grow
    with context (on the logs it never exceeded the logits phase, up to 128K).
    """
    full, windowed = _attention_cells(arch, kv_cells, ubatch, seqs, swa_full)
    if not full and not windowed:
        return 0
    act = ubatch * (_attn_width(arch) + _q_width(arch) + 3 * arch.hidden_size) * F32
    if flash_attn:
        return (full + windowed) * ubatch * 2 + act
    scores = max(full, windowed) * ubatch * arch.num_attention_heads * F32
    return scores + (full + windowed) * ubatch * F32 + act


def llama_cpp_compute(
    arch: Architecture, kv_cells: int, ubatch: int, flash_attn: bool, swa_full: bool = False, seqs: int = 1
) -> int:
    """Main-device compute buffer of llama.cpp with the whole model offloaded.

    llama.cpp reserves the worst-case graph at ``n_ubatch`` tokens with every token an output;
    ggml-alloc reuses memory, so the buffer is the largest of three phases:

    - Logits: vocab x ubatch f32 plus the normed hidden state. A CUDA log for Llama-3-8B at ub 512
      shows 258.5 MiB = 250.5 MiB logits + 8 MiB (estimator-research.md §11). The CPU backend,
      measured in benchmarks/accuracy, logs one more ubatch x hidden f32 (266.5 MiB for the same
      shapes, 302.75 for Qwen2-1.5B, 516.5-518.75 for Gemma-3-1B): there the token-embedding rows
      share the buffer, whereas on a GPU they sit in the host buffer because token_embd stays on
      the CPU. We model the GPU figure.
    - Attention: see ``_attention_phase``; without flash attention it grows linearly with context
      and overtakes the logits from about 8K-32K cells (Llama-3-8B: 572 MiB at 8K, 8.3 GiB at 128K).
      The earlier model counted the KQ scores twice (scores and softmax); the logs show once.
    - FFN: gate, up and activation at ubatch x width f32 (never the peak in our measurements).

    Calibrated against llama.cpp 0c1e5709 (llama-cpp-python 0.3.36) dry-run and real allocations
    from 2K to 128K, flash attention on and off, f16 and q8_0 KV (docs/accuracy.md).
    """
    h = arch.hidden_size
    ub = ubatch
    hidden_io = ub * h * F32
    logits = arch.vocab_size * ub * F32 + hidden_io
    attention = _attention_phase(arch, kv_cells, ub, flash_attn, swa_full, seqs)
    ffn = 3 * ub * _ffn_width(arch) * F32 + 2 * hidden_io
    return max(logits, attention, ffn)


def llama_cpp_layer_compute(
    arch: Architecture, kv_cells: int, ubatch: int, flash_attn: bool, swa_full: bool = False, seqs: int = 1
) -> int:
    """Compute buffer on a device that holds layers but not the output (multi-GPU layer split):
    the attention and FFN phases of ``llama_cpp_compute`` without the logits."""
    h = arch.hidden_size
    ub = ubatch
    hidden_io = ub * h * F32
    attention = _attention_phase(arch, kv_cells, ub, flash_attn, swa_full, seqs)
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
