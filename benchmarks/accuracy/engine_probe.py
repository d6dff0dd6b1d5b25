"""Runs inside benchmarks/accuracy/.venv-llama (llama-cpp-python); driven by run_accuracy.py.

Two sub-commands, each printing one JSON object on stdout:

  quantize SRC DST FTYPE      llama.cpp's own quantizer, llama_model_quantize_default_params()
  probe MODEL CONFIGS_JSON    load MODEL on the CPU and create one context per config, returning
                              the buffer sizes llama.cpp logs (model, KV per cache, RS, compute,
                              output), parsed from its log lines

Each config is {"n_ctx", "flash_attn", "kv_type", "dry"}. ``dry`` uses llama.cpp's own no_alloc
mode (the memory-fit dry run behind ``--fit``): the same graph reserve and cache layout, nothing
allocated, so 128K contexts can be measured on a 24 GiB machine. Real runs allocate and clear
every buffer.

The model is loaded with n_gpu_layers=0, load_mode=mmap (use_mmap) and use_extra_bufts=False, so the weights
show up once, as the CPU_Mapped model buffer (no CPU_REPACK copy).
"""

from __future__ import annotations

import ctypes
import json
import re
import sys
import time

import llama_cpp as L

LOG: list[str] = []


@L.llama_log_callback
def _log(level, text, user_data):
    if text:
        LOG.append(text.decode("utf-8", "replace"))


L.llama_log_set(_log, ctypes.c_void_p(0))
L.llama_backend_init()

FTYPES = {
    "Q8_0": L.LLAMA_FTYPE_MOSTLY_Q8_0,
    "Q6_K": L.LLAMA_FTYPE_MOSTLY_Q6_K,
    "Q5_K_M": L.LLAMA_FTYPE_MOSTLY_Q5_K_M,
    "Q4_K_M": L.LLAMA_FTYPE_MOSTLY_Q4_K_M,
    "Q3_K_M": L.LLAMA_FTYPE_MOSTLY_Q3_K_M,
    "Q2_K": L.LLAMA_FTYPE_MOSTLY_Q2_K,
    "IQ4_XS": L.LLAMA_FTYPE_MOSTLY_IQ4_XS,
}
GGML_TYPES = {"f16": 1, "q8_0": 8}
FA = {True: 1, False: 0}  # LLAMA_FLASH_ATTN_TYPE_ENABLED / _DISABLED

MIB = r"([0-9.]+) MiB"
RE_MODEL = re.compile(r"load_tensors:\s+(\S+) model buffer size =\s+" + MIB)
RE_KV_BUF = re.compile(r"llama_kv_cache:\s+(\S+) KV buffer size =\s+" + MIB)
RE_KV_SIZE = re.compile(
    r"llama_kv_cache: size =\s+([0-9.]+) MiB \(\s*(\d+) cells,\s+(\d+) layers,.*?"
    r"K \((\w+)\):\s+([0-9.]+) MiB, V \((\w+)\):\s+([0-9.]+) MiB"
)
RE_RS = re.compile(r"(\S+) RS buffer size =\s+" + MIB)
RE_COMPUTE = re.compile(r"(\S+) compute buffer size =\s+" + MIB)
RE_OUTPUT = re.compile(r"llama_context:\s+(\S+)\s+output buffer size =\s+" + MIB)
RE_ISWA = re.compile(r"creating\s+(non-SWA|SWA) KV cache, size = (\d+) cells")


NOISE = (
    "llama_graph_n_input_tensors",
    "create_tensor",
    "llama_kv_cache: layer",
    "llama_model_loader: - ",
    "print_info:",
    "load: ",
    "llama_model_loader: - kv",
    "graph_reserve: reserving a graph",
)


def keep(lines: list[str]) -> str:
    """The log without the per-tensor / per-layer chatter."""
    return "".join(x for x in "".join(lines).splitlines(keepends=True) if not x.startswith(NOISE))


def _mib(x: str) -> float:
    return float(x)


def parse(lines: list[str]) -> dict:
    text = "".join(lines)
    out: dict = {"model_buffers": {}, "kv_caches": [], "kv_buffers": [], "rs_buffers": [],
                 "compute_buffers": {}, "output_buffers": {}, "iswa": []}  # fmt: skip
    for m in RE_MODEL.finditer(text):
        out["model_buffers"][m.group(1)] = out["model_buffers"].get(m.group(1), 0.0) + _mib(m.group(2))
    for m in RE_ISWA.finditer(text):
        out["iswa"].append({"cache": m.group(1), "cells": int(m.group(2))})
    for m in RE_KV_SIZE.finditer(text):
        out["kv_caches"].append({
            "mib": _mib(m.group(1)), "cells": int(m.group(2)), "layers": int(m.group(3)),
            "k_type": m.group(4), "k_mib": _mib(m.group(5)), "v_type": m.group(6), "v_mib": _mib(m.group(7)),
        })  # fmt: skip
    for m in RE_KV_BUF.finditer(text):
        out["kv_buffers"].append({"buffer": m.group(1), "mib": _mib(m.group(2))})
    for m in RE_RS.finditer(text):
        out["rs_buffers"].append({"buffer": m.group(1), "mib": _mib(m.group(2))})
    for m in RE_COMPUTE.finditer(text):
        out["compute_buffers"][m.group(1)] = _mib(m.group(2))
    for m in RE_OUTPUT.finditer(text):
        out["output_buffers"][m.group(1)] = _mib(m.group(2))
    return out


def quantize(src: str, dst: str, ftype: str) -> dict:
    qp = L.llama_model_quantize_default_params()
    qp.ftype = FTYPES[ftype]
    qp.nthread = 2
    t0 = time.time()
    rc = L.llama_model_quantize(src.encode(), dst.encode(), ctypes.byref(qp))
    return {"rc": rc, "seconds": round(time.time() - t0, 1), "log_tail": "".join(LOG)[-3000:]}


def _load(path: str, dry: bool):
    mp = L.llama_model_default_params()
    mp.n_gpu_layers = 0
    mp.use_extra_bufts = False
    # use_mmap is now load_mode: mmap for real loads; no_alloc requires a non-mmap load
    mp.load_mode = L.LLAMA_LOAD_MODE_NONE if dry else L.LLAMA_LOAD_MODE_MMAP
    mp.no_alloc = dry
    LOG.clear()
    model = L.llama_model_load_from_file(path.encode(), mp)
    if not model:
        raise RuntimeError("model load failed:\n" + "".join(LOG)[-4000:])
    return model, parse(LOG), keep(LOG)


def probe(path: str, configs: list[dict]) -> dict:
    results = []
    models = {}
    load_info = {}
    for dry in sorted({bool(c.get("dry")) for c in configs}):
        models[dry], parsed, raw = _load(path, dry)
        load_info["dry" if dry else "real"] = {"parsed": parsed, "log": raw}
    for cfg in configs:
        dry = bool(cfg.get("dry"))
        cp = L.llama_context_default_params()
        cp.n_ctx = cfg["n_ctx"]
        cp.n_seq_max = 1
        cp.n_threads = 2
        cp.n_threads_batch = 2
        cp.flash_attn_type = FA[cfg["flash_attn"]]
        cp.type_k = cp.type_v = GGML_TYPES[cfg["kv_type"]]
        cp.swa_full = False  # llama-server / CLI default; the library default is true (engine-notes)
        LOG.clear()
        t0 = time.time()
        ctx = L.llama_init_from_model(models[dry], cp)
        raw = keep(LOG)
        row = {**cfg, "ok": bool(ctx), "seconds": round(time.time() - t0, 2), "n_batch": cp.n_batch,
               "n_ubatch": cp.n_ubatch, "parsed": parse(LOG), "log": raw}  # fmt: skip
        if ctx:
            L.llama_free(ctx)
        results.append(row)
    for m in models.values():
        L.llama_model_free(m)
    return {"load": load_info, "contexts": results}


def main() -> None:
    cmd = sys.argv[1]
    if cmd == "quantize":
        res = quantize(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "probe":
        res = probe(sys.argv[2], json.loads(sys.argv[3]))
    elif cmd == "version":
        sysinfo = L.llama_print_system_info()
        res = {"llama_cpp_python": L.__version__, "system_info": sysinfo.decode() if sysinfo else ""}
    else:
        raise SystemExit(f"unknown command {cmd}")
    sys.stdout.write(json.dumps(res))


if __name__ == "__main__":
    main()
