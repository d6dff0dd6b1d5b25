"""KV cache and recurrent state, per layer kind and per engine.

What a layer keeps per token depends on its kind (full, sliding, chunked, MLA, linear) and what an
engine allocates depends on its policy: llama.cpp pads cells to 256 and caps sliding-window layers
at window + ubatch; vLLM allocates 16-token blocks and caps sliding layers at window - 1 +
max_num_batched_tokens; MLX grows in 256-token steps and rotates sliding caches. The per-kind
split is what keeps us from the 4-19x sliding-window and 35-70x MLA errors of naive calculators.
"""

from __future__ import annotations

from dataclasses import dataclass

from fitmygpu.architecture import Architecture, LayerKind
from fitmygpu.estimator.constants import LLAMA_CPP_KV_PAD, VLLM_BLOCK_SIZE
from fitmygpu.estimator.types import Runtime


@dataclass(frozen=True, slots=True)
class KVType:
    name: str
    block: int
    block_bytes: int
    runtimes: frozenset[Runtime]
    quantized: bool = False

    def row_bytes(self, elements: int) -> int:
        return -(-elements // self.block) * self.block_bytes


_GGUF = frozenset({Runtime.LLAMA_CPP, Runtime.OLLAMA})
_TORCH = frozenset({Runtime.VLLM, Runtime.TRANSFORMERS, Runtime.MLX})

KV_TYPES: dict[str, KVType] = {
    t.name: t
    for t in (
        # llama.cpp -ctk/-ctv types (common/arg.cpp), sized as ggml blocks.
        KVType("f32", 1, 4, _GGUF),
        KVType("f16", 1, 2, _GGUF | _TORCH),
        KVType("bf16", 1, 2, _GGUF | _TORCH),
        KVType("q8_0", 32, 34, _GGUF, quantized=True),
        KVType("q5_1", 32, 24, _GGUF, quantized=True),
        KVType("q5_0", 32, 22, _GGUF, quantized=True),
        KVType("q4_1", 32, 20, _GGUF, quantized=True),
        KVType("q4_0", 32, 18, _GGUF, quantized=True),
        KVType("iq4_nl", 32, 18, _GGUF, quantized=True),
        # vLLM --kv-cache-dtype fp8 (e4m3/e5m2): one byte per element.
        KVType("fp8", 1, 1, frozenset({Runtime.VLLM}), quantized=True),
        # mlx_lm --kv-bits 8/4, group 64 with a bf16 scale and bias per group.
        KVType("mlx-q8", 64, 64 + 4, frozenset({Runtime.MLX}), quantized=True),
        KVType("mlx-q4", 64, 32 + 4, frozenset({Runtime.MLX}), quantized=True),
    )
}

_KV_ALIASES = {
    "fp16": "f16",
    "float16": "f16",
    "half": "f16",
    "auto": "bf16",
    "bfloat16": "bf16",
    "q8": "q8_0",
    "8bit": "q8_0",
    "int8": "q8_0",
    "q4": "q4_0",
    "4bit": "q4_0",
    "int4": "q4_0",
    "fp32": "f32",
    "fp8_e4m3": "fp8",
    "fp8_e5m2": "fp8",
    "f8": "fp8",
}


def canonical_kv(name: str) -> str:
    """The engine-neutral spelling of a KV type ("8bit", "q8" -> "q8_0", "fp16" -> "f16")."""
    key = name.strip().lower().replace("-", "_")
    return _KV_ALIASES.get(key, key)


def default_kv(runtime: Runtime) -> str:
    return "f16" if runtime.uses_gguf else "bf16"


def resolve_kv(name: str | None, runtime: Runtime) -> KVType:
    """The KV type for a runtime, translating generic names ("q8", "8bit") to the engine's own."""
    if name is None:
        return KV_TYPES[default_kv(runtime)]
    key = canonical_kv(name)
    if runtime == Runtime.MLX and key in ("q8_0", "q4_0"):
        key = "mlx-q8" if key == "q8_0" else "mlx-q4"
    if runtime == Runtime.VLLM and key == "q8_0":
        key = "fp8"
    t = KV_TYPES.get(key)
    if t is None or runtime not in t.runtimes:
        allowed = ", ".join(k for k, v in KV_TYPES.items() if runtime in v.runtimes)
        raise ValueError(f"KV cache type {name!r} is not available in {runtime.value}; use {allowed}")
    return t


def pad(n: int, to: int) -> int:
    return -(-n // to) * to


@dataclass(frozen=True, slots=True)
class KVProfile:
    """Bytes per cached token for each layer, and fixed state per sequence, for one KV type."""

    per_token: tuple[int, ...]  # per layer: bytes per cached token (0 for layers without KV)
    kinds: tuple[LayerKind, ...]
    state_per_seq: tuple[int, ...]  # per layer: recurrent state bytes per sequence
    window: tuple[int | None, ...]  # per layer: how many past tokens it needs (None = all)


def kv_profile(arch: Architecture, k_type: KVType, v_type: KVType, state_bytes: int = 4) -> KVProfile:
    """Per-layer KV bytes per token. MLA stores only its latent (llama.cpp's V-less cache, PR #19067;
    vLLM's MLA spec with one 576-wide entry); recurrent layers keep conv + SSM state per sequence."""
    per_token, state, window = [], [], []
    for il, kind in enumerate(arch.kinds):
        if not arch.has_kv(il):
            per_token.append(0)
            window.append(None)
        elif kind == LayerKind.MLA:
            assert arch.mla is not None
            per_token.append(k_type.row_bytes(arch.mla.latent_width))
            window.append(None)
        else:
            kv_heads, kd, vd = arch.layer_head_dims(il)
            per_token.append(k_type.row_bytes(kv_heads * kd) + v_type.row_bytes(kv_heads * vd))
            if kind == LayerKind.SLIDING:
                window.append(arch.sliding_window)
            elif kind == LayerKind.CHUNKED:
                window.append(arch.attention_chunk_size)
            else:
                window.append(None)
        if kind == LayerKind.LINEAR and arch.linear is not None:
            mixer = arch.linear
            state.append((mixer.conv_state_elements() + mixer.ssm_state_elements()) * state_bytes)
        else:
            state.append(0)
    return KVProfile(tuple(per_token), arch.kinds, tuple(state), tuple(window))


def llama_cpp_cells(context: int, seqs: int) -> int:
    """KV cells llama.cpp allocates for ``seqs`` sequences of ``context`` tokens (unified cache)."""
    return pad(context * seqs, LLAMA_CPP_KV_PAD)


def llama_cpp_layer_kv(p: KVProfile, context: int, seqs: int, ubatch: int, swa_full: bool) -> list[int]:
    """Per-layer bytes in llama.cpp: full layers get every cell; SWA/chunked layers get
    PAD256(min(n_ctx, window x seqs + ubatch)) (src/llama-kv-cache-iswa.cpp); recurrent layers
    one f32 state per sequence ("RS buffer")."""
    cells = llama_cpp_cells(context, seqs)
    out = []
    for b, w, s in zip(p.per_token, p.window, p.state_per_seq, strict=True):
        n = cells if w is None else llama_cpp_swa_cells(w, cells, seqs, ubatch, swa_full)
        out.append(b * n + s * seqs)
    return out


def llama_cpp_swa_cells(window: int, cells: int, seqs: int, ubatch: int, swa_full: bool) -> int:
    """Cells of llama.cpp's sliding-window cache: PAD256(min(n_ctx, window x seqs + ubatch)),
    or the whole context with --swa-full (src/llama-kv-cache-iswa.cpp)."""
    return cells if swa_full else min(cells, pad(window * seqs + ubatch, LLAMA_CPP_KV_PAD))


def vllm_request_kv(p: KVProfile, context: int, batched_tokens: int, block: int = VLLM_BLOCK_SIZE) -> int:
    """KV bytes one request of ``context`` tokens holds in vLLM: 16-token blocks; sliding layers
    need cdiv(min(window - 1 + max_num_batched_tokens, max_len), block) + 1 blocks
    (vllm/v1/kv_cache_interface.py SlidingWindowSpec); Mamba state is per request."""
    total = 0
    full_blocks = -(-context // block)
    for b, w, s in zip(p.per_token, p.window, p.state_per_seq, strict=True):
        if b:
            blocks = full_blocks if w is None else -(-min(w - 1 + batched_tokens, context) // block) + 1
            total += b * blocks * block
        total += s
    return total


def dynamic_cache_kv(p: KVProfile, context: int, seqs: int, step: int = 1) -> int:
    """Transformers' DynamicCache and mlx_lm's KVCache: every token for full layers, the window
    for sliding layers (rotating caches), grown in ``step``-token increments."""
    total = 0
    cells = pad(context, step)
    for b, w, s in zip(p.per_token, p.window, p.state_per_seq, strict=True):
        total += b * (cells if w is None else min(cells, w)) * seqs + s * seqs
    return total
