"""Embed renderers: real answers and pages, inside Discord's limits, with the core's wording."""

from __future__ import annotations

import discord
import pytest

from bot import limits
from bot.embeds import (
    COLOUR,
    LEGEND,
    compact_table,
    error_text,
    fit_embed,
    gpu_embed,
    help_embed,
    model_embed,
    rig_embed,
    whatfits_embed,
)
from bot.lookup import Lookup
from fitmygpu.answer import GPUCount, Rig, build_answer
from fitmygpu.cache import SavedRig
from fitmygpu.catalog.loader import Catalog
from fitmygpu.estimator.types import Runtime, Verdict
from fitmygpu.render_text import (
    breakdown,
    ctx_label,
    gpu_facts,
    model_facts,
    model_sections,
    verdict_sentence,
)
from fitmygpu.whatfits import what_fits


def legal(embed: discord.Embed) -> None:
    assert len(embed) <= limits.TOTAL
    assert len(embed.title or "") <= limits.TITLE
    assert len(embed.description or "") <= limits.DESCRIPTION
    assert len(embed.fields) <= limits.FIELDS
    for f in embed.fields:
        assert 1 <= len(f.name or "") <= limits.FIELD_NAME
        assert 1 <= len(f.value or "") <= limits.FIELD_VALUE
    assert len(embed.footer.text or "") <= limits.FOOTER


QUESTIONS = [
    "will deepseek r1 1.5b fit on a 3060?",
    "llama 3.3 70b on 2x 3090 + 64gb ram",
    "qwen2.5 32b on a 3060 with 32gb ram",
    "gpt-oss 120b on 24gb",
    "qwen2.5 7b on a 4090 vllm 8 users",
    "gemma 3 27b on m3 max 36gb mlx",
    "mixtral 8x7b q4 on a 4060 ti 16gb at 32k",
]


@pytest.mark.parametrize("question", QUESTIONS)
def test_fit_embed_is_legal_and_says_what_the_core_says(lookup: Lookup, question: str):
    answer = lookup.answerer.ask(question)
    embed = fit_embed(answer, "abc123")
    legal(embed)
    h = answer.headline
    assert h is not None
    assert embed.colour == COLOUR[h.verdict]
    assert answer.model.name in (embed.title or "")
    assert (embed.description or "").startswith(verdict_sentence(answer)[:100])
    fields = {f.name: f.value for f in embed.fields}
    assert fields[f"Breakdown ({h.quant}, {ctx_label(h.context)})"] == breakdown(h)
    assert embed.footer.text.endswith("catalog abc123")
    assert answer.runtime.value in embed.footer.text
    if h.max_concurrency is not None:
        assert any(n.startswith("Max concurrency") for n in fields)


def test_the_table_has_a_row_per_quant_and_a_column_per_context(lookup: Lookup):
    answer = lookup.answerer.ask("will deepseek r1 1.5b fit on a 3060?")
    lines = compact_table(answer)
    assert lines[0].split() == ["4K", "8K", "32K", "128K"]
    assert [line.split()[0] for line in lines[1:]] == answer.quants
    assert all(len(line) <= 50 for line in lines)  # narrow enough for a phone
    # Each cell is the estimator's verdict mark and its memory need: Q4_K_M at 4K.
    cell = answer.cell("Q4_K_M", 4096)
    assert lines[1 + answer.quants.index("Q4_K_M")].split()[1:3] == ["✓", f"{cell.need_bytes / 1024**3:.1f}G"]


def test_an_offload_answer_shows_what_goes_to_ram(lookup: Lookup):
    answer = lookup.answerer.ask("qwen2.5 32b q8 on a 3060 with 64gb ram")
    assert answer.headline is not None and answer.headline.verdict == Verdict.OFFLOAD
    embed = fit_embed(answer, "v")
    assert embed.colour == COLOUR[Verdict.OFFLOAD]
    offload = next(f.value for f in embed.fields if f.name == "Offload")
    assert "in system RAM" in offload


def test_an_answer_without_a_gpu_asks_for_one(lookup: Lookup, catalog: Catalog):
    answer = build_answer(catalog.models["qwen2.5-7b-instruct"], None)
    embed = fit_embed(answer, "v")
    legal(embed)
    assert "Name a GPU" in (embed.description or "") and "/rig set" in (embed.description or "")


def test_user_text_in_notes_cannot_ping(lookup: Lookup):
    answer = lookup.answerer.ask("qwen2.5 7b on a 3060")
    answer.notes.append("user said @everyone and @here")
    embed = fit_embed(answer, "v")
    notes = next(f.value for f in embed.fields if f.name == "Notes")
    assert "@\u200beveryone" in notes and "@\u200bhere" in notes


def test_every_model_page_is_legal_and_complete(catalog: Catalog):
    for m in catalog.models.values():
        embed, cut = model_embed(m)
        legal(embed)
        text = (embed.description or "") + "".join(f"{f.name}{f.value}" for f in embed.fields)
        for k, v in model_facts(m):
            assert f"**{k}:** {v}" in (embed.description or ""), (m.id, k)
        names = [f.name for f in embed.fields]
        for section, _ in model_sections(m):
            assert section in names, (m.id, section)
        assert "Sources" in names
        if not cut:
            for s in m.sources:
                assert str(s.url) in text, (m.id, s.url)


def test_an_overlong_model_page_is_cut_and_flagged(catalog: Catalog):
    m = catalog.models["deepseek-r1-distill-qwen-1.5b"]
    huge = m.model_copy(update={"vram_notes": "x" * 9000, "notes": tuple("n" * 900 for _ in range(30))})
    embed, cut = model_embed(huge)
    legal(embed)
    assert cut


def test_gpu_and_whatfits_pages(catalog: Catalog):
    subset = Catalog(
        models={
            k: catalog.models[k]
            for k in (
                "deepseek-r1-distill-qwen-1.5b",
                "qwen2.5-7b-instruct",
                "llama-3.3-70b-instruct",
                "gemma-3-27b-it",
            )
        },
        gpus=catalog.gpus,
        version="t",
    )
    g = catalog.gpus["nvidia-rtx-4090"]
    rig = Rig(gpus=(GPUCount(g, 1),))
    fits8, fits32 = what_fits(subset, rig, 8192), what_fits(subset, rig, 32768)
    embed = gpu_embed(g, fits8, fits32, Runtime.LLAMA_CPP)
    legal(embed)
    for k, v in gpu_facts(g):
        assert f"**{k}:** {v}" in (embed.description or "")
    best = next(f.value for f in embed.fields if f.name.startswith("Best models that fit at 8K"))
    assert "Qwen2.5 7B Instruct" in best and "Llama 3.3 70B" not in best

    wf = whatfits_embed(rig, 8192, Runtime.LLAMA_CPP, fits8, len(subset.models))
    legal(wf)
    assert wf.title == "What fits on GeForce RTX 4090 at 8K"
    assert wf.description.startswith(f"{len(fits8)} of 4 catalog models")


def test_whatfits_with_hundreds_of_models_stays_legal(lookup: Lookup, catalog: Catalog):
    g = catalog.gpus["nvidia-rtx-4090"]
    rig = Rig(gpus=(GPUCount(g, 1),))
    entry = what_fits(
        Catalog(
            models={"qwen2.5-7b-instruct": catalog.models["qwen2.5-7b-instruct"]},
            gpus=catalog.gpus,
            version="t",
        ),
        rig,
    )[0]
    embed = whatfits_embed(rig, 8192, Runtime.LLAMA_CPP, [entry] * 400, 400)
    legal(embed)
    assert embed.fields[0].value.endswith("more")


def test_enforce_cuts_anything_to_size():
    e = discord.Embed(title="t" * 300, description="d" * 5000)
    for i in range(30):
        e.add_field(name=f"n{i}" * 100, value="v" * 2000)
    e.set_footer(text="f" * 3000)
    assert limits.enforce(e) is True
    legal(e)
    small = discord.Embed(title="ok", description="fine")
    assert limits.enforce(small) is False


def test_chunks_never_exceed_the_limit():
    lines = ["a" * 300] * 10 + ["b" * 2000]
    out = limits.chunks(lines, 1024)
    assert all(len(c) <= 1024 for c in out)
    assert out[0].count("a" * 300) == 3


def test_small_embeds_are_legal(lookup: Lookup):
    legal(help_embed("v", 1, 2))
    assert LEGEND in [f.value for f in help_embed("v", 1, 2).fields]
    rig, _ = lookup.parse_rig("2x 3090 + 64gb ram")
    embed = rig_embed(SavedRig(text="@everyone 2x 3090"), rig)
    legal(embed)
    typed = next(f.value for f in embed.fields if f.name == "As you typed it")
    assert "@everyone" not in typed.replace("@\u200beveryone", "")


def test_error_text_escapes_suggestions():
    text = error_text("No GPU called 'x'.", ["RTX *3090*", "@here"])
    assert text.startswith("⚠️ No GPU called 'x'.")
    assert "\\*3090\\*" in text and "@here" not in text.replace("@\u200bhere", "")
