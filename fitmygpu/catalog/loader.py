"""Loading the YAML catalog all-or-nothing, with errors that name the file, the entry and the field.

A maintainer editing one YAML file must learn exactly what is wrong, and the bot must never run on
a half-loaded catalog: :func:`load_catalog` either returns every entry or raises
:class:`CatalogError` listing every problem it found.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from fitmygpu.catalog.schema import GPUEntry, ModelEntry


def default_catalog_dir() -> Path:
    """$FITMYGPU_CATALOG, else the checkout's catalog/, else the copy installed with the package."""
    env = os.environ.get("FITMYGPU_CATALOG")
    if env:
        return Path(env)
    checkout = Path(__file__).resolve().parents[2] / "catalog"
    if (checkout / "models").is_dir():
        return checkout
    return Path(str(resources.files("fitmygpu.catalog_data")))


PARAM_TOLERANCE = 0.02
# libyaml's C parser is ~10x faster than PyYAML's pure-Python one; same safe subset.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CatalogError(Exception):
    """One or more catalog problems; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Catalog:
    models: dict[str, ModelEntry]
    gpus: dict[str, GPUEntry]
    version: str
    files: tuple[Path, ...] = field(default=())


def _where(path: Path, index: int, entry: Any) -> str:
    ident = entry.get("id") if isinstance(entry, dict) else None
    return f"{path.name}: entry {index + 1}" + (f" ({ident})" if ident else "")


def _format_validation(where: str, err: ValidationError) -> list[str]:
    out = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(entry)"
        out.append(f"{where}: field {loc}: {e['msg']}")
    return out


def _read_yaml(path: Path, key: str, problems: list[str]) -> list[Any]:
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        problems.append(f"{path.name}:{line} is not valid YAML ({getattr(exc, 'problem', exc)})")
        return []
    except OSError as exc:
        problems.append(f"{path.name}: cannot be read ({exc.strerror})")
        return []
    if not isinstance(doc, dict) or not isinstance(doc.get(key), list):
        problems.append(f"{path.name}: expected a top-level `{key}:` list")
        return []
    return doc[key]


def _validate_many(paths: Iterable[Path], key: str, cls: type, problems: list[str]) -> dict:
    entries: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for path in paths:
        for i, raw in enumerate(_read_yaml(path, key, problems)):
            where = _where(path, i, raw)
            try:
                entry = cls.model_validate(raw)
            except ValidationError as err:
                problems.extend(_format_validation(where, err))
                continue
            if entry.id in entries:
                problems.append(f"{where}: id {entry.id!r} already used in {origin[entry.id]}")
                continue
            entries[entry.id] = entry
            origin[entry.id] = where
    return entries


def check_model(m: ModelEntry) -> list[str]:
    """Cross-field checks: derived counts against stated ones, layer pattern against KV layers."""
    problems = []
    arch = m.architecture
    # Vendors differ on whether "active" counts the input embedding (Qwen3 does, gpt-oss does
    # not); either convention is accepted, nothing looser.
    active = (arch.active_params, arch.active_params - arch.embedding_params)
    for label, stated, derived in (
        ("params_total", m.params_total, (arch.total_params,)),
        ("params_active", m.params_active, active),
    ):
        if stated and all(abs(d - stated) > PARAM_TOLERANCE * stated for d in derived):
            d = derived[0]
            problems.append(
                f"{m.id}: field {label}: stated {stated:,} but the architecture gives "
                f"{d:,} ({(d - stated) / stated:+.1%}, tolerance 2%)"
            )
    if m.kv_layers is not None and m.kv_layers != arch.kv_layer_count:
        problems.append(
            f"{m.id}: field kv_layers: stated {m.kv_layers} but the layer pattern gives "
            f"{arch.kv_layer_count} KV-bearing layers"
        )
    if m.params_active and not arch.moe:
        problems.append(f"{m.id}: field params_active: set on a dense model")
    return problems


def _check_aliases(catalog_models: dict, gpus: dict, problems: list[str]) -> None:
    from fitmygpu.matching.normalize import normalize_name

    for kind, entries in (("model", catalog_models), ("gpu", gpus)):
        owner: dict[str, str] = {}
        for e in entries.values():
            names = {normalize_name(e.id), normalize_name(e.name)}
            names.update(normalize_name(a) for a in e.aliases)
            for n in names:
                if not n:
                    continue
                if n in owner and owner[n] != e.id:
                    problems.append(
                        f"{e.id}: alias {n!r} also names {kind} {owner[n]!r}; aliases must be unique"
                    )
                owner.setdefault(n, e.id)


def _check_gpu_groups(gpus: dict[str, GPUEntry], problems: list[str]) -> None:
    groups: dict[str, list[GPUEntry]] = {}
    for g in gpus.values():
        groups.setdefault(g.group, []).append(g)
    for name, members in groups.items():
        defaults = [g.id for g in members if g.default]
        if len(members) > 1 and len(defaults) != 1:
            problems.append(
                f"gpu group {name!r}: {len(members)} variants need exactly one `default: true`, "
                f"found {len(defaults)}"
            )


def load_catalog(directory: Path | str | None = None) -> Catalog:
    """Load and validate every file, or raise :class:`CatalogError` with all problems found."""
    root = Path(directory) if directory is not None else default_catalog_dir()
    model_files = sorted((root / "models").glob("*.yaml"))
    gpu_files = sorted((root / "gpus").glob("*.yaml"))
    problems: list[str] = []
    if not model_files:
        problems.append(f"{root / 'models'}: no model files found")
    models = _validate_many(model_files, "models", ModelEntry, problems)
    gpus = _validate_many(gpu_files, "gpus", GPUEntry, problems)
    for m in models.values():
        problems.extend(check_model(m))
    _check_aliases(models, gpus, problems)
    _check_gpu_groups(gpus, problems)
    if problems:
        raise CatalogError(problems)
    digest = hashlib.sha256()
    for f in (*model_files, *gpu_files):
        digest.update(f.name.encode())
        digest.update(f.read_bytes())
    return Catalog(
        models=models, gpus=gpus, version=digest.hexdigest()[:12], files=tuple(model_files + gpu_files)
    )


@cache
def default_catalog() -> Catalog:
    """The bundled catalog, loaded once per process."""
    return load_catalog()
