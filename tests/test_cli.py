"""The fitmygpu command, run in-process: answers, JSON shape, exit codes, bad input."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from fitmygpu.cli import app

runner = CliRunner()
ROW_FIELDS = {
    "context",
    "quant",
    "runtime",
    "kv_cache",
    "weights_bytes",
    "kv_bytes",
    "compute_bytes",
    "reserve_bytes",
    "total_bytes",
    "usable_bytes",
    "verdict",
    "max_context",
    "decode_tokens_per_second",
}


def test_ask_answers_the_readme_question():
    r = runner.invoke(app, ["ask", "will deepseek r1 1.5b fit on a 3060?"])
    assert r.exit_code == 0, r.output
    assert "DeepSeek R1 Distill Qwen 1.5B on GeForce RTX 3060 12 GB" in r.output
    assert "Breakdown" in r.output and "Max context" in r.output


def test_ask_json_shape():
    r = runner.invoke(app, ["ask", "qwen2.5 7b q4 on rtx 3070 with 16k ctx", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert set(data) >= {
        "model",
        "setup",
        "context",
        "quant",
        "kv_cache",
        "runtime",
        "concurrency",
        "rows",
        "best",
        "notes",
        "alternatives",
    }
    assert data["model"]["id"] == "qwen2.5-7b-instruct"
    assert data["setup"]["gpus"][0]["id"] == "nvidia-rtx-3070" and data["setup"]["gpus"][0]["count"] == 1
    assert data["context"] == 16384 and data["quant"] == "Q4_K_M"
    assert data["runtime"] is None and data["kv_cache"] is None and data["concurrency"] is None
    assert data["rows"] and all(set(row) >= ROW_FIELDS for row in data["rows"])
    assert {row["context"] for row in data["rows"]} >= {4096, 8192, 16384, 32768}


def test_no_model_exits_2_with_json_error():
    r = runner.invoke(app, ["ask", "how much vram do I need for my toaster", "--json"])
    assert r.exit_code == 2
    err = json.loads(r.output)["error"]
    assert err["message"] and isinstance(err["suggestions"], list)


def test_estimate_with_flags():
    r = runner.invoke(
        app,
        [
            "estimate",
            "--model",
            "llama-3.1-8b-instruct",
            "--gpu",
            "3090",
            "--quant",
            "q8_0",
            "--context",
            "32768",
            "--kv-cache",
            "q8_0",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)["rows"]
    row = next(x for x in rows if x["context"] == 32768)
    assert row["quant"] == "Q8_0" and row["kv_cache"] == "q8_0"
    # 32 layers x 8 KV heads x 128 x (K + V) in q8_0 rows (128/32 x 34 bytes each) x 32768 cells.
    assert row["kv_bytes"] == 32 * 2 * (8 * 128 // 32 * 34) * 32768


def test_estimate_hf_config(tmp_path):
    cfg = tmp_path / "config.json"
    cfg.write_text(
        json.dumps(
            {
                "model_type": "qwen3",
                "vocab_size": 151936,
                "hidden_size": 4096,
                "intermediate_size": 12288,
                "num_hidden_layers": 36,
                "num_attention_heads": 32,
                "num_key_value_heads": 8,
                "head_dim": 128,
                "max_position_embeddings": 40960,
                "tie_word_embeddings": False,
            }
        )
    )
    r = runner.invoke(
        app, ["estimate", "--hf-config", str(cfg), "--gpu", "24gb", "--quant", "Q4_K_M", "--json"]
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["rows"][0]["verdict"] == "fits"


def test_unsupported_config_is_a_clear_error(tmp_path):
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"model_type": "rwkv7", "hidden_size": 1}))
    r = runner.invoke(app, ["estimate", "--hf-config", str(cfg), "--gpu", "3090"])
    assert r.exit_code == 2
    assert "rwkv7" in r.output


def test_unknown_gpu_suggests():
    r = runner.invoke(app, ["estimate", "--model", "llama-3.1-8b-instruct", "--gpu", "potato 9000"])
    assert r.exit_code == 2
    assert "No GPU called" in r.output


def test_model_page_lists_every_fact():
    r = runner.invoke(app, ["model", "r1 1.5b"])
    assert r.exit_code == 0, r.output
    for label in (
        "Company",
        "Family",
        "Release date",
        "Architecture",
        "License",
        "Modality",
        "Context window",
        "Total params",
        "Active params",
        "Layers",
        "Hidden size",
        "Attention heads",
        "KV heads",
        "KV-bearing layers",
        "WHAT IMPROVED",
        "HOW IT WAS RELEASED",
        "WHERE IT IS STRONG",
        "WHAT DOMINATES VRAM",
        "SOURCES",
    ):
        assert label in r.output


def test_catalog_check_and_add(tmp_path):
    r = runner.invoke(app, ["catalog", "check"])
    assert r.exit_code == 0 and r.output.startswith("ok:")
    cfg = tmp_path / "config.json"
    cfg.write_text(
        json.dumps(
            {
                "model_type": "llama",
                "vocab_size": 128256,
                "hidden_size": 4096,
                "intermediate_size": 14336,
                "num_hidden_layers": 32,
                "num_attention_heads": 32,
                "num_key_value_heads": 8,
                "max_position_embeddings": 131072,
            }
        )
    )
    r = runner.invoke(app, ["catalog", "add", "--hf-config", str(cfg), "--repo", "meta-llama/Llama-3.1-8B"])
    assert r.exit_code == 0
    assert "params_total: 8030261248" in r.output and "kv_layers: 32" in r.output
