"""Derive the speed efficiency factors in fitmygpu/estimator/constants.py from published benchmarks.

Every record below is a published single-stream measurement (llama-bench tg/pp, or a vLLM run at
concurrency 1) with its source URL. For each one:

    decode efficiency = measured tg tok/s x bytes read per token / (catalog bandwidth GB/s x 1e9)
    prompt efficiency = measured pp tok/s x 2 x params / (catalog dense FP16 TFLOPS x 1e12)

Bytes per token is the model file's weight bytes (llama-bench's ``size`` column, GiB). The KV cache
read at the test's small context is left out: at most ~1% of the weights for every record here
(Llama 2 7B, the worst case, holds 0.5 MiB of F16 KV per token; tg128 averages 64 tokens = 32 MiB
against 3.56 GiB of weights).

Bandwidth and TFLOPS come from the project catalog (``load_catalog().gpus``), so the factors are
relative to exactly the numbers the estimator multiplies them by. A record whose catalog entry lacks
the figure contributes nothing to that column.

Per backend the factor is the median of its records (rounded to 2 decimals). Records tagged
``info`` are printed for context but are not in any median.

Run: python benchmarks/speed_factors.py
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from fitmygpu.catalog.loader import load_catalog

GIB = 1024**3

# --- sources ---------------------------------------------------------------------------------------
# llama.cpp scoreboards: Llama 2 7B Q4_0 (3.56 GiB, 6.74 B), llama-bench -ngl 99, pp512 / tg128.
# The discussion pages themselves were not in our search index. The rows were read from a third-party
# survey that tabulates them, "Local LLM Inference Engines — Embeddable Cores" section "2b.
# Single-stream throughput" (links to both discussions; its repository was not identified), and the
# base M1 rows from verbatim link previews of the #4167 summary table. Re-check against the
# discussions when they can be read.
S_15013 = "https://github.com/ggml-org/llama.cpp/discussions/15013"
S_4167 = "https://github.com/ggml-org/llama.cpp/discussions/4167"
# XiongjieDai/GPU-Benchmarks-on-LLM-Inference README, "LLaMA 3" tables (May 2024): llama-bench,
# Llama 3 8B (8.03 B) Q4_K_M 4.58 GiB / F16 14.96 GiB, tg512 and pp512.
S_XD = "https://github.com/XiongjieDai/GPU-Benchmarks-on-LLM-Inference"
S_4766 = "https://github.com/ggml-org/llama.cpp/pull/4766"  # llama-bench tables, Jan 2024
S_12183 = "https://github.com/ggml-org/llama.cpp/pull/12183"  # V100 qwen2 3B Q4_0, fa 0
S_5480 = "https://github.com/ggml-org/llama.cpp/issues/5480"  # M2 Air, mistral 7B Q4_0
S_5835 = "https://github.com/ggml-org/llama.cpp/pull/5835"  # RX 6700 XT, ROCm 6.0 row
S_26284 = "https://github.com/ggml-org/llama.cpp/pull/26284"  # RX 7900 XTX, ROCm, master column
S_26663 = "https://github.com/ggml-org/llama.cpp/issues/26663"  # RX 9070 XT, hip rows
S_8186 = "https://github.com/ggml-org/llama.cpp/issues/8186"  # Radeon Pro W7800, ROCm
S_AMDE59 = "https://github.com/AMD-Ecosystem/llama.cpp/pull/59"  # Strix Halo gfx1151, ROCm 7.13
S_ROCM4748 = "https://github.com/ROCm/legacy-rocm-build/issues/4748"  # Strix Halo, Vulkan
S_IPEX12991 = "https://github.com/intel/ipex-llm/issues/12991"  # Arc B580, IPEX-LLM SYCL build
S_SYCLDOC = "https://github.com/ggml-org/llama.cpp/blob/master/docs/backend/SYCL.md"  # A770 37 t/s
S_14001 = "https://github.com/ggml-org/llama.cpp/pull/14001"  # A770 Vulkan, gemma2 2B
S_22078 = "https://github.com/ggml-org/llama.cpp/pull/22078"  # Arc Pro B70 SYCL, gemma4 31B
S_MUSGRAVE = "https://johnmusgrave.com/p/vllm-throughput-latency-sweep-on"  # vLLM 0.23, A100 40GB


@dataclass(frozen=True)
class Point:
    """One published measurement."""

    backend: str  # cuda | rocm | metal | sycl | vllm | info (context only, not in a median)
    gpu: str  # catalog id
    model: str
    quant: str
    size_gib: float  # weight bytes / 2^30 (llama-bench "size"; for BF16 vLLM: 2 x params)
    params_b: float  # parameters, billions (llama-bench "params")
    tg: float | None  # decode tok/s
    pp: float | None  # prompt tok/s
    source: str
    tests: str = "pp512/tg128"
    note: str = ""


L2_7B = ("llama 2 7B", 3.56, 6.74)  # Q4_0
L3_8B_Q4KM = ("llama 3 8B", 4.58, 8.03)
L3_8B_F16 = ("llama 3 8B", 14.96, 8.03)


def _l2(backend: str, gpu: str, pp: float | None, tg: float | None, src: str, note: str = "") -> Point:
    return Point(backend, gpu, L2_7B[0], "Q4_0", L2_7B[1], L2_7B[2], tg, pp, src, note=note)


def _xd(gpu: str, quant: str, pp: float, tg: float, backend: str = "cuda") -> Point:
    name, size, params = L3_8B_F16 if quant == "F16" else L3_8B_Q4KM
    return Point(backend, gpu, name, quant, size, params, tg, pp, S_XD, tests="pp512/tg512")


POINTS: tuple[Point, ...] = (
    # ---- CUDA ---------------------------------------------------------------------------------
    _l2("cuda", "nvidia-rtx-pro-6000-blackwell", 16619, 281.1, S_15013),
    _l2("cuda", "nvidia-rtx-5090", 14970, 300.4, S_15013),
    _l2("cuda", "nvidia-rtx-4090", 14771, 189.0, S_15013),
    _l2("cuda", "nvidia-h100-sxm", 11263, 280.7, S_15013, "'H100 80 GB HBM3': HBM3 is the SXM part"),
    _l2("cuda", "nvidia-rtx-5080", 9488, 184.7, S_15013),
    _l2("cuda", "nvidia-a100-sxm4-80gb", 5286, 200.9, S_15013, "'A100 80 GB HBM2e': SXM/PCIe not said"),
    _l2("cuda", "nvidia-rtx-3090", 5175, 158.2, S_15013),
    _l2("cuda", "nvidia-rtx-3060-12gb", 2138, 75.6, S_15013),
    _l2("cuda", "nvidia-dgx-spark", 3062, 57.2, S_15013),
    _l2("cuda", "nvidia-jetson-agx-orin-64gb", 991, 33.6, S_15013),
    _xd("nvidia-rtx-3070", "Q4_K_M", 2402.51, 72.79),
    _xd("nvidia-rtx-3080-10gb", "Q4_K_M", 3728.86, 109.57),
    _xd("nvidia-rtx-3080-ti", "Q4_K_M", 3690.30, 110.60),
    _xd("nvidia-rtx-4070-ti", "Q4_K_M", 3936.29, 83.50),
    _xd("nvidia-rtx-4080", "Q4_K_M", 5389.74, 108.15),
    _xd("nvidia-rtx-4080", "F16", 7246.97, 40.58),
    _xd("nvidia-rtx-3090", "Q4_K_M", 4030.40, 115.42),
    _xd("nvidia-rtx-3090", "F16", 4444.65, 47.40),
    _xd("nvidia-rtx-4090", "Q4_K_M", 7138.99, 130.58),
    _xd("nvidia-rtx-4090", "F16", 9382.00, 54.84),
    Point("cuda", "nvidia-rtx-4090", "llama 2 7B", "F16", 12.55, 6.74, 61.03, 11048.22, S_4766),
    Point("cuda", "nvidia-rtx-4090", "llama 2 7B", "Q8_0", 6.67, 6.74, 98.13, 7664.00, S_4766),
    Point(
        "cuda",
        "nvidia-rtx-4090",
        "llama 2 7B",
        "Q4_0",
        3.56,
        6.74,
        None,
        7979.85,
        S_4766,
        note="tg128 row cut off in the excerpt",
    ),
    Point(
        "cuda",
        "nvidia-rtx-3090",
        "llama 2 7B",
        "F16",
        12.55,
        6.74,
        48.52,
        4184.85,
        S_4766,
        note="'t/s master' column",
    ),
    Point(
        "cuda",
        "nvidia-rtx-3090",
        "llama 2 7B",
        "Q4_0",
        3.56,
        6.74,
        121.82,
        3408.18,
        S_4766,
        note="'t/s master' column",
    ),
    Point(
        "cuda",
        "nvidia-v100-pcie-16gb",
        "qwen2.5-coder 3B",
        "Q4_0",
        1.70,
        3.09,
        143.53,
        5615.01,
        S_12183,
        note="fa 0",
    ),
    # ---- Metal --------------------------------------------------------------------------------
    _l2("metal", "m1-ultra-64gb", 1030, 83.7, S_4167, "64 GPU cores"),
    _l2("metal", "m2-ultra-192gb", 1238, 94.3, S_4167, "76 GPU cores"),
    _l2("metal", "m3-ultra-96gb", 1471, 92.1, S_4167, "80 GPU cores (catalog 819 GB/s)"),
    _l2("metal", "m4-pro-24gb", 440, 50.7, S_4167, "20 GPU cores"),
    _l2("metal", "m4-max-64gb", 886, 83.1, S_4167, "40 GPU cores"),
    _l2("metal", "m5-max-64gb", 987, 102.9, S_4167, "Metal only, Mar 2026"),
    _l2("metal", "m5-max-64gb", 3347, 119.1, S_4167, "MTL,BLAS + Neural Accelerators, Jun 2026"),
    # Base M1 rows (8 GB, so the F16 cells are empty; a Q8_0 TG of 7.9 t/s is 57 GB/s, an F16 one
    # would need 107 GB/s > 68 GB/s, which pins the column order).
    _l2("metal", "m1-8gb", 107.81, 14.19, S_4167, "7 GPU cores"),
    Point("metal", "m1-8gb", "llama 2 7B", "Q8_0", 6.67, 6.74, 7.92, 108.21, S_4167, note="7 GPU cores"),
    _l2("metal", "m1-8gb", 117.96, 14.15, S_4167, "8 GPU cores"),
    Point("metal", "m1-8gb", "llama 2 7B", "Q8_0", 6.67, 6.74, 7.91, 117.25, S_4167, note="8 GPU cores"),
    _xd("m1-8gb", "Q4_K_M", 94.48, 10.20, backend="metal"),
    _xd("m1-max-64gb", "Q4_K_M", 408.23, 35.73, backend="metal"),
    _xd("m1-max-64gb", "F16", 517.34, 18.75, backend="metal"),
    _xd("m2-ultra-192gb", "Q4_K_M", 994.04, 78.81, backend="metal"),
    _xd("m2-ultra-192gb", "F16", 1175.40, 36.90, backend="metal"),
    _xd("m3-max-64gb", "Q4_K_M", 693.32, 48.97, backend="metal"),
    _xd("m3-max-64gb", "F16", 769.84, 22.04, backend="metal"),
    Point(
        "metal",
        "m2-16gb",
        "mistral 7B",
        "Q4_0",
        3.83,
        7.24,
        20.06,
        141.36,
        S_5480,
        note="M2 Air, RAM not said; every M2 is 100 GB/s",
    ),
    # ---- ROCm ---------------------------------------------------------------------------------
    Point("rocm", "amd-rx-6700-xt", "mistral 7B", "Q4_0", 3.83, 7.24, 58.97, 1017.28, S_5835),
    Point(
        "rocm",
        "amd-rx-7900-xtx",
        "llama 8B",
        "Q4_K_M",
        4.58,
        8.03,
        105.75,
        3189.36,
        S_26284,
        tests="pp2048/tg64",
        note="ubatch 512; size/params are the standard Llama 3 8B Q4_K_M file",
    ),
    Point(
        "rocm",
        "amd-rx-9070-xt",
        "qwen3 8B",
        "Q4_K_M",
        4.68,
        8.19,
        91.1,
        4199,
        S_26663,
        note="size/params from the Qwen3-8B Q4_K_M GGUF (not printed in the source)",
    ),
    Point(
        "rocm",
        "amd-rx-9070-xt",
        "qwen3 4B",
        "Q4_K_M",
        2.33,
        4.02,
        129.2,
        6671,
        S_26663,
        note="size/params from the Qwen3-4B Q4_K_M GGUF (not printed in the source)",
    ),
    Point(
        "rocm",
        "amd-radeon-pro-w7800",
        "gemma2 27B",
        "Q6_K",
        24.30,
        28.41,
        15.73,
        404.84,
        S_8186,
        tests="pp512/tg512",
        note="catalog has no W7800 bandwidth",
    ),
    Point(
        "rocm",
        "amd-ryzen-ai-max-plus-395-64gb",
        "qwen2.5 7B",
        "Q4_K_M",
        4.36,
        7.62,
        45.61,
        1485.21,
        S_AMDE59,
        tests="ctx 128",
        note="gfx1151 40 CU; size/params from the GGUF",
    ),
    Point(
        "rocm",
        "amd-ryzen-ai-max-plus-395-64gb",
        "qwen3 8B",
        "Q4_K_M",
        4.68,
        8.19,
        41.48,
        1268.21,
        S_AMDE59,
        tests="ctx 128",
        note="gfx1151 40 CU; size/params from the GGUF",
    ),
    Point(
        "rocm",
        "amd-ryzen-ai-max-plus-395-64gb",
        "llama 2 7B",
        "Q4_K_M",
        3.80,
        6.74,
        46.42,
        1327.48,
        S_AMDE59,
        tests="ctx 128",
        note="gfx1151 40 CU; size/params from the GGUF",
    ),
    # ---- Intel (SYCL / Vulkan) ------------------------------------------------------------------
    Point(
        "sycl",
        "intel-arc-b580",
        "qwen2 7B",
        "Q4_K_M",
        4.36,
        7.62,
        66.48,
        2335.96,
        S_IPEX12991,
        note="IPEX-LLM's llama.cpp SYCL build",
    ),
    Point(
        "sycl",
        "intel-arc-a770-16gb",
        "llama 2 7B",
        "Q4_0",
        3.56,
        6.74,
        37.0,
        None,
        S_SYCLDOC,
        tests="decode only, test unstated",
        note="'34 -> 37 tokens/s' (oneAPI 2024.5 release note)",
    ),
    Point(
        "sycl",
        "intel-arc-a770-16gb",
        "gemma2 2B",
        "Q4_K_M",
        1.59,
        2.61,
        96.83,
        977.81,
        S_14001,
        note="Vulkan backend",
    ),
    Point(
        "sycl",
        "intel-arc-pro-b70",
        "gemma4 31B",
        "Q4_K_M",
        17.46,
        30.70,
        18.08,
        759.09,
        S_22078,
        note="unsloth UD-Q4_K_XL file (llama-bench prints Q4_K - Medium); GGML_SYCL_F16=ON",
    ),
    # ---- vLLM (single stream) ---------------------------------------------------------------------
    Point(
        "vllm",
        "nvidia-a100-pcie-40gb",
        "llama 3.1 8B",
        "BF16",
        8.03e9 * 2 / GIB,
        8.03,
        75.0,
        None,
        S_MUSGRAVE,
        tests="1024 in / 128 out, concurrency 1",
        note="'about 75 tokens/sec'; A100 40GB on Lambda (SXM4/PCIe not said: same 1555 GB/s)",
    ),
    # ---- context only ---------------------------------------------------------------------------
    _l2(
        "info",
        "amd-ryzen-ai-max-plus-395-64gb",
        785.87,
        49.39,
        S_ROCM4748,
        "Vulkan (RADV) on an AMD iGPU: the estimator has no Vulkan-AMD backend",
    ),
)

BACKENDS = ("cuda", "rocm", "metal", "sycl", "vllm")


def efficiencies(p: Point, gpus: dict) -> tuple[float | None, float | None]:
    """(decode, prompt) efficiency of one record against the catalog's bandwidth and TFLOPS."""
    g = gpus[p.gpu]
    dec = pro = None
    if p.tg is not None and g.bandwidth_gbs:
        dec = p.tg * p.size_gib * GIB / (g.bandwidth_gbs * 1e9)
    if p.pp is not None and g.fp16_tflops:
        pro = p.pp * 2 * p.params_b * 1e9 / (g.fp16_tflops * 1e12)
    return dec, pro


def medians(
    points: tuple[Point, ...] = POINTS, quantized_only: bool = False
) -> dict[str, dict[str, tuple[float | None, int]]]:
    """Per backend: {"decode": (median, n), "prompt": (median, n)}.

    ``quantized_only`` drops the F16/BF16 records (a cross-check: the factors use every record).
    """
    gpus = load_catalog().gpus
    out: dict[str, dict[str, tuple[float | None, int]]] = {}
    for b in BACKENDS:
        dec, pro = [], []
        for p in points:
            if p.backend != b or (quantized_only and p.quant in ("F16", "BF16")):
                continue
            d, q = efficiencies(p, gpus)
            if d is not None:
                dec.append(d)
            if q is not None:
                pro.append(q)
        out[b] = {
            "decode": (round(statistics.median(dec), 2) if dec else None, len(dec)),
            "prompt": (round(statistics.median(pro), 2) if pro else None, len(pro)),
        }
    return out


def _fmt(x: float | None) -> str:
    return "   -" if x is None else f"{x:4.2f}"


def main() -> None:
    gpus = load_catalog().gpus
    print(
        f"{'backend':7} {'gpu':32} {'model':18} {'quant':7} {'tg':>7} {'pp':>8} "
        f"{'BW':>6} {'TFLOPS':>7} {'dec':>5} {'pro':>5}  source"
    )
    for p in POINTS:
        g = gpus[p.gpu]
        d, q = efficiencies(p, gpus)
        print(
            f"{p.backend:7} {p.gpu:32} {p.model:18} {p.quant:7} "
            f"{p.tg if p.tg is not None else '-':>7} {p.pp if p.pp is not None else '-':>8} "
            f"{g.bandwidth_gbs or '-':>6} {g.fp16_tflops or '-':>7} {_fmt(d):>5} {_fmt(q):>5}  {p.source}"
        )
    for title, q in (("all records (the constants)", False), ("quantized records only (cross-check)", True)):
        print(f"\nmedian implied efficiency per backend, {title}; n = records with the catalog figure")
        for b, m in medians(quantized_only=q).items():
            (dm, dn), (pm, pn) = m["decode"], m["prompt"]
            print(f"  {b:6} decode {_fmt(dm)} (n={dn:2})   prompt {_fmt(pm)} (n={pn:2})")


if __name__ == "__main__":
    main()
