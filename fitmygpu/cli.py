"""The ``fitmygpu`` command: every answer the bot gives, in a terminal, with no Discord token.

Exit status: 0 for an answer, 2 when the input could not be understood (unknown model or GPU,
unreadable config); errors print one line (or ``{"error": ...}`` with ``--json``), never a
traceback.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from fitmygpu import __version__
from fitmygpu.answer import Answerer, AnswerError, GPUCount, Rig, build_answer, resolve_rig
from fitmygpu.catalog.loader import Catalog, CatalogError, default_catalog, load_catalog
from fitmygpu.catalog.schema import ModelEntry
from fitmygpu.estimator.core import EstimateError
from fitmygpu.estimator.types import Runtime
from fitmygpu.matching.gpus import GPUIndex
from fitmygpu.matching.models import ModelIndex
from fitmygpu.quant.formats import UnknownQuantError, normalize_quant
from fitmygpu.render_text import render_answer, render_gpu, render_model

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Will model X fit on GPU Y? Engine-accurate VRAM estimates for local LLMs.",
)
catalog_app = typer.Typer(no_args_is_help=True, help="Check and extend the model and GPU catalog.")
app.add_typer(catalog_app, name="catalog")


class FlashAttn(StrEnum):
    on = "on"
    off = "off"


def _fail(message: str, suggestions: list[str] | None = None, as_json: bool = False) -> NoReturn:
    if as_json:
        typer.echo(json.dumps({"error": {"message": message, "suggestions": suggestions or []}}))
    else:
        typer.echo(f"error: {message}", err=True)
        if suggestions:
            typer.echo("did you mean: " + ", ".join(suggestions), err=True)
    raise typer.Exit(2)


def _catalog(as_json: bool = False) -> Catalog:
    try:
        return default_catalog()
    except CatalogError as exc:
        _fail(f"the catalog does not load: {exc.problems[0]}", as_json=as_json)


def _find_model(catalog: Catalog, name: str, as_json: bool) -> ModelEntry:
    if name in catalog.models:
        return catalog.models[name]
    match = ModelIndex(catalog.models).match(name)
    if match.entry is None or match.ambiguous:
        what = "is ambiguous" if match.ambiguous else "is not in the catalog"
        _fail(f"model {name!r} {what}", [c.name for c in match.alternatives], as_json)
    return match.entry


def _find_rig(catalog: Catalog, gpu: str, count: int, ram: float | None, as_json: bool) -> Rig:
    try:
        rig = resolve_rig(catalog, GPUIndex.build(catalog.gpus), gpu)
    except AnswerError as exc:
        _fail(exc.message, exc.suggestions, as_json)
    if count > 1 and len(rig.gpus) == 1:
        rig = Rig(gpus=(GPUCount(rig.gpus[0].entry, rig.gpus[0].count * count),))
    elif count > 1 and not rig.gpus:
        rig = Rig(budget_gib=rig.budget_gib, budget_count=count)
    return Rig(rig.gpus, rig.budget_gib, rig.budget_count, ram)


def _emit(answer_json: dict, text: str, as_json: bool) -> None:
    typer.echo(json.dumps(answer_json, indent=2) if as_json else text)


def _write_chart(answer: object, path: Path) -> None:
    from fitmygpu.charts import render_fit_chart

    path.write_bytes(render_fit_chart(answer))  # type: ignore[arg-type]
    typer.echo(f"chart written to {path}", err=True)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help='e.g. "will deepseek r1 1.5b fit on a 3060?"')],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object")] = False,
    chart: Annotated[Path | None, typer.Option(help="Also write a PNG chart here")] = None,
) -> None:
    """Answer a question in plain words: the model, the rig, contexts, quants."""
    answerer = Answerer(_catalog(as_json))
    try:
        answer = answerer.ask(question)
    except AnswerError as exc:
        _fail(exc.message, exc.suggestions, as_json)
    _emit(answer.to_json(), render_answer(answer), as_json)
    if chart is not None and answer.rows:
        _write_chart(answer, chart)


@app.command()
def estimate(
    gpu: Annotated[str, typer.Option(help="GPU name or id, or a budget like 24gb")],
    model: Annotated[str | None, typer.Option(help="Model name or catalog id")] = None,
    hf_config: Annotated[
        Path | None, typer.Option(help="A Hugging Face config.json instead of --model")
    ] = None,
    count: Annotated[int, typer.Option(min=1, max=64, help="How many of that GPU")] = 1,
    quant: Annotated[
        str | None, typer.Option(help="Q4_K_M, Q8_0, BF16, AWQ, FP8, ... (default: a ladder)")
    ] = None,
    context: Annotated[int | None, typer.Option(min=128, help="Context length in tokens")] = None,
    runtime: Annotated[Runtime | None, typer.Option(help="Inference engine")] = None,
    kv_cache: Annotated[str | None, typer.Option(help="KV type: f16, q8_0, q4_0, fp8, ...")] = None,
    concurrency: Annotated[int | None, typer.Option(min=1, help="Parallel sequences")] = None,
    flash_attn: Annotated[FlashAttn | None, typer.Option(help="Flash attention")] = None,
    ram: Annotated[float | None, typer.Option(help="System RAM in GB, for CPU offload")] = None,
    desktop_reserve: Annotated[
        int, typer.Option(min=0, help="MiB held by a desktop on the first GPU (it drives displays)")
    ] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object")] = False,
) -> None:
    """Estimate a catalog model, or any config.json, on a GPU with explicit options."""
    catalog = _catalog(as_json)
    if (model is None) == (hf_config is None):
        _fail("give exactly one of --model or --hf-config", as_json=as_json)
    if hf_config is not None:
        entry = _entry_from_config(hf_config, as_json)
    else:
        entry = _find_model(catalog, model or "", as_json)
    rig = _find_rig(catalog, gpu, count, ram, as_json)
    if desktop_reserve:
        rig = Rig(rig.gpus, rig.budget_gib, rig.budget_count, rig.ram_gib, desktop_reserve * 1024**2)
    try:
        q = normalize_quant(quant) if quant else None
        answer = build_answer(
            entry,
            rig,
            context=context,
            quant=q,
            kv_cache=kv_cache,
            runtime=runtime,
            concurrency=concurrency,
            flash_attn=None if flash_attn is None else flash_attn == FlashAttn.on,
        )
    except (UnknownQuantError, EstimateError, AnswerError, ValueError) as exc:
        _fail(str(exc), as_json=as_json)
    _emit(answer.to_json(), render_answer(answer), as_json)


def _entry_from_config(path: Path, as_json: bool) -> ModelEntry:
    from fitmygpu.catalog.draft import draft_model
    from fitmygpu.hf_config import UnsupportedArchitectureError, load_config

    try:
        return draft_model(load_config(path), name=path.parent.name or "config.json")
    except (OSError, ValueError, UnsupportedArchitectureError) as exc:
        _fail(str(exc), as_json=as_json)


@app.command("model")
def model_page(
    name: Annotated[str, typer.Argument(help="Model name, alias or id")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Print a model's page: facts, architecture, prose sections and sources."""
    catalog = _catalog(as_json)
    entry = _find_model(catalog, name, as_json)
    _emit(entry.model_dump(mode="json", by_alias=True), render_model(entry), as_json)


@app.command("gpu")
def gpu_page(
    name: Annotated[str, typer.Argument(help="GPU name, alias or id")],
    chart: Annotated[Path | None, typer.Option(help="Also write a PNG chart here")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Print a GPU's facts and the best models that fit it at 8K and 32K."""
    from fitmygpu.whatfits import what_fits

    catalog = _catalog(as_json)
    rig = _find_rig(catalog, name, 1, None, as_json)
    if not rig.gpus:
        _fail("name a GPU, not a budget", as_json=as_json)
    g = rig.gpus[0].entry
    fits8, fits32 = what_fits(catalog, rig, 8192), what_fits(catalog, rig, 32768)
    data = g.model_dump(mode="json", by_alias=True) | {
        "fits_8k": [{"model": f.model.id, "quant": f.quant} for f in fits8],
        "fits_32k": [{"model": f.model.id, "quant": f.quant} for f in fits32],
    }
    _emit(data, render_gpu(g, fits8, fits32), as_json)
    if chart is not None:
        from fitmygpu.charts import render_gpu_chart

        chart.write_bytes(render_gpu_chart(g, rig, fits8))
        typer.echo(f"chart written to {chart}", err=True)


@catalog_app.command("check")
def catalog_check(
    directory: Annotated[Path | None, typer.Option(help="Catalog folder (default: the bundled one)")] = None,
) -> None:
    """Validate every catalog file; print each problem with its file, entry and field."""
    try:
        c = load_catalog(directory)
    except CatalogError as exc:
        for p in exc.problems:
            typer.echo(p, err=True)
        typer.echo(f"{len(exc.problems)} problem(s); nothing was loaded.", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"ok: {len(c.models)} models, {len(c.gpus)} GPUs, catalog version {c.version}")


@catalog_app.command("add")
def catalog_add(
    hf_config: Annotated[Path, typer.Option(help="Path to a Hugging Face config.json")],
    repo: Annotated[str | None, typer.Option(help="Hugging Face repo id, e.g. Qwen/Qwen3-8B")] = None,
) -> None:
    """Print a draft model entry (YAML) with the architecture filled in from config.json."""
    from fitmygpu.catalog.draft import draft_entry
    from fitmygpu.hf_config import UnsupportedArchitectureError, load_config

    try:
        typer.echo(draft_entry(load_config(hf_config), repo))
    except (OSError, ValueError, UnsupportedArchitectureError) as exc:
        _fail(str(exc))


@catalog_app.command("schema")
def catalog_schema(
    out: Annotated[Path, typer.Option(help="Folder to write the JSON Schemas into")] = Path("catalog"),
) -> None:
    """Write JSON Schemas for model and GPU files, for editor validation of the YAML."""
    from fitmygpu.catalog.json_schema import write_schemas

    for path in write_schemas(out):
        typer.echo(f"wrote {path}")


@app.command()
def version() -> None:
    """Print the version and catalog counts."""
    c = _catalog()
    typer.echo(f"fitmygpu {__version__} · catalog {c.version} · {len(c.models)} models · {len(c.gpus)} GPUs")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
