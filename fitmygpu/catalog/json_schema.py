"""JSON Schemas for the catalog files, so editors (YAML language server) check entries as they
are typed. Generated from the pydantic models, so they cannot drift from what the loader accepts."""

from __future__ import annotations

import json
from pathlib import Path

from fitmygpu.catalog.schema import GPUEntry, ModelEntry


def file_schema(entry: type, key: str, title: str) -> dict:
    item = entry.model_json_schema(by_alias=True)
    defs = item.pop("$defs", {})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "type": "object",
        "additionalProperties": False,
        "required": [key],
        "properties": {key: {"type": "array", "items": item}},
        "$defs": defs,
    }


def write_schemas(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for entry, key, fname, title in (
        (ModelEntry, "models", "models.schema.json", "FitMyGPU model catalog file"),
        (GPUEntry, "gpus", "gpus.schema.json", "FitMyGPU GPU catalog file"),
    ):
        path = out / fname
        path.write_text(json.dumps(file_schema(entry, key, title), indent=2) + "\n", encoding="utf-8")
        paths.append(path)
    return paths
