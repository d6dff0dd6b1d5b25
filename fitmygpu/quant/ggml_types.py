"""ggml tensor types: how many bytes a block of weights takes.

Exact block sizes from ggml's ``src/ggml-common.h`` block structs and ``ggml.c`` ``type_traits``
(see ../shared/reference/estimator-research.md §9). Sizes are computed per row the way
``ggml_row_size`` does, so a tensor whose row length is not a multiple of the block cannot be
stored in that type (llama-quantize then falls back; see ``gguf_rules``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class GGMLType(StrEnum):
    F32 = "F32"
    F16 = "F16"
    BF16 = "BF16"
    Q4_0 = "Q4_0"
    Q4_1 = "Q4_1"
    Q5_0 = "Q5_0"
    Q5_1 = "Q5_1"
    Q8_0 = "Q8_0"
    Q2_K = "Q2_K"
    Q3_K = "Q3_K"
    Q4_K = "Q4_K"
    Q5_K = "Q5_K"
    Q6_K = "Q6_K"
    IQ2_XXS = "IQ2_XXS"
    IQ2_XS = "IQ2_XS"
    IQ2_S = "IQ2_S"
    IQ3_XXS = "IQ3_XXS"
    IQ3_S = "IQ3_S"
    IQ1_S = "IQ1_S"
    IQ1_M = "IQ1_M"
    IQ4_NL = "IQ4_NL"
    IQ4_XS = "IQ4_XS"
    TQ1_0 = "TQ1_0"
    TQ2_0 = "TQ2_0"
    MXFP4 = "MXFP4"


@dataclass(frozen=True, slots=True)
class BlockLayout:
    block: int  # weights per block
    nbytes: int  # bytes per block

    @property
    def bits_per_weight(self) -> float:
        return self.nbytes * 8 / self.block


LAYOUT: dict[GGMLType, BlockLayout] = {
    GGMLType.F32: BlockLayout(1, 4),
    GGMLType.F16: BlockLayout(1, 2),
    GGMLType.BF16: BlockLayout(1, 2),
    GGMLType.Q4_0: BlockLayout(32, 18),
    GGMLType.Q4_1: BlockLayout(32, 20),
    GGMLType.Q5_0: BlockLayout(32, 22),
    GGMLType.Q5_1: BlockLayout(32, 24),
    GGMLType.Q8_0: BlockLayout(32, 34),
    GGMLType.Q2_K: BlockLayout(256, 84),
    GGMLType.Q3_K: BlockLayout(256, 110),
    GGMLType.Q4_K: BlockLayout(256, 144),
    GGMLType.Q5_K: BlockLayout(256, 176),
    GGMLType.Q6_K: BlockLayout(256, 210),
    GGMLType.IQ2_XXS: BlockLayout(256, 66),
    GGMLType.IQ2_XS: BlockLayout(256, 74),
    GGMLType.IQ2_S: BlockLayout(256, 82),
    GGMLType.IQ3_XXS: BlockLayout(256, 98),
    GGMLType.IQ3_S: BlockLayout(256, 110),
    GGMLType.IQ1_S: BlockLayout(256, 50),
    GGMLType.IQ1_M: BlockLayout(256, 56),
    GGMLType.IQ4_NL: BlockLayout(32, 18),
    GGMLType.IQ4_XS: BlockLayout(256, 136),
    GGMLType.TQ1_0: BlockLayout(256, 54),
    GGMLType.TQ2_0: BlockLayout(256, 66),
    GGMLType.MXFP4: BlockLayout(32, 17),
}


def fits_rows(t: GGMLType, row_length: int) -> bool:
    """Whether a row of this length can be stored in type ``t`` (whole blocks only)."""
    return row_length % LAYOUT[t].block == 0


def tensor_bytes(t: GGMLType, ne: tuple[int, ...]) -> int:
    """Bytes of a tensor of shape ``ne`` stored as ``t`` (``ggml_row_size`` times the rows)."""
    lay = LAYOUT[t]
    rows = 1
    for d in ne[1:]:
        rows *= d
    return (ne[0] // lay.block) * lay.nbytes * rows
