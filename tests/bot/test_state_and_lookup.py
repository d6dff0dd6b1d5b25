"""Answer state in custom_ids, select rules, name resolution and autocomplete ranking."""

from __future__ import annotations

import pytest

from bot.lookup import MAX_CHOICES, Lookup, Unresolved, parse_context
from bot.services import quant_runs_on
from bot.state import FitState, StateError
from bot.views import ALL_QUANTS, apply_choice
from fitmygpu.cache import SavedGPU, SavedRig
from fitmygpu.estimator.types import Runtime


def test_state_round_trips_through_text():
    s = FitState(
        model="qwen2.5-7b-instruct",
        gpus=(("nvidia-rtx-3090", 2), ("nvidia-rtx-4090", 1)),
        ram_gib=64,
        context=32768,
        quant="GPTQ-INT4",
        runtime=Runtime.VLLM,
        kv_cache="fp8",
        concurrency=8,
    )
    text = s.encode()
    assert text == "qwen2.5-7b-instruct:nvidia-rtx-3090*2+nvidia-rtx-4090:64:32768:GPTQ-INT4:v:fp8:8"
    assert FitState.decode(text) == s
    budget = FitState(model="m", budget_gib=24, budget_count=2)
    assert budget.encode() == "m:=24x2"
    assert FitState.decode("m:=24x2") == budget
    assert FitState.decode("") == FitState()


@pytest.mark.parametrize("bad", ["M!:x", "m:gpu*0", "m:gpu*x", "m::::q:z", "a:b:c:d:e:f:g:h:i", "m:=abc"])
def test_garbage_custom_ids_are_rejected(bad: str):
    with pytest.raises(StateError):
        FitState.decode(bad)


def test_long_states_use_short_codes_and_stay_within_100_chars(lookup: Lookup):
    ids = sorted(lookup.catalog.gpus, key=len)[-3:]
    s = FitState(
        model=max(lookup.catalog.models, key=len),
        gpus=tuple((g, 2) for g in ids),
        ram_gib=128,
        context=131072,
        quant="Q4_K_M",
        runtime=Runtime.LLAMA_CPP,
        kv_cache="q8_0",
        concurrency=16,
    )
    cid = s.custom_id("fit:q:", lookup.codec.forward)
    assert cid is not None and len(cid) <= 100 and "~" in cid
    assert FitState.decode(cid.removeprefix("fit:q:"), lookup.codec.back) == s
    short = FitState(model="qwen2.5-7b-instruct", gpus=(("nvidia-rtx-3090", 1),))
    assert short.custom_id("fit:q:", lookup.codec.forward) == "fit:q:qwen2.5-7b-instruct:nvidia-rtx-3090"


def test_state_rebuilds_the_rig(lookup: Lookup):
    s = FitState(model="x", gpus=(("nvidia-rtx-3090", 2),), ram_gib=64)
    rig = s.rig(lookup.catalog)
    assert rig is not None and rig.description == "2× GeForce RTX 3090 + 64 GB RAM"
    with pytest.raises(StateError):
        FitState(model="x", gpus=(("gone-gpu", 1),)).rig(lookup.catalog)


def test_select_choices_keep_options_consistent():
    s = FitState(model="m", gpus=(("g", 1),), quant="Q4_K_M", kv_cache="q8_0")
    to_vllm = apply_choice(s, "r", "vllm")
    assert to_vllm.runtime == Runtime.VLLM and to_vllm.quant is None  # a GGUF file is not for vLLM
    assert to_vllm.kv_cache == "q8_0"  # vLLM reads q8 as fp8
    to_mlx = apply_choice(s, "r", "mlx")
    assert to_mlx.runtime == Runtime.MLX and to_mlx.quant is None
    awq = apply_choice(to_vllm, "q", "AWQ")
    assert (awq.quant, awq.runtime) == ("AWQ", Runtime.VLLM)
    gguf_on_vllm = apply_choice(to_vllm, "q", "Q8_0")
    assert gguf_on_vllm.runtime is None  # the quant picks its engine again
    assert apply_choice(s, "q", ALL_QUANTS).quant is None
    assert apply_choice(s, "c", "32768").context == 32768
    assert quant_runs_on("BF16", Runtime.VLLM) and quant_runs_on("Q4_K_M", Runtime.OLLAMA)
    assert not quant_runs_on("AWQ", Runtime.LLAMA_CPP)


@pytest.mark.parametrize(
    ("text", "tokens"),
    [("32k", 32768), ("32K", 32768), ("131072", 131072), ("1m", 1048576), ("8 k", 8192), ("4,096", 4096)],
)
def test_contexts(text: str, tokens: int):
    assert parse_context(text) == tokens


@pytest.mark.parametrize("text", ["lots", "0", "99999999999", "32q"])
def test_bad_contexts(text: str):
    with pytest.raises(Unresolved):
        parse_context(text)


def test_gpu_names_budgets_and_counts(lookup: Lookup):
    assert lookup.resolve_gpu("3090").gpus[0].entry.id == "nvidia-rtx-3090"  # an anchor, not 3090 GB
    assert lookup.resolve_gpu("24gb").budget_gib == 24
    assert lookup.resolve_gpu("48").budget_gib == 48
    assert lookup.resolve_gpu("nvidia-rtx-4090").gpus[0].count == 1
    two = lookup.resolve_gpu("2x 3090")
    assert two.gpus[0].count == 2
    assert lookup.with_count(two, 4).gpus[0].count == 4
    assert lookup.with_count(lookup.resolve_gpu("24gb"), 3).budget_count == 3
    with pytest.raises(Unresolved) as err:
        lookup.resolve_gpu("rtx 9999")
    assert err.value.suggestions


def test_rig_text_is_read_like_a_question(lookup: Lookup):
    rig, _ = lookup.parse_rig("2x 3090 + 64gb ram")
    assert rig.description == "2× GeForce RTX 3090 + 64 GB RAM"
    saved = lookup.to_saved(rig, "2x 3090 + 64gb ram")
    assert saved.gpus == [SavedGPU(id="nvidia-rtx-3090", count=2)] and saved.ram_gib == 64
    again = lookup.from_saved(saved)
    assert again is not None and again.description == rig.description
    budget, _ = lookup.parse_rig("24gb")
    assert lookup.from_saved(lookup.to_saved(budget, "24gb")).budget_gib == 24  # type: ignore[union-attr]
    with pytest.raises(Unresolved):
        lookup.parse_rig("my computer")
    gone = SavedRig(gpus=[SavedGPU(id="removed-gpu")])
    assert lookup.from_saved(gone) is None


def test_models_resolve_or_explain(lookup: Lookup):
    assert lookup.resolve_model("r1 1.5b").id == "deepseek-r1-distill-qwen-1.5b"
    assert lookup.resolve_model("qwen2.5-7b-instruct").id == "qwen2.5-7b-instruct"
    with pytest.raises(Unresolved) as amb:
        lookup.resolve_model("llama 8b")
    assert len(amb.value.candidates) >= 2 and "Several models" in amb.value.message
    with pytest.raises(Unresolved) as nf:
        lookup.resolve_model("zzqqx unknown")
    assert nf.value.candidates == []
    with pytest.raises(Unresolved):
        lookup.resolve_quant("Q9_Z")
    assert lookup.resolve_quant("q4_k_m") == "Q4_K_M"


@pytest.mark.parametrize(
    ("kind", "query", "first"),
    [
        ("model", "deeps", "DeepSeek"),
        ("model", "r1 1.5", "DeepSeek R1 Distill Qwen 1.5B"),
        ("model", "qwen2.5 7b", "Qwen2.5 7B Instruct"),
        ("gpu", "3090", "GeForce RTX 3090"),
        ("gpu", "24", "24 GB of VRAM (any GPU)"),
        ("gpu", "m3 max", "Apple M3 Max"),
        ("quant", "q4", "Q4_K_M"),
        ("quant", "awq", "AWQ"),
    ],
)
def test_autocomplete_ranks_the_obvious_first(lookup: Lookup, kind: str, query: str, first: str):
    fn = {"model": lookup.complete_model, "gpu": lookup.complete_gpu, "quant": lookup.complete_quant}[kind]
    choices = fn(query)
    assert choices[0].name.startswith(first), [c.name for c in choices[:5]]


@pytest.mark.parametrize("query", ["", "a", "x" * 500, "<@123> @everyone **", "🙂", "ü"])
def test_autocomplete_limits_hold_for_any_input(lookup: Lookup, query: str):
    for fn in (lookup.complete_model, lookup.complete_gpu, lookup.complete_quant, lookup.complete_context):
        choices = fn(query)
        assert len(choices) <= MAX_CHOICES
        assert all(1 <= len(c.name) <= 100 and 1 <= len(c.value) <= 100 for c in choices)
    assert len(lookup.complete_model("")) == MAX_CHOICES


def test_context_suggestions_respect_the_model_window(lookup: Lookup):
    values = [int(c.value) for c in lookup.complete_context("", "deepseek-r1-distill-qwen-1.5b")]
    assert max(values) == lookup.catalog.models["deepseek-r1-distill-qwen-1.5b"].context_window
    assert lookup.complete_context("12000")[0].value == "12000"
