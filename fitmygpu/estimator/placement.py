"""Where each layer lives: llama.cpp's layer split across GPUs, and partial offload to RAM.

llama.cpp splits *whole layers* across devices in proportion to each device's memory
(``tensor_split`` defaults to free memory; src/llama-model.cpp assigns layer ``il`` to the device
whose cumulative split first exceeds ``il / n_gpu_layers``). With ``-ngl N < n_layer`` the first
layers stay on the CPU and the output layer too; ``--n-cpu-moe N`` keeps only the expert tensors
of the first N layers in RAM.
"""

from __future__ import annotations

from bisect import bisect_right


def split_layers(n_layers: int, weights: list[float]) -> list[int]:
    """How many of ``n_layers`` consecutive layers each device gets, llama.cpp style."""
    if n_layers <= 0:
        return [0] * len(weights)
    total = sum(weights)
    cumulative, acc = [], 0.0
    for w in weights:
        acc += w / total
        cumulative.append(acc)
    counts = [0] * len(weights)
    for il in range(n_layers):
        dev = min(bisect_right(cumulative, il / n_layers), len(weights) - 1)
        counts[dev] += 1
    return counts


def ranges(counts: list[int], start: int) -> list[range]:
    """Consecutive layer ranges for each device, beginning at layer ``start``."""
    out, lo = [], start
    for c in counts:
        out.append(range(lo, lo + c))
        lo += c
    return out
