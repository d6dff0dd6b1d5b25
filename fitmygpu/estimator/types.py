"""The estimator's inputs and outputs, as typed records that the CLI, the bot and tests share."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from fitmygpu.estimator import constants as K


class Runtime(StrEnum):
    LLAMA_CPP = "llama.cpp"
    OLLAMA = "ollama"
    VLLM = "vllm"
    TRANSFORMERS = "transformers"
    MLX = "mlx"

    @property
    def uses_gguf(self) -> bool:
        return self in (Runtime.LLAMA_CPP, Runtime.OLLAMA)


class Backend(StrEnum):
    CUDA = "cuda"
    ROCM = "rocm"
    METAL = "metal"
    SYCL = "sycl"  # Intel Arc through llama.cpp's SYCL / Vulkan backends


class Verdict(StrEnum):
    FITS = "fits"
    TIGHT = "tight"  # fits with under 10% of usable memory to spare
    OFFLOAD = "offload"  # fits only with part of the model in system RAM
    NO_FIT = "does_not_fit"

    @property
    def runs(self) -> bool:
        return self is not Verdict.NO_FIT


class Device(BaseModel):
    """One accelerator as the estimator needs it; built from a catalog GPU entry or a bare budget."""

    model_config = ConfigDict(frozen=True)

    name: str
    memory_bytes: int = Field(gt=0)
    bandwidth_gbs: float | None = None
    fp16_tflops: float | None = None
    backend: Backend = Backend.CUDA
    unified: bool = False  # shares memory with the CPU (Apple, Ryzen AI Max, DGX Spark, Jetson)


class Setup(BaseModel):
    """The machine: its GPUs in order (the first is the main device), and optional system RAM."""

    model_config = ConfigDict(frozen=True)

    devices: tuple[Device, ...] = Field(min_length=1)
    system_ram_bytes: int | None = None
    desktop_reserve_bytes: int = Field(0, ge=0, description="VRAM held by a desktop on the first GPU")
    metal_limit_bytes: int | None = Field(
        None, description="Override of macOS's GPU working-set limit (iogpu.wired_limit_mb)"
    )

    @property
    def total_memory_bytes(self) -> int:
        return sum(d.memory_bytes for d in self.devices)

    @property
    def apple(self) -> bool:
        return self.devices[0].backend == Backend.METAL


class Options(BaseModel):
    model_config = ConfigDict(frozen=True)

    runtime: Runtime = Runtime.LLAMA_CPP
    quant: str = "Q4_K_M"
    context: int = Field(8192, gt=0)
    kv_cache: str | None = Field(None, description="KV type; None is the runtime's default")
    concurrency: int = Field(1, ge=1, description="Parallel sequences / simultaneous requests")
    flash_attn: bool | None = Field(None, description="None is the runtime's default")
    ubatch: int = Field(K.LLAMA_CPP_UBATCH, gt=0)
    gpu_memory_utilization: float = Field(K.VLLM_GPU_MEMORY_UTILIZATION, gt=0, le=1)
    swa_full: bool = Field(False, description="llama.cpp --swa-full: SWA layers cached at full size")


class DeviceUse(BaseModel):
    name: str
    weights_bytes: int
    kv_bytes: int
    compute_bytes: int
    reserve_bytes: int
    usable_bytes: int
    layers: int = 0

    @property
    def total_bytes(self) -> int:
        return self.weights_bytes + self.kv_bytes + self.compute_bytes + self.reserve_bytes


class Offload(BaseModel):
    """What llama.cpp keeps in system RAM when the GPUs cannot hold everything."""

    gpu_layers: int  # -ngl: repeating layers on GPUs (+1 would be the output layer)
    total_layers: int
    cpu_moe_layers: int = 0  # --n-cpu-moe: layers whose expert tensors stay in RAM
    ram_bytes: int  # weights + KV + compute held in system RAM
    fits_ram: bool | None = None  # None when the system RAM is unknown


class Estimate(BaseModel):
    """One answer: a model, a quant, a context, on a setup, under a runtime."""

    context: int
    quant: str
    runtime: Runtime
    kv_cache: str
    flash_attn: bool
    concurrency: int
    weights_bytes: int
    kv_bytes: int
    compute_bytes: int
    reserve_bytes: int
    total_bytes: int  # what the engine places on the GPUs (with offload: the GPU share only)
    need_bytes: int  # what it would need with everything on the GPUs (equals total unless offloaded)
    usable_bytes: int
    verdict: Verdict
    devices: list[DeviceUse] = []
    offload: Offload | None = None
    max_concurrency: int | None = None
    decode_tokens_per_second: float | None = None
    prompt_tokens_per_second: float | None = None
    max_context: int | None = None
    notes: list[str] = []

    @property
    def headroom_bytes(self) -> int:
        return self.usable_bytes - self.total_bytes

    def row(self) -> dict:
        """The flat JSON row the CLI and the docs promise."""
        return {
            "context": self.context,
            "quant": self.quant,
            "runtime": self.runtime.value,
            "kv_cache": self.kv_cache,
            "weights_bytes": self.weights_bytes,
            "kv_bytes": self.kv_bytes,
            "compute_bytes": self.compute_bytes,
            "reserve_bytes": self.reserve_bytes,
            "total_bytes": self.total_bytes,
            "need_bytes": self.need_bytes,
            "usable_bytes": self.usable_bytes,
            "headroom_bytes": self.headroom_bytes,
            "verdict": self.verdict.value,
            "max_context": self.max_context,
            "max_concurrency": self.max_concurrency,
            "decode_tokens_per_second": self.decode_tokens_per_second,
            "prompt_tokens_per_second": self.prompt_tokens_per_second,
            "offload": self.offload.model_dump() if self.offload else None,
            "notes": self.notes,
        }
