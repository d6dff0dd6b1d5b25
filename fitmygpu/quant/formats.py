"""Every weight format FitMyGPU sizes, and the bytes each tensor takes in it.

Two families: GGUF presets (llama.cpp, Ollama, LM Studio), sized per tensor by llama-quantize's own
rules (``gguf_rules``); and checkpoint formats as released on Hugging Face (BF16, FP8, GPTQ/AWQ,
bitsandbytes, MXFP4, NVFP4, MLX), sized by what each format keeps in 16 bits and what metadata
(scales, zero points) it stores per group. The result is a :class:`WeightPlan`: total bytes plus
the per-layer split that multi-GPU placement and CPU offload need.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from fitmygpu.architecture import Architecture, TensorSpec
from fitmygpu.quant.ggml_types import GGMLType, tensor_bytes
from fitmygpu.quant.gguf_rules import GGUFPreset, TensorTypePlanner


class FormatKind(StrEnum):
    GGUF = "gguf"
    CHECKPOINT = "checkpoint"  # safetensors as loaded by vLLM / Transformers
    MLX = "mlx"


@dataclass(frozen=True)
class CheckpointFormat:
    """A safetensors-style format: which tensors it quantizes and what each weight costs there.

    ``bits`` is the payload per quantized weight; ``group``/``group_bytes`` the metadata stored per
    group of weights along a row (scales, zeros); ``row_bytes`` metadata per output row
    (per-channel scales). Tensors it does not quantize stay at ``keep_bits`` (16, BF16).
    """

    name: str
    label: str
    bits: float
    group: int = 0
    group_bytes: float = 0.0
    row_bytes: float = 0.0
    experts_only: bool = False  # MXFP4 as shipped with gpt-oss: only the MoE experts
    quantize_embeddings: bool = False  # MLX quantizes the embedding and output matrices too
    keep_bits: int = 16
    source: str = ""

    def tensor_bytes(self, t: TensorSpec, is_embedding: bool) -> int:
        n = t.elements
        if self.experts_only:
            quantized = t.quantizable and t.expert_dim
        else:
            quantized = t.quantizable and (not is_embedding or self.quantize_embeddings)
        if not quantized:
            return n * self.keep_bits // 8
        rows = n // t.ne[0]
        meta = (n / self.group) * self.group_bytes if self.group else 0.0
        return int(n * self.bits / 8 + meta + rows * self.row_bytes)


# Sources for each layout are named in ``source``; group metadata is what the format stores.
CHECKPOINT_FORMATS: dict[str, CheckpointFormat] = {
    f.name: f
    for f in (
        CheckpointFormat("BF16", "BF16 (official checkpoint)", 16, source="safetensors dtype"),
        CheckpointFormat("FP16", "FP16", 16, source="safetensors dtype"),
        CheckpointFormat("FP32", "FP32", 32, keep_bits=32, source="safetensors dtype"),
        # DeepSeek-V3 / Qwen3 FP8 releases: e4m3 weights, one f32 scale per 128x128 block.
        CheckpointFormat(
            "FP8",
            "FP8 (e4m3, 128x128 block scales)",
            8,
            group=128 * 128,
            group_bytes=4,
            source="DeepSeek-V3 config.json quantization_config weight_block_size [128, 128]",
        ),
        # W8A8 INT8 (compressed-tensors / llm-compressor): int8 weights, one scale per channel.
        CheckpointFormat(
            "INT8",
            "INT8 W8A8 (per-channel scales)",
            8,
            row_bytes=2,
            source="llm-compressor W8A8 int8 channel-wise scheme",
        ),
        # GPTQ 4-bit, group 128: packed int4 weights, fp16 scale and packed 4-bit zero per group,
        # plus an int32 g_idx per input row (AutoGPTQ/GPTQModel layout).
        CheckpointFormat(
            "GPTQ-INT4",
            "GPTQ 4-bit (group 128)",
            4,
            group=128,
            group_bytes=2.5,
            source="AutoGPTQ QuantLinear: qweight int32, qzeros int32 (4-bit), scales fp16, g_idx",
        ),
        CheckpointFormat(
            "GPTQ-INT8",
            "GPTQ 8-bit (group 128)",
            8,
            group=128,
            group_bytes=3,
            source="AutoGPTQ QuantLinear with bits=8",
        ),
        # AWQ GEMM: packed int4 weights, fp16 scales and packed 4-bit zeros per 128-group.
        CheckpointFormat(
            "AWQ",
            "AWQ 4-bit (group 128)",
            4,
            group=128,
            group_bytes=2.5,
            source="AutoAWQ WQLinear_GEMM: qweight, qzeros (4-bit), scales fp16, group 128",
        ),
        # bitsandbytes NF4 without double quantization: one fp32 absmax per 64 weights.
        CheckpointFormat(
            "NF4",
            "bitsandbytes NF4 (blocksize 64)",
            4,
            group=64,
            group_bytes=4,
            source="bitsandbytes Params4bit blocksize=64, fp32 absmax (double quant off)",
        ),
        # gpt-oss ships its MoE expert weights as MXFP4 (32-weight blocks, one E8M0 scale).
        CheckpointFormat(
            "MXFP4",
            "MXFP4 experts (as shipped, gpt-oss)",
            4,
            group=32,
            group_bytes=1,
            experts_only=True,
            source="OCP MX spec; openai/gpt-oss config.json quantization_config mxfp4",
        ),
        # NVFP4: e2m1 weights, one FP8 (e4m3) scale per 16 weights, plus a per-tensor fp32 scale.
        CheckpointFormat(
            "NVFP4",
            "NVFP4 (16-weight FP8 scales)",
            4,
            group=16,
            group_bytes=1,
            source="NVIDIA TensorRT Model Optimizer NVFP4 format",
        ),
        # mlx_lm.convert -q: affine quantization, group 64, bf16 scale and bias per group.
        CheckpointFormat(
            "MLX-4BIT",
            "MLX 4-bit (group 64)",
            4,
            group=64,
            group_bytes=4,
            quantize_embeddings=True,
            source="mlx.core.quantize default group_size=64, bits=4; scales and biases per group",
        ),
        CheckpointFormat(
            "MLX-6BIT",
            "MLX 6-bit (group 64)",
            6,
            group=64,
            group_bytes=4,
            quantize_embeddings=True,
            source="mlx.core.quantize group_size=64, bits=6",
        ),
        CheckpointFormat(
            "MLX-8BIT",
            "MLX 8-bit (group 64)",
            8,
            group=64,
            group_bytes=4,
            quantize_embeddings=True,
            source="mlx.core.quantize group_size=64, bits=8",
        ),
    )
}

MLX_FORMATS = frozenset({"MLX-4BIT", "MLX-6BIT", "MLX-8BIT"})

# The ladder people compare first: largest to smallest.
GGUF_LADDER: tuple[str, ...] = ("BF16", "Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q3_K_M", "Q2_K")
CHECKPOINT_LADDER: tuple[str, ...] = ("BF16", "FP8", "INT8", "AWQ", "NF4")
MLX_LADDER: tuple[str, ...] = ("BF16", "MLX-8BIT", "MLX-6BIT", "MLX-4BIT")


def normalize_quant(name: str) -> str:
    """Canonical spelling of a quant name (``q4_k_m`` -> ``Q4_K_M``, ``gptq`` -> ``GPTQ-INT4``)."""
    key = name.strip().upper().replace("-", "_").replace(" ", "_")
    aliases = {
        "GPTQ": "GPTQ-INT4",
        "GPTQ_INT4": "GPTQ-INT4",
        "GPTQ_4BIT": "GPTQ-INT4",
        "GPTQ_INT8": "GPTQ-INT8",
        "GPTQ_8BIT": "GPTQ-INT8",
        "AWQ_INT4": "AWQ",
        "AWQ_4BIT": "AWQ",
        "BNB_NF4": "NF4",
        "BNB_4BIT": "NF4",
        "NF4": "NF4",
        "FP8_E4M3": "FP8",
        "MLX_4BIT": "MLX-4BIT",
        "MLX_6BIT": "MLX-6BIT",
        "MLX_8BIT": "MLX-8BIT",
        "MLX4": "MLX-4BIT",
        "MLX8": "MLX-8BIT",
        "W8A8": "INT8",
    }
    if key in aliases:
        return aliases[key]
    if key in GGUFPreset.__members__:
        return key
    if key in CHECKPOINT_FORMATS:
        return key
    raise UnknownQuantError(name)


class UnknownQuantError(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown quantization {name!r}; try one of: {', '.join(all_quants())}")
        self.name = name


def all_quants() -> list[str]:
    return [p.value for p in GGUFPreset] + [n for n in CHECKPOINT_FORMATS if n not in GGUFPreset.__members__]


def format_kind(quant: str) -> FormatKind:
    if quant in MLX_FORMATS:
        return FormatKind.MLX
    if quant in GGUFPreset.__members__ and quant not in CHECKPOINT_FORMATS:
        return FormatKind.GGUF
    return FormatKind.CHECKPOINT  # includes BF16/FP16/FP32, which every engine loads


@dataclass(frozen=True)
class WeightPlan:
    """What one model weighs in one format, split the way placement needs it."""

    quant: str
    total_bytes: int
    token_embd_bytes: int
    output_bytes: int  # the output matrix (0 when tied to the embeddings)
    layer_bytes: tuple[int, ...]  # per repeating layer, experts included
    expert_bytes: tuple[int, ...]  # per layer, the routed-expert tensors alone
    other_bytes: int  # output norm and anything outside the layers
    bytes_by_type: dict[str, int] = field(default_factory=dict)
    elements: int = 0

    @property
    def bits_per_weight(self) -> float:
        return 8 * self.total_bytes / self.elements if self.elements else 0.0


def _tensor_types(arch: Architecture, quant: str) -> list[tuple[TensorSpec, int, str]]:
    """(tensor, bytes, type label) for every tensor."""
    if quant in GGUFPreset.__members__ and quant not in ("BF16", "FP16", "FP32"):
        plan = TensorTypePlanner(arch, GGUFPreset(quant)).plan(arch.tensors)
        return [(t, tensor_bytes(ty, t.ne), ty.value) for t, ty in plan]
    if quant in {"BF16", "FP16"}:
        # Checkpoint or GGUF alike: 16-bit matrices, and llama.cpp keeps 1-D tensors in F32.
        return [
            (t, t.elements * (2 if t.quantizable else 4), quant if t.quantizable else GGMLType.F32.value)
            for t in arch.tensors
        ]
    fmt = CHECKPOINT_FORMATS[quant]
    out = []
    for t in arch.tensors:
        emb = t.role in ("token_embd", "output")
        out.append((t, fmt.tensor_bytes(t, emb), quant if t.quantizable else "16-bit"))
    return out


@lru_cache(maxsize=512)
def weight_plan(arch: Architecture, quant: str) -> WeightPlan:
    """Bytes of every tensor of ``arch`` in ``quant``, totalled and split per layer."""
    layers = [0] * arch.num_layers
    experts = [0] * arch.num_layers
    embd = output = other = 0
    hist: Counter[str] = Counter()
    elements = 0
    for t, nbytes, label in _tensor_types(arch, quant):
        hist[label] += nbytes
        elements += t.elements
        if t.layer is not None:
            layers[t.layer] += nbytes
            if t.expert_dim:
                experts[t.layer] += nbytes
        elif t.role == "token_embd":
            embd = nbytes
        elif t.role == "output":
            output = nbytes
        else:
            other += nbytes
    total = embd + output + other + sum(layers)
    return WeightPlan(
        quant=quant,
        total_bytes=total,
        token_embd_bytes=embd,
        output_bytes=output,
        layer_bytes=tuple(layers),
        expert_bytes=tuple(experts),
        other_bytes=other,
        bytes_by_type=dict(hist),
        elements=elements,
    )
