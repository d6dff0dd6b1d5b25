"""The catalog's data model: a model page and a GPU entry, validated at the YAML boundary.

Every field a FitMyGPU model page shows has a home here, plus what the estimator needs (the
:class:`~fitmygpu.architecture.Architecture`). Unknown keys are errors, so a misspelt field fails
``fitmygpu catalog check`` instead of silently vanishing from a page.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, HttpUrl, model_validator

from fitmygpu.architecture import Architecture, Strict

_ID = re.compile(r"^[a-z0-9][a-z0-9.\-]*[a-z0-9]$")


def _check_id(v: str) -> str:
    if not _ID.match(v):
        raise ValueError("ids are lowercase letters, digits, '.', '-' (e.g. qwen2.5-7b-instruct)")
    return v


EntryId = Annotated[str, AfterValidator(_check_id)]
GIB = 1024**3


class Source(Strict):
    url: HttpUrl
    title: str | None = None


class Point(Strict):
    """A titled paragraph, as in "What improved" and "Where it is strong"."""

    title: str
    text: str


class ReleaseContext(Strict):
    """ "How it was released": where the checkpoint comes from."""

    lineage: str | None = None
    backbone: str | None = None


class Modality(StrEnum):
    TEXT = "text"
    VISION = "vision"
    AUDIO = "audio"
    VIDEO = "video"


class FormatRelease(Strict):
    """A form people actually download and run: GGUF quants, AWQ/GPTQ/FP8/MXFP4 repos, MLX."""

    kind: str = Field(description="gguf, awq, gptq, fp8, mxfp4, nvfp4, mlx, bnb, int8, bf16")
    repo: str | None = Field(None, description="Hugging Face repo id that hosts it")
    quants: tuple[str, ...] = ()
    official: bool = False


class ModelEntry(Strict):
    id: EntryId
    name: str
    company: str
    family: str
    aliases: tuple[str, ...] = ()
    hf_repo: str | None = None
    release_date: dt.date | None = None
    architecture_text: str = Field(description="The page's 'Architecture' line")
    license: str | None = None
    modality: tuple[Modality, ...] = (Modality.TEXT,)
    context_window: int = Field(gt=0)
    parameters_label: str = Field(description="Nominal size as marketed, e.g. '1.5B', '30B-A3B'")
    params_total: int | None = Field(None, gt=0, description="Official total count, if published")
    params_active: int | None = Field(None, gt=0, description="Official active count (MoE)")
    kv_layers: int | None = Field(None, ge=0, description="Stated KV-bearing layers")
    checkpoint_dtype: str = Field("BF16", description="dtype of the official weights")
    summary: str | None = None
    improvements: tuple[Point, ...] = ()
    release: ReleaseContext | None = None
    usage: str | None = None
    strengths: tuple[Point, ...] = ()
    vram_notes: str | None = Field(None, description="'What dominates VRAM'")
    formats: tuple[FormatRelease, ...] = ()
    architecture: Architecture
    sources: tuple[Source, ...] = Field(min_length=1)
    notes: tuple[str, ...] = ()

    @property
    def is_moe(self) -> bool:
        return self.architecture.moe is not None

    @property
    def kv_bearing_layers(self) -> int:
        return self.architecture.kv_layer_count


class GPUClass(StrEnum):
    CONSUMER = "consumer"
    LAPTOP = "laptop"
    WORKSTATION = "workstation"
    DATACENTER = "datacenter"
    APPLE = "apple"  # Apple silicon unified memory
    APU = "apu"  # other unified-memory parts: Ryzen AI Max, DGX Spark, Jetson


class Vendor(StrEnum):
    NVIDIA = "NVIDIA"
    AMD = "AMD"
    INTEL = "Intel"
    APPLE = "Apple"


class GPUEntry(Strict):
    id: EntryId
    vendor: Vendor
    name: str
    aliases: tuple[str, ...] = ()
    group: str = Field(description="Variants of one product share a group (rtx-3060)")
    default: bool = Field(False, description="The variant a bare name means")
    memory_gib: float = Field(gt=0, description="Memory as the vendor states it (GB = GiB here)")
    memory_type: str | None = None
    bandwidth_gbs: float | None = Field(None, gt=0, description="Memory bandwidth, GB/s")
    architecture: str | None = None
    generation: str | None = None
    gpu_class: GPUClass = Field(alias="class")
    fp16_tflops: float | None = Field(None, gt=0, description="Dense FP16/BF16 tensor TFLOPS (no sparsity)")
    release_year: int | None = Field(None, ge=2010, le=2030)
    sources: tuple[Source, ...] = Field(min_length=1)
    notes: tuple[str, ...] = ()

    model_config = Strict.model_config | {"populate_by_name": True}

    @property
    def memory_bytes(self) -> int:
        return int(self.memory_gib * GIB)

    @property
    def unified(self) -> bool:
        return self.gpu_class in (GPUClass.APPLE, GPUClass.APU)

    @model_validator(mode="after")
    def _plausible(self) -> GPUEntry:
        if not 1 <= self.memory_gib <= 1024:
            raise ValueError(f"memory_gib {self.memory_gib} is not a plausible GPU memory size")
        if self.bandwidth_gbs is not None and not 20 <= self.bandwidth_gbs <= 20000:
            raise ValueError(f"bandwidth_gbs {self.bandwidth_gbs} is not plausible (20..20000 GB/s)")
        return self
