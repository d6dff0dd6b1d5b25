"""Every constant the estimator assumes, with where it comes from.

One place, so a reader can audit what is measured, what an engine hard-codes, and what is our
approximation. Sources refer to ../shared/reference/estimator-research.md sections and the
upstream files and threads cited there.
"""

from __future__ import annotations

MIB = 1024**2
GIB = 1024**3

# --- per-device runtime reserves ---------------------------------------------------------------
# CUDA context + driver as llama.cpp's memory breakdown reports it ("unaccounted"): 451-456 MiB on
# an RTX 4090 (llama.cpp PR #15860); used for ROCm and SYCL too (Ollama's classic estimator reserved
# the same 457 MiB for CUDA and ROCm). Metal: 512 MiB (ollama ml/device.go MinimumMemory()).
LLAMA_CPP_CUDA_RESERVE = 456 * MIB
METAL_RESERVE = 512 * MIB
# llama-server's --fit keeps this much free per device by default (common/arg.cpp, issue #18390);
# Ollama runs llama-server with fitting on, so its loads keep the margin too.
FIT_MARGIN = 1024 * MIB
# PyTorch CUDA context with lazy module loading, CUDA >= 11.7 (pytorch issue #107667).
TORCH_CUDA_CONTEXT = 300 * 1000**2

# --- llama.cpp -----------------------------------------------------------------------------------
LLAMA_CPP_UBATCH = 512  # default n_ubatch (common/common.h)
LLAMA_CPP_KV_PAD = 256  # cells are padded to 256 (src/llama-kv-cache*.cpp, issue #17037)
# Pipeline parallelism: with several GPUs and the whole model offloaded, the scheduler keeps
# GGML_SCHED_MAX_COPIES graph copies (4) so compute buffers multiply (ollama issue #8377:
# 2,896 MiB per GPU).
LLAMA_CPP_PIPELINE_COPIES = 4

# --- Ollama --------------------------------------------------------------------------------------
# Default context by total VRAM (ollama server/routes.go, commit 0334ffa62, 2026-01-27).
OLLAMA_CONTEXT_TIERS: tuple[tuple[int, int], ...] = ((47 * GIB, 262_144), (23 * GIB, 32_768))
OLLAMA_DEFAULT_CONTEXT = 4096

# --- vLLM ----------------------------------------------------------------------------------------
VLLM_GPU_MEMORY_UTILIZATION = 0.9  # vllm EngineArgs default; a fraction of *total* memory
VLLM_BLOCK_SIZE = 16  # default KV block size (tokens)
VLLM_MAX_NUM_SEQS = 256  # default max_num_seqs; the profile run samples this many dummy rows
# max_num_batched_tokens defaults (vllm engine/arg_utils.py, V1): 8192 for the OpenAI server on
# GPUs with >= 70 GiB, 2048 below.
VLLM_BATCHED_TOKENS_LARGE = 8192
VLLM_BATCHED_TOKENS_SMALL = 2048
VLLM_LARGE_GPU = 70 * GIB
# Non-torch memory and CUDA graphs from vLLM PR #21489's gemma-3-4b log: 0.07 GiB and 0.65 GiB.
VLLM_NON_TORCH = int(0.07 * GIB)
VLLM_CUDA_GRAPHS = int(0.65 * GIB)

# --- MLX / Apple -----------------------------------------------------------------------------------
# Metal's recommendedMaxWorkingSetSize: about 2/3 of RAM up to 36 GB, 3/4 above (the rule the
# estimator issue states; llmfit PR #754 reports 10.67 GB usable on a 16 GB M4 = 2/3). Reports vary
# by chip and macOS (sglang PR #29949 / exo PR #1672 cite ~74% on 16-24 GB M3), so the limit is
# overridable (Setup.metal_limit_bytes, macOS `iogpu.wired_limit_mb`).
APPLE_SMALL_RAM = 36 * GIB
APPLE_SMALL_FRACTION = 2 / 3
APPLE_LARGE_FRACTION = 3 / 4
MLX_KV_STEP = 256  # mlx_lm KVCache grows in steps of 256 tokens (mlx_lm/models/cache.py)
MLX_PREFILL_STEP = 2048  # mlx_lm generate prefill_step_size

# --- speed ---------------------------------------------------------------------------------------
# Decode is memory-bound: tokens/s = efficiency x bandwidth / bytes read per token. Each factor is
# the median of measured / roofline over published single-stream runs, against this catalog's
# bandwidth and TFLOPS: llama.cpp discussions #15013 (CUDA) and #4167 (Apple), llama-bench tables in
# llama.cpp PRs/issues, XiongjieDai/GPU-Benchmarks-on-LLM-Inference. Records, URLs and the
# arithmetic: benchmarks/speed_factors.py; method and caveats: docs/speed.md.
# cuda 0.70 (25 records, 0.29-0.91), rocm 0.72 (7), metal 0.73 (19; Ultra chips ~0.45),
# sycl 0.43 (4 Intel Arc records, SYCL and Vulkan).
DECODE_EFFICIENCY = {"cuda": 0.70, "rocm": 0.72, "metal": 0.73, "sycl": 0.43}
# vLLM at concurrency 1: Llama 3.1 8B BF16 on an A100 40GB, ~75 tok/s (1 record; johnmusgrave.com).
VLLM_DECODE_EFFICIENCY = 0.77
# Prompt processing is compute-bound: tokens/s = efficiency x dense FP16 FLOPS / (2 x active params).
# cuda 0.91 (20 records; consumer cards 0.6-1.2 because llama.cpp's int8/FP16-accumulate paths beat
# the catalog's FP16 figure, data-centre cards 0.15-0.31), rocm 0.34 (2), sycl 0.30 (1).
# metal stays at the old 0.45: the catalog has no TFLOPS for Apple chips, so nothing was measured.
PROMPT_EFFICIENCY = {"cuda": 0.91, "rocm": 0.34, "metal": 0.45, "sycl": 0.30}
# System RAM bandwidth when part of the model is offloaded: dual-channel DDR5-4800,
# 2 channels x 8 bytes x 4800 MT/s = 76.8 GB/s theoretical; speed.py scales it by the CUDA decode
# factor (no CPU factor was derived; docs/speed.md, Caveats).
SYSTEM_RAM_BANDWIDTH_GBS = 76.8
