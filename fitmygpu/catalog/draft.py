"""Drafting a catalog entry from a Hugging Face config.json, for maintainers adding a model.

The architecture block is the error-prone part of an entry (head dims, expert widths, layer
patterns), so it is generated from the config; the maintainer fills in the facts a config cannot
hold (company, license, release date, sources) and the prose.
"""

from __future__ import annotations

import sys
from typing import Any

import yaml

from fitmygpu.architecture import Architecture
from fitmygpu.catalog.schema import ModelEntry
from fitmygpu.hf_config import architecture_from_config, context_window, load_config


def architecture_dict(arch: Architecture) -> dict[str, Any]:
    """The architecture as YAML-ready data, defaults omitted and layer kinds compacted."""
    data = arch.model_dump(mode="json", exclude_defaults=True)
    data["family"] = arch.family
    if arch.linear is not None:  # the discriminator is a default, but the YAML needs it
        data["linear"] = {"kind": arch.linear.kind, **data.get("linear", {})}
    kinds = data.pop("layer_kinds", None)
    if kinds:
        for size in range(1, len(kinds) + 1):
            if len(kinds) % size == 0 and kinds == kinds[:size] * (len(kinds) // size):
                data["layer_pattern"] = kinds[:size]
                break
        else:
            data["layer_kinds"] = kinds
        if data.get("layer_pattern") == ["full"]:
            del data["layer_pattern"]
    return data


def draft_entry(config: dict[str, Any], hf_repo: str | None = None) -> str:
    arch = architecture_from_config(config)
    slug = (hf_repo or "org/new-model").split("/")[-1].lower()
    entry = {
        "id": slug,
        "name": (hf_repo or "New model").split("/")[-1].replace("-", " "),
        "company": "TODO",
        "family": "TODO",
        "aliases": [],
        "hf_repo": hf_repo,
        "release_date": None,
        "architecture_text": "MoE decoder-only transformer" if arch.moe else "Dense decoder-only transformer",
        "license": "TODO",
        "context_window": context_window(config) or 0,
        "parameters_label": f"{arch.total_params / 1e9:.1f}B",
        "params_total": arch.total_params,
        "kv_layers": arch.kv_layer_count,
        "checkpoint_dtype": str(config.get("torch_dtype") or config.get("dtype") or "bfloat16")
        .upper()
        .replace("BFLOAT16", "BF16")
        .replace("FLOAT16", "FP16"),
        "architecture": architecture_dict(arch),
        "sources": [
            {
                "url": f"https://huggingface.co/{hf_repo}/blob/main/config.json"
                if hf_repo
                else "https://huggingface.co/TODO",
                "title": "config.json",
            }
        ],
    }
    if arch.moe:
        entry["params_active"] = arch.active_params
    return yaml.safe_dump({"models": [entry]}, sort_keys=False, allow_unicode=True)


def draft_model(config: dict[str, Any], name: str = "config.json") -> ModelEntry:
    """A minimal in-memory entry for estimating a model that is not in the catalog."""
    arch = architecture_from_config(config)
    return ModelEntry(
        id="custom-config",
        name=f"Custom model ({name})",
        company="(from config.json)",
        family=arch.family,
        architecture_text="MoE decoder-only transformer" if arch.moe else "Decoder-only transformer",
        context_window=context_window(config) or 131072,
        parameters_label=f"{arch.total_params / 1e9:.1f}B",
        architecture=arch,
        sources=[{"url": "https://huggingface.co/docs/transformers/main_classes/configuration"}],
    )


if __name__ == "__main__":  # python -m fitmygpu.catalog.draft config.json [org/repo]
    print(draft_entry(load_config(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else None))
