"""Measure FitMyGPU's llama.cpp estimate against llama.cpp itself.

For each case this writes a GGUF with random small F16 weights at the model's real tensor shapes
(named and shaped from ``Architecture.tensors``, so llama.cpp's loader also checks our tensor
list), quantizes it with llama.cpp's own quantizer, loads every quant on the CPU and creates
contexts at 2K-128K with flash attention on/off and f16/q8_0 KV, and parses the buffer sizes
llama.cpp logs. It then compares them with our weights (``weight_plan``), KV
(``llama_cpp_layer_kv``) and compute buffer (``llama_cpp_compute``).

Run with the project venv; the engine runs in benchmarks/accuracy/.venv-llama (see
docs/accuracy.md for the setup):

    .venv/bin/python benchmarks/accuracy/run_accuracy.py              # every case
    .venv/bin/python benchmarks/accuracy/run_accuracy.py --cases qwen2-1.5b --quants Q4_K_M
    .venv/bin/python benchmarks/accuracy/run_accuracy.py --compare    # re-score results.json only

Results go to benchmarks/accuracy/results.json; ``--markdown`` prints the tables used in
docs/accuracy.md. GGUF files are written under benchmarks/accuracy/work/ (git-ignored); quantized
files are deleted after measuring unless --keep.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import gguf
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from fitmygpu.architecture import Architecture  # noqa: E402
from fitmygpu.estimator.compute import llama_cpp_compute  # noqa: E402
from fitmygpu.estimator.kv import (  # noqa: E402
    KV_TYPES,
    kv_profile,
    llama_cpp_cells,
    llama_cpp_layer_kv,
)
from fitmygpu.hf_config import architecture_from_config  # noqa: E402
from fitmygpu.quant.formats import weight_plan  # noqa: E402
from fitmygpu.quant.gguf_rules import GGUFPreset, TensorTypePlanner  # noqa: E402

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
LLAMA_PY = HERE / ".venv-llama" / "bin" / "python"
PROBE = HERE / "engine_probe.py"
RESULTS = HERE / "results.json"
MIB = 1024**2
UBATCH = 512  # llama_context_default_params().n_ubatch

QUANTS = ("Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q3_K_M", "Q2_K", "IQ4_XS")
CONTEXTS = (2048, 8192, 32768, 131072)
# (flash attention, KV type). A quantized V cache needs flash attention in llama.cpp.
ATTN = ((True, "f16"), (False, "f16"), (True, "q8_0"))
REAL_LIMIT = 12 * 1024**3  # allocate for real only when KV + compute stay under this

# ----- cases --------------------------------------------------------------------------------------

LLAMA3_8B = {
    "model_type": "llama", "vocab_size": 128256, "hidden_size": 4096, "intermediate_size": 14336,
    "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
    "tie_word_embeddings": False,
}  # fmt: skip

CASES: dict[str, dict] = {
    "qwen2-1.5b": {
        "title": "Qwen2 dense GQA at DeepSeek R1 Distill Qwen 1.5B's shapes (28 layers, as released)",
        "gguf_arch": "qwen2",
        "rope_theta": 10000.0,
        "config": {
            "model_type": "qwen2", "vocab_size": 151936, "hidden_size": 1536, "intermediate_size": 8960,
            "num_hidden_layers": 28, "num_attention_heads": 12, "num_key_value_heads": 2,
            "tie_word_embeddings": False,
        },
    },
    "llama3-8b": {
        "title": "Llama 3 8B shapes, all 32 layers, F16 only, measured with llama.cpp's no_alloc dry run "
        "(the 16 GB F16 file is written sparse; KV and compute do not depend on the weights)",
        "gguf_arch": "llama",
        "rope_theta": 500000.0,
        "sparse": True,
        "quants": ["F16"],
        "dry_only": True,
        "config": LLAMA3_8B,
    },
    "llama3-8b-8l": {
        "title": "Llama 3 8B shapes (vocab 128256, hidden 4096, FFN 14336, 32 heads / 8 KV heads) with 8 of "
        "its 32 layers, so seven quantizations fit the time budget on two cores",
        "gguf_arch": "llama",
        "rope_theta": 500000.0,
        "config": {**LLAMA3_8B, "num_hidden_layers": 8},
    },
    "gemma3-1b": {
        "title": "Gemma 3 1B shapes (26 layers, 5 sliding (window 512) : 1 global, head_dim 256, tied)",
        "gguf_arch": "gemma3",
        "rope_theta": 1000000.0,
        "config": {
            "model_type": "gemma3_text", "vocab_size": 262144, "hidden_size": 1152, "intermediate_size": 6912,
            "num_hidden_layers": 26, "num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 256,
            "sliding_window": 512, "sliding_window_pattern": 6, "tie_word_embeddings": True,
        },
    },
    "qwen3moe-30b-a3b-4l": {
        "title": "Qwen3-30B-A3B shapes (128 experts, 8 active, expert FFN 768, 32 heads / 4 KV heads, "
        "head_dim 128) with 4 of its 48 layers",
        "gguf_arch": "qwen3moe",
        "rope_theta": 1000000.0,
        "config": {
            "model_type": "qwen3_moe", "vocab_size": 151936, "hidden_size": 2048, "intermediate_size": 6144,
            "num_hidden_layers": 4, "num_attention_heads": 32, "num_key_value_heads": 4, "head_dim": 128,
            "num_experts": 128, "num_experts_per_tok": 8, "moe_intermediate_size": 768,
            "tie_word_embeddings": False,
        },
    },
}  # fmt: skip

# Architecture norm slots -> llama.cpp tensor names, per family.
NORMS = {
    "gemma3": ("attn_norm", "post_attention_norm", "ffn_norm", "post_ffw_norm"),
    "gemma2": ("attn_norm", "post_attention_norm", "ffn_norm", "post_ffw_norm"),
}
DEFAULT_NORMS = ("attn_norm", "ffn_norm")


def case_arch(name: str, layers: int | None = None) -> Architecture:
    cfg = dict(CASES[name]["config"])
    if layers:
        cfg["num_hidden_layers"] = layers
    return architecture_from_config(cfg)


def gguf_name(arch: Architecture, name: str) -> str:
    parts = name.split(".")
    if parts[0] == "blk" and parts[2].startswith("norm_"):
        slot = int(parts[2][5:])
        parts[2] = NORMS.get(arch.family, DEFAULT_NORMS)[slot]
    return ".".join(parts)


# ----- writing the F16 source GGUF ------------------------------------------------------------------


def _random_f16(rng: np.random.Generator, n: int) -> np.ndarray:
    """Random sign and mantissa, magnitudes 2^-9..2^-7: small, finite, varied."""
    bits = rng.integers(0, 1 << 16, size=n, dtype=np.uint16)
    return ((bits & np.uint16(0x87FF)) | np.uint16(0x1800)).view(np.float16)


def write_source(case: str, arch: Architecture, path: Path, sparse: bool = False) -> dict:
    """The F16 GGUF llama.cpp's converter would write. ``sparse`` leaves the data as a hole (all
    zeros, no disk writes): enough for llama.cpp's no_alloc dry run, which never reads weights."""
    spec = CASES[case]
    a = spec["gguf_arch"]
    w = gguf.GGUFWriter(str(path), a)
    w.add_name(f"fitmygpu-accuracy-{case}")
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    w.add_context_length(131072)
    w.add_embedding_length(arch.hidden_size)
    w.add_block_count(arch.num_layers)
    w.add_feed_forward_length(arch.intermediate_size)
    w.add_head_count(arch.num_attention_heads)
    w.add_head_count_kv(arch.num_kv_heads)
    w.add_key_length(arch.k_head_dim)
    w.add_value_length(arch.v_dim)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_rope_freq_base(spec["rope_theta"])
    # No real tokenizer: llama.cpp's "none" vocab with <arch>.vocab_size dummy tokens
    # (src/llama-vocab.cpp, tokenizer_model == "none") gives n_vocab for the embedding shapes.
    w.add_vocab_size(arch.vocab_size)
    w.add_tokenizer_model("none")
    if arch.sliding_window:
        w.add_sliding_window(arch.sliding_window)
        w.add_uint32(f"{a}.attention.sliding_window_pattern", len(arch.layer_pattern))
        w.add_float32(f"{a}.rope.freq_base_swa", 10000.0)
    if arch.moe:
        w.add_expert_count(arch.moe.num_experts)
        w.add_expert_used_count(arch.moe.experts_per_token)
        w.add_expert_feed_forward_length(arch.moe.expert_intermediate_size)
    tensors = []
    for t in arch.tensors:
        dtype = np.float16 if t.quantizable else np.float32
        shape = tuple(reversed(t.ne))
        nbytes = t.elements * np.dtype(dtype).itemsize
        w.add_tensor_info(gguf_name(arch, t.name), shape, np.dtype(dtype), nbytes)
        tensors.append((t, dtype, shape))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    if sparse:
        fout = w.fout[0]
        fout.flush()
        start = gguf.GGUFWriter.ggml_pad(fout.tell(), w.data_alignment)
        size = sum(gguf.GGUFWriter.ggml_pad(t.elements * np.dtype(d).itemsize, w.data_alignment)
                   for t, d, _ in tensors)  # fmt: skip
        fout.truncate(start + size)
        w.close()
        return {"bytes": path.stat().st_size, "tensors": len(tensors), "sparse": True}
    rng = np.random.default_rng(0)
    for t, dtype, shape in tensors:
        if dtype == np.float16:
            arr = _random_f16(rng, t.elements).reshape(shape)
        else:
            arr = (1.0 + 0.01 * rng.standard_normal(t.elements, dtype=np.float32)).reshape(shape)
        w.write_tensor_data(arr)
        del arr
    w.close()
    return {"bytes": path.stat().st_size, "tensors": len(tensors)}


# ----- talking to the engine ----------------------------------------------------------------------


def engine(*args: str) -> dict:
    proc = subprocess.run([str(LLAMA_PY), str(PROBE), *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"engine_probe {args[0]} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout)


def file_types(path: Path) -> dict[str, tuple[str, int]]:
    """What the quantizer actually chose: tensor name -> (type, bytes)."""
    r = gguf.GGUFReader(str(path))
    return {t.name: (t.tensor_type.name, int(t.n_bytes)) for t in r.tensors}


def our_types(arch: Architecture, quant: str) -> dict[str, str]:
    plan = TensorTypePlanner(arch, GGUFPreset(quant)).plan(arch.tensors)
    return {gguf_name(arch, t.name): ty.value for t, ty in plan}


# ----- our figures ----------------------------------------------------------------------------------


def ours(arch: Architecture, quant: str, n_ctx: int, fa: bool, kv_type: str) -> dict:
    plan = weight_plan(arch, quant)
    k = KV_TYPES[kv_type]
    prof = kv_profile(arch, k, k)
    layer_kv = llama_cpp_layer_kv(prof, n_ctx, 1, UBATCH, False)
    swa = sum(b for b, w in zip(layer_kv, prof.window, strict=True) if w is not None)
    cells = llama_cpp_cells(n_ctx, 1)
    compute = llama_cpp_compute(arch, cells, UBATCH, fa)
    kv = sum(layer_kv)
    return {
        "weights": plan.total_bytes,
        "token_embd": plan.token_embd_bytes,
        "kv": kv,
        "kv_swa": swa,
        "kv_full": kv - swa,
        "compute": compute,
        "total": plan.total_bytes + kv + compute,
    }


def engine_figures(run: dict, model_mib: float) -> dict:
    p = run["parsed"]
    kv = sum(c["mib"] for c in p["kv_caches"])
    rs = sum(c["mib"] for c in p["rs_buffers"])
    compute = sum(p["compute_buffers"].values())
    out = {
        "model_mib": model_mib,
        "kv_mib": kv,
        "kv_caches": p["kv_caches"],
        "iswa": p["iswa"],
        "rs_mib": rs,
        "compute_mib": compute,
        "compute_buffers": p["compute_buffers"],
        "output_mib": sum(p["output_buffers"].values()),
        "total_mib": model_mib + kv + rs + compute,
    }
    return out


def measure(case: str, quants: list[str], keep: bool, layers: int | None, full_matrix: list[str]) -> dict:
    arch = case_arch(case, layers)
    WORK.mkdir(parents=True, exist_ok=True)
    src = WORK / f"{case}-F16.gguf"
    entry: dict = {"case": case, "title": CASES[case]["title"], "layers": arch.num_layers,
                   "arch": arch.model_dump(mode="json"), "quants": {}}  # fmt: skip
    spec = CASES[case]
    quants = spec.get("quants", quants)
    if not src.exists():
        t0 = time.time()
        info = write_source(case, arch, src, sparse=spec.get("sparse", False))
        print(
            f"[{case}] wrote F16 source {info['bytes'] / 2**30:.2f} GiB in {time.time() - t0:.0f}s",
            flush=True,
        )
    entry["source_bytes"] = src.stat().st_size
    qinfos: dict[str, dict] = {}

    def quantize(quant: str) -> None:
        dst = WORK / f"{case}-{quant}.gguf"
        if quant == "F16" or dst.exists():
            return
        q = engine("quantize", str(src), str(dst), quant)
        if q["rc"] != 0:
            raise RuntimeError(f"quantize {case} {quant} failed: {q['log_tail']}")
        print(f"[{case}] {quant}: quantized in {q['seconds']}s", flush=True)
        qinfos[quant] = q

    # llama_model_quantize keeps about one core busy; two at once use both.
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(quantize, quants))
    for quant in quants:
        dst = src if quant == "F16" else WORK / f"{case}-{quant}.gguf"
        qinfo = qinfos.get(quant)
        actual = file_types(dst)
        predicted = our_types(arch, quant)
        mismatches = {n: {"engine": actual[n][0], "ours": predicted.get(n)} for n in actual
                      if predicted.get(n) != actual[n][0]}  # fmt: skip
        configs = []
        full = quant in full_matrix or spec.get("dry_only", False)
        for n_ctx in CONTEXTS if full else (2048, 32768, 131072):
            for fa, kvt in ATTN if full else ((True, "f16"),):
                o = ours(arch, quant, n_ctx, fa, kvt)
                configs.append({"n_ctx": n_ctx, "flash_attn": fa, "kv_type": kvt, "dry": True})
                real_ok = not spec.get("dry_only") and o["kv"] + o["compute"] < REAL_LIMIT
                if n_ctx <= 32768 and real_ok and (full or n_ctx == 2048):
                    configs.append({"n_ctx": n_ctx, "flash_attn": fa, "kv_type": kvt, "dry": False})
        t0 = time.time()
        res = engine("probe", str(dst), json.dumps(configs))
        if "real" in res["load"]:
            model_mib = res["load"]["real"]["parsed"]["model_buffers"].get("CPU_Mapped", 0.0)
        else:  # dry run only: the no_alloc load maps nothing; use the file's tensor data instead
            model_mib = sum(b for _, b in actual.values()) / MIB
        runs = []
        for r in res["contexts"]:
            if not r["ok"]:
                runs.append({"config": {k: r[k] for k in ("n_ctx", "flash_attn", "kv_type", "dry")},
                             "ok": False, "log_tail": r["log"][-2000:]})  # fmt: skip
                continue
            runs.append(
                {
                    "config": {k: r[k] for k in ("n_ctx", "flash_attn", "kv_type", "dry")},
                    "ok": True,
                    "n_ubatch": r["n_ubatch"],
                    "engine": engine_figures(r, model_mib),
                    "ours": ours(arch, quant, r["n_ctx"], r["flash_attn"], r["kv_type"]),
                }
            )
        entry["quants"][quant] = {
            "file_bytes": dst.stat().st_size,
            "tensor_bytes": sum(b for _, b in actual.values()),
            "model_buffers": res["load"].get("real", {}).get("parsed", {}).get("model_buffers"),
            "type_mismatches": mismatches,
            "quantize_seconds": qinfo["seconds"] if qinfo else None,
            "runs": runs,
            "load_log": res["load"].get("real", {}).get("log", "")[-6000:],
            "sample_context_log": next((r["log"] for r in res["contexts"] if r["ok"] and not r["dry"]), ""),
        }
        print(f"[{case}] {quant}: {len(runs)} contexts in {time.time() - t0:.0f}s; "
              f"type mismatches: {len(mismatches)}", flush=True)  # fmt: skip
        if not keep and dst != src:
            dst.unlink()
    return entry


# ----- scoring ------------------------------------------------------------------------------------


def pct(ours_b: float, eng_b: float) -> float:
    return 100.0 * (ours_b - eng_b) / eng_b if eng_b else 0.0


def score(results: dict) -> list[dict]:
    """Flat rows: one per (case, quant, config), with errors against the targets."""
    rows = []
    for case in results["cases"].values():
        arch = Architecture(**case["arch"])
        for quant, q in case["quants"].items():
            for run in q["runs"]:
                if not run["ok"]:
                    continue
                cfg = run["config"]
                o = ours(arch, quant, cfg["n_ctx"], cfg["flash_attn"], cfg["kv_type"])  # re-score
                run["ours"] = o  # results.json always holds the current estimator's figures
                e = run["engine"]
                w_e = (e["model_mib"] or 0) * MIB
                kv_e, c_e = e["kv_mib"] * MIB, e["compute_mib"] * MIB
                tot_e = w_e + kv_e + e["rs_mib"] * MIB + c_e
                rows.append({
                    "case": case["case"], "quant": quant, **cfg,
                    "w_engine": w_e, "w_ours": o["weights"], "w_err_pct": pct(o["weights"], w_e),
                    "kv_engine": kv_e, "kv_ours": o["kv"], "kv_diff_mib": (o["kv"] - kv_e) / MIB,
                    "c_engine": c_e, "c_ours": o["compute"], "c_err_pct": pct(o["compute"], c_e),
                    "c_diff_mib": (o["compute"] - c_e) / MIB,
                    "t_engine": tot_e, "t_ours": o["total"], "t_err_pct": pct(o["total"], tot_e),
                })  # fmt: skip
    return rows


def targets(rows: list[dict]) -> dict:
    def ok_c(r: dict) -> bool:
        return abs(r["c_err_pct"]) <= 10 or abs(r["c_diff_mib"]) <= 64

    return {
        "weights_within_1pct": all(abs(r["w_err_pct"]) <= 1 for r in rows),
        "kv_exact_to_mib": all(abs(r["kv_diff_mib"]) < 1 for r in rows),
        "compute_within_10pct_or_64mib": all(ok_c(r) for r in rows),
        "total_within_3pct": all(abs(r["t_err_pct"]) <= 3 for r in rows),
        "worst_weights_pct": max((abs(r["w_err_pct"]) for r in rows), default=0),
        "worst_kv_mib": max((abs(r["kv_diff_mib"]) for r in rows), default=0),
        "worst_compute": max(rows, key=lambda r: 0 if ok_c(r) else abs(r["c_diff_mib"]), default=None),
        "worst_total_pct": max((abs(r["t_err_pct"]) for r in rows), default=0),
    }


def real_vs_dry(rows: list[dict]) -> tuple[int, int]:
    """(pairs compared, pairs that differ): real allocation vs no_alloc dry run, same config."""
    key = ("case", "quant", "n_ctx", "flash_attn", "kv_type")
    dry = {tuple(r[k] for k in key): r for r in rows if r["dry"]}
    n = bad = 0
    for r in rows:
        if r["dry"]:
            continue
        d = dry.get(tuple(r[k] for k in key))
        if d is None:
            continue
        n += 1
        bad += (d["kv_engine"], d["c_engine"]) != (r["kv_engine"], r["c_engine"])
    return n, bad


def markdown(rows: list[dict], full_matrix: list[str]) -> str:
    out = []

    def f(x: float) -> str:
        return f"{x / MIB:,.2f}"

    out.append("#### Weights: CPU_Mapped model buffer vs `weight_plan().total_bytes`\n")
    out.append("| case | quant | engine MiB | ours MiB | error |")
    out.append("|---|---|---:|---:|---:|")
    seen = set()
    for r in rows:
        key = (r["case"], r["quant"])
        if key in seen:
            continue
        seen.add(key)
        w_e, w_o = f(r["w_engine"]), f(r["w_ours"])
        out.append(f"| {r['case']} | {r['quant']} | {w_e} | {w_o} | {r['w_err_pct']:+.3f}% |")
    n, bad = real_vs_dry(rows)
    out.append(
        f"\n#### KV cache, compute buffer and total (dry run; {n} real allocations at 2K-32K gave the "
        f"same KV and compute figures in {n - bad} of {n} cases)\n"
    )
    out.append(
        "| case | quant | ctx | FA | KV | KV engine | KV ours | KV diff | compute engine | compute ours | "
        "compute err | total engine | total ours | total err |"
    )
    out.append("|---|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        if not r["dry"] or (r["quant"] not in full_matrix and r["case"] != "llama3-8b"):
            continue
        out.append(
            f"| {r['case']} | {r['quant']} | {r['n_ctx']} | {'on' if r['flash_attn'] else 'off'} | "
            f"{r['kv_type']} | {f(r['kv_engine'])} | {f(r['kv_ours'])} | {r['kv_diff_mib']:+.2f} | "
            f"{f(r['c_engine'])} | {f(r['c_ours'])} | {r['c_err_pct']:+.1f}% | {f(r['t_engine'])} | "
            f"{f(r['t_ours'])} | {r['t_err_pct']:+.2f}% |"
        )
    out.append(
        "\n#### Every quant: worst error over its measured configurations "
        "(2K, 32K, 128K with FA on and f16 KV; the full grid for the fully measured quant)\n"
    )
    out.append("| case | quant | worst KV diff MiB | worst compute err | worst total err |")
    out.append("|---|---|---:|---:|---:|")
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        groups.setdefault((r["case"], r["quant"]), []).append(r)
    for (case, quant), rs in groups.items():
        kv = max(rs, key=lambda r: abs(r["kv_diff_mib"]))["kv_diff_mib"]
        c = max(rs, key=lambda r: abs(r["c_err_pct"]))["c_err_pct"]
        t = max(rs, key=lambda r: abs(r["t_err_pct"]))["t_err_pct"]
        out.append(f"| {case} | {quant} | {kv:+.2f} | {c:+.1f}% | {t:+.2f}% |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", nargs="*", default=list(CASES))
    ap.add_argument("--quants", nargs="*", default=list(QUANTS))
    ap.add_argument(
        "--full-matrix",
        nargs="*",
        default=["Q4_K_M"],
        help="quants measured at every context x FA x KV type (others: FA on, f16)",
    )
    ap.add_argument(
        "--layers", type=json.loads, default="{}", help="per-case layer override, e.g. '{\"llama3-8b\": 8}'"
    )
    ap.add_argument("--keep", action="store_true", help="keep quantized GGUFs in work/")
    ap.add_argument("--compare", action="store_true", help="only re-score results.json")
    ap.add_argument("--markdown", action="store_true", help="print the docs tables")
    args = ap.parse_args()

    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"cases": {}}
    if not args.compare and not args.markdown:
        if not LLAMA_PY.exists():
            raise SystemExit(f"{LLAMA_PY} missing: see docs/accuracy.md to build the engine venv")
        results["engine"] = engine("version")
        for case in args.cases:
            t0 = time.time()
            new = measure(case, args.quants, args.keep, args.layers.get(case), args.full_matrix)
            old = results["cases"].get(case)
            if old and old.get("layers") == new["layers"]:
                old["quants"].update(new["quants"])
                new["quants"] = old["quants"]
            results["cases"][case] = new
            results["cases"][case]["seconds"] = round(time.time() - t0)
            RESULTS.write_text(json.dumps(results, indent=1))
    rows = score(results)
    results["targets"] = targets(rows)
    RESULTS.write_text(json.dumps(results, indent=1))
    if args.markdown:
        print(markdown(rows, args.full_matrix))
    else:
        print(json.dumps(results["targets"], indent=1, default=str))


if __name__ == "__main__":
    main()
