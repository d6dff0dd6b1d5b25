"""Where each layer lives: llama.cpp's layer split across GPUs, and partial offload to RAM.

llama.cpp splits *whole layers* across devices in proportion to each device's memory
(``tensor_split`` defaults to free memory; src/llama-model.cpp assigns layer ``il`` to the device
whose cumulative split first exceeds ``il / n_gpu_layers``). With ``-ngl N < n_layer`` the first
layers stay on the CPU and the output layer too; ``--n-cpu-moe N`` keeps only the expert tensors
of the first N layers in RAM.
"""

from __future__ import annotations

from bisect import bisect_right


def device_of(index: int, slots: int, cumulative: list[float]) -> int:
    """llama.cpp's ``upper_bound(splits, index / act_gpu_layers)``: the first device whose
    cumulative share exceeds the layer's position."""
    return min(bisect_right(cumulative, index / slots), len(cumulative) - 1)


def cumulative_shares(weights: list[float]) -> list[float]:
    total = sum(weights)
    out, acc = [], 0.0
    for w in weights:
        acc += w / total
        out.append(acc)
    return out


def split_layers(
    n_layers: int, weights: list[float], with_output: bool = False
) -> tuple[list[int], int | None]:
    """How many of ``n_layers`` consecutive layers each device gets, llama.cpp style, and which
    device takes the output layer.

    With full offload llama.cpp counts the output layer as one more slot
    (``act_gpu_layers = min(n_gpu_layers, n_layer + 1)``) and places it like layer ``n_layer``;
    with partial offload the output stays on the CPU (``None``).
    """
    counts = [0] * len(weights)
    if n_layers <= 0:
        return counts, None
    shares = cumulative_shares(weights)
    slots = n_layers + 1 if with_output else n_layers
    for il in range(n_layers):
        counts[device_of(il, slots, shares)] += 1
    return counts, device_of(n_layers, slots, shares) if with_output else None


def ranges(counts: list[int], start: int) -> list[range]:
    """Consecutive layer ranges for each device, beginning at layer ``start``."""
    out, lo = [], start
    for c in counts:
        out.append(range(lo, lo + c))
        lo += c
    return out
