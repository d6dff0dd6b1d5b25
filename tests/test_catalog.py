"""The catalog: breadth, the seed page reproduced, and validation that names file, entry and field."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from fitmygpu.catalog.json_schema import file_schema
from fitmygpu.catalog.loader import CatalogError, default_catalog_dir, load_catalog
from fitmygpu.catalog.schema import GPUEntry, ModelEntry


def test_breadth(catalog):
    assert len(catalog.models) >= 150
    assert len(catalog.gpus) >= 150
    vendors = {g.vendor.value for g in catalog.gpus.values()}
    assert vendors == {"NVIDIA", "AMD", "Intel", "Apple"}


def test_every_entry_is_sourced(catalog):
    for entry in [*catalog.models.values(), *catalog.gpus.values()]:
        assert entry.sources, entry.id
        assert all(str(s.url).startswith("https://") for s in entry.sources), entry.id


def test_seed_page_reproduced(catalog):
    # Every fact of FitMyGPU's page for DeepSeek R1 Distill Qwen 1.5B (shared/seed).
    m = catalog.models["deepseek-r1-distill-qwen-1.5b"]
    a = m.architecture
    assert (m.company, m.family, m.name) == (
        "DeepSeek",
        "DeepSeek R1 Distill",
        "DeepSeek R1 Distill Qwen 1.5B",
    )
    assert m.release_date == dt.date(2025, 1, 20)
    assert m.architecture_text == "Dense decoder-only transformer"
    assert m.license == "MIT + Apache 2.0"
    assert [x.value for x in m.modality] == ["text"]
    assert m.context_window == 131_072
    assert m.parameters_label == "1.5B" and not m.is_moe
    assert (a.num_layers, a.hidden_size, a.num_attention_heads, a.num_kv_heads) == (28, 1536, 12, 2)
    assert m.kv_bearing_layers == 28
    assert m.summary.startswith("Smallest DeepSeek R1 distill")
    assert [p.title for p in m.improvements] == [
        "R1 reasoning distillation",
        "Dense models can stay competitive",
        "Post-training over architecture change",
    ]
    assert m.release.lineage.startswith("The DeepSeek-R1 distill line is derived from samples")
    assert m.release.backbone.startswith("This checkpoint keeps the serving geometry of Qwen2.5-Math-1.5B")
    assert m.usage.startswith("DeepSeek recommends temperature-controlled reasoning")
    assert [p.title for p in m.strengths] == ["Reasoning per GPU", "Math and code", "Normal serving stack"]
    assert m.vram_notes.startswith("Because this is a dense Qwen-derived checkpoint")


def test_variants_have_one_default(catalog):
    groups: dict[str, list] = {}
    for g in catalog.gpus.values():
        groups.setdefault(g.group, []).append(g)
    for name, members in groups.items():
        if len(members) > 1:
            assert sum(g.default for g in members) == 1, name
    rtx3060 = {g.memory_gib: g.default for g in groups["rtx-3060"]}
    assert rtx3060 == {12: True, 8: False}


def _copy_catalog(tmp_path: Path) -> Path:
    dest = tmp_path / "catalog"
    shutil.copytree(default_catalog_dir(), dest, ignore=shutil.ignore_patterns("*.json"))
    return dest


def test_broken_yaml_names_the_file(tmp_path):
    root = _copy_catalog(tmp_path)
    (root / "models" / "zz-broken.yaml").write_text("models:\n  - id: x\n   bad: [\n")
    with pytest.raises(CatalogError) as err:
        load_catalog(root)
    assert any("zz-broken.yaml" in p and "not valid YAML" in p for p in err.value.problems)


def test_unknown_field_names_file_entry_and_field(tmp_path):
    root = _copy_catalog(tmp_path)
    path = root / "gpus" / "amd.yaml"
    path.write_text(path.read_text().replace("memory_type:", "memroy_type:", 1))
    with pytest.raises(CatalogError) as err:
        load_catalog(root)
    problem = next(p for p in err.value.problems if "memroy_type" in p)
    assert problem.startswith("amd.yaml: entry 1 (")
    assert "field memroy_type" in problem


def test_duplicate_id_and_alias(tmp_path):
    root = _copy_catalog(tmp_path)
    seed = (root / "models" / "deepseek-r1-distill.yaml").read_text()
    (root / "models" / "zz-dupe.yaml").write_text(seed)
    with pytest.raises(CatalogError) as err:
        load_catalog(root)
    assert any("already used" in p for p in err.value.problems)


def test_param_count_mismatch_is_reported(tmp_path):
    root = _copy_catalog(tmp_path)
    path = root / "models" / "deepseek-r1-distill.yaml"
    text = path.read_text().replace(
        "    kv_layers: 28\n", "    kv_layers: 28\n    params_total: 1500000000\n", 1
    )
    path.write_text(text)
    with pytest.raises(CatalogError) as err:
        load_catalog(root)
    # The architecture derives 1,777,088,000 (untied 151936 x 1536 embeddings): 18% over 1.5B.
    assert any("params_total" in p and "1,777,088,000" in p for p in err.value.problems)


def test_nothing_half_loads(tmp_path):
    root = _copy_catalog(tmp_path)
    (root / "gpus" / "zz.yaml").write_text("gpus: 5\n")
    with pytest.raises(CatalogError):
        load_catalog(root)


@pytest.mark.parametrize(
    ("entry", "key", "fname"),
    [(ModelEntry, "models", "models.schema.json"), (GPUEntry, "gpus", "gpus.schema.json")],
)
def test_exported_json_schema_is_current(entry, key, fname):
    on_disk = json.loads((default_catalog_dir() / fname).read_text())
    assert on_disk == json.loads(json.dumps(file_schema(entry, key, on_disk["title"])))
