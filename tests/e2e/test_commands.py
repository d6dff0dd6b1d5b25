"""The real discord.py client against the fake Discord: commands, components, mentions, errors.

Every interaction test also checks Discord's clock: the first response (callback) must arrive
within 3 seconds of the INTERACTION_CREATE being sent.
"""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from bot.chart_files import ChartService
from bot.lookup import Lookup
from bot.main import sync
from bot.services import Services
from bot.state import FitState
from tests.e2e.conftest import DEADLINE, make_settings, png
from tests.e2e.fakecord import FakeDiscord, Recorded

EPHEMERAL = 64


async def ask(fake: FakeDiscord, interaction: dict[str, Any]) -> tuple[Recorded, Recorded]:
    """Dispatch an interaction; return (callback, request carrying the final content)."""
    sent = await fake.dispatch("INTERACTION_CREATE", interaction)
    cb = await fake.callback_for(interaction)
    assert cb.at - sent.at < DEADLINE, f"answered after {cb.at - sent.at:.2f} s"
    final = await fake.final_for(interaction)
    return cb, final


def body_of(rec: Recorded) -> dict[str, Any]:
    """The message payload of a callback (its ``data``) or of a webhook edit/followup."""
    return rec.json.get("data", rec.json) if "type" in rec.json and "data" in rec.json else rec.json


def no_pings(body: dict[str, Any]) -> None:
    assert body.get("allowed_mentions", {}).get("parse") == [], body.get("allowed_mentions")


# ----- registration ----------------------------------------------------------------------------


async def test_sync_registers_every_command_for_servers_dms_and_user_installs(
    fake: FakeDiscord, tmp_path: Path
):
    commands = await sync(make_settings(tmp_path), "test-token")
    put = await fake.wait_for(
        lambda r: r.method == "PUT" and r.path == f"/applications/{fake.app_id}/commands"
    )
    by_name = {c["name"]: c for c in put.json}
    assert set(by_name) == {"fit", "model", "gpu", "whatfits", "rig", "help", "settings"}
    assert {c.name for c in commands} == set(by_name)
    for name in ("fit", "model", "gpu", "whatfits", "rig", "help"):
        assert sorted(by_name[name]["integration_types"]) == [0, 1], name
        assert sorted(by_name[name]["contexts"]) == [0, 1, 2], name
    assert by_name["settings"]["contexts"] == [0]
    assert by_name["settings"]["integration_types"] == [0]
    assert int(by_name["settings"]["default_member_permissions"]) == 32  # Manage Server
    fit_opts = {o["name"]: o for o in by_name["fit"]["options"]}
    assert [o["name"] for o in by_name["fit"]["options"]][:2] == ["model", "gpu"]
    for name in ("model", "gpu", "quant", "context"):
        assert fit_opts[name].get("autocomplete") is True, name
    assert fit_opts["model"]["required"] is True and not fit_opts["gpu"].get("required")
    assert {c["value"] for c in fit_opts["runtime"]["choices"]} == {
        "llama.cpp",
        "ollama",
        "vllm",
        "transformers",
        "mlx",
    }
    assert {o["name"] for o in by_name["rig"]["options"]} == {"set", "show", "clear"}


async def test_sync_to_the_dev_guild_goes_to_that_guild_only(fake: FakeDiscord, tmp_path: Path):
    await sync(make_settings(tmp_path, dev_guild_id=fake.guild_id), "test-token")
    path = f"/applications/{fake.app_id}/guilds/{fake.guild_id}/commands"
    put = await fake.wait_for(lambda r: r.method == "PUT" and r.path == path)
    assert "fit" in {c["name"] for c in put.json}
    assert not any(r.path == f"/applications/{fake.app_id}/commands" for r in fake.requests)


async def test_the_bot_does_not_sync_when_it_starts(fake: FakeDiscord, start_bot):
    await start_bot()
    assert not any(r.method == "PUT" and r.path.endswith("/commands") for r in fake.requests)
    assert fake.identify is not None
    assert not int(fake.identify["intents"]) & (1 << 15), "must not ask for the message-content intent"


# ----- /fit ------------------------------------------------------------------------------------


async def test_fit_answers_with_verdict_table_breakdown_and_selects(fake: FakeDiscord, start_bot):
    await start_bot()
    cb, final = await ask(fake, fake.slash("fit", model="deepseek r1 1.5b", gpu="3060"))
    assert cb.json["type"] == 4  # fast enough to answer without deferring
    body = body_of(final)
    no_pings(body)
    assert not body.get("flags", 0) & EPHEMERAL
    (embed,) = body["embeds"]
    assert embed["title"] == "✅ DeepSeek R1 Distill Qwen 1.5B on GeForce RTX 3060 12 GB"
    assert embed["description"].startswith("Yes: DeepSeek R1 Distill Qwen 1.5B BF16 at 8K context fits")
    table = embed["description"].split("```")[1]
    assert "4K" in table and "128K" in table and "Q4_K_M" in table and "✓" in table
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Breakdown (BF16, 8K)"].startswith("weights 2.9 GiB · KV 224 MiB")
    assert "headroom" in fields["Breakdown (BF16, 8K)"]
    assert fields["Best quant at 8K"] == "BF16"
    assert "tok/s" in fields["Speed"]
    assert "BF16 128K" in fields["Max context that fits"]
    assert embed["footer"]["text"].startswith("llama.cpp (assumed) · KV f16 · flash attention on")
    ids = [c["components"][0]["custom_id"] for c in body["components"]]
    assert [i[:6] for i in ids] == ["fit:q:", "fit:r:", "fit:c:"]
    assert all(len(i) <= 100 for i in ids)


async def test_fit_options_reach_the_estimate(fake: FakeDiscord, start_bot):
    await start_bot()
    inter = fake.slash("fit", model="qwen2.5 7b", gpu="4090", runtime="vllm", context="32k", concurrency=4)
    _, final = await ask(fake, inter)
    (embed,) = body_of(final)["embeds"]
    assert "at 32K context" in embed["description"]
    assert embed["footer"]["text"].startswith("vllm · KV bf16")
    assert "4 sequences" in embed["footer"]["text"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert any(name.startswith("Max concurrency (vllm, 32K)") for name in fields)


async def test_fit_attaches_the_chart_when_charts_are_available(fake: FakeDiscord, start_bot):
    await start_bot(chart=True)
    _, final = await ask(fake, fake.slash("fit", model="deepseek r1 1.5b", gpu="3060"))
    assert [name for name, _ in final.files] == ["fit.png"]
    assert final.files[0][1].startswith(b"\x89PNG")
    (embed,) = body_of(final)["embeds"]
    assert embed["image"]["url"] == "attachment://fit.png"


async def test_fit_attaches_the_real_chart(fake: FakeDiscord, start_bot):
    bot = await start_bot(chart="real")
    inter = fake.slash("fit", model="deepseek r1 1.5b", gpu="3060")
    sent = await fake.dispatch("INTERACTION_CREATE", inter)
    cb = await fake.callback_for(inter, timeout=DEADLINE)
    assert cb.at - sent.at < DEADLINE  # deferred if matplotlib is slow
    final = await fake.final_for(inter, timeout=30)
    assert [name for name, _ in final.files] == ["fit.png"]
    assert final.files[0][1].startswith(b"\x89PNG") and len(final.files[0][1]) > 1000
    from fitmygpu.charts import fit_chart_key

    custom_id = fake.original_message(inter)["components"][0]["components"][0]["custom_id"]
    answer = bot.services.answer(FitState.decode(custom_id.removeprefix("fit:q:")))
    cached = await bot.services.store.get_chart(fit_chart_key(answer, bot.services.catalog.version))
    assert cached == final.files[0][1]  # cached in SQLite under the charts module's key


async def test_fit_without_charts_has_no_attachment(fake: FakeDiscord, start_bot):
    await start_bot(chart=False)
    _, final = await ask(fake, fake.slash("fit", model="deepseek r1 1.5b", gpu="3060"))
    assert final.files == []
    assert "image" not in body_of(final)["embeds"][0]


# ----- components ------------------------------------------------------------------------------


async def test_quant_select_edits_the_reply_and_survives_a_restart(fake: FakeDiscord, start_bot):
    bot = await start_bot(chart=True)
    inter = fake.slash("fit", model="deepseek r1 1.5b", gpu="3060")
    await ask(fake, inter)
    message = fake.original_message(inter)
    quant_select = message["components"][0]["components"][0]

    pick = fake.component(message, quant_select["custom_id"], ["Q4_K_M"])
    cb, final = await ask(fake, pick)
    assert cb.json["type"] in (6, 7)  # edits the message in place
    (embed,) = body_of(final)["embeds"]
    assert "Q4_K_M at 8K context" in embed["description"]
    rows = embed["description"].split("```")[1].strip().splitlines()[1:]
    assert [r.split()[0] for r in rows] == ["Q4_K_M"]
    assert [name for name, _ in final.files] == ["fit.png"]  # the chart is redrawn for the new quant
    new_select = body_of(final)["components"][0]["components"][0]
    assert new_select["custom_id"].startswith("fit:q:deepseek-r1-distill-qwen-1.5b:nvidia-rtx-3060-12gb")
    assert next(o for o in new_select["options"] if o.get("default"))["value"] == "Q4_K_M"

    # A restart: a brand-new client still understands the old message's select (state in custom_id).
    await bot.close()
    await start_bot()
    message = fake.original_message(inter)
    ctx_select = message["components"][2]["components"][0]
    cb, final = await ask(fake, fake.component(message, ctx_select["custom_id"], ["32768"]))
    (embed,) = body_of(final)["embeds"]
    assert "Q4_K_M at 32K context" in embed["description"]


async def test_a_stale_menu_gets_a_private_explanation(fake: FakeDiscord, start_bot):
    await start_bot()
    inter = fake.slash("fit", model="deepseek r1 1.5b", gpu="3060")
    await ask(fake, inter)
    message = fake.original_message(inter)
    stale = "fit:q:deepseek-r1-distill-qwen-1.5b:gpu-that-was-removed"
    message["components"][0]["components"][0]["custom_id"] = stale
    _, final = await ask(fake, fake.component(message, stale, ["Q4_K_M"]))
    body = body_of(final)
    assert body["flags"] & EPHEMERAL
    assert "no longer in the catalog" in body["content"]


async def test_runtime_select_drops_a_quant_the_engine_cannot_load(fake: FakeDiscord, start_bot):
    await start_bot()
    inter = fake.slash("fit", model="qwen2.5 7b", gpu="4090", quant="Q4_K_M")
    await ask(fake, inter)
    message = fake.original_message(inter)
    runtime_select = message["components"][1]["components"][0]
    _, final = await ask(fake, fake.component(message, runtime_select["custom_id"], ["vllm"]))
    (embed,) = body_of(final)["embeds"]
    assert embed["footer"]["text"].startswith("vllm")
    assert "Q4_K_M" not in embed["description"]  # a GGUF file is not a vLLM format


async def test_someone_elses_select_gets_a_private_copy(fake: FakeDiscord, start_bot):
    await start_bot()
    inter = fake.slash("fit", model="deepseek r1 1.5b", gpu="3060")
    await ask(fake, inter)
    message = fake.original_message(inter)
    select = message["components"][0]["components"][0]
    cb, final = await ask(fake, fake.component(message, select["custom_id"], ["Q8_0"], user_id=999))
    assert cb.json["type"] == 4 and cb.json["data"]["flags"] & EPHEMERAL
    assert "Q8_0" in body_of(final)["embeds"][0]["description"]
    assert "BF16 at 8K" in fake.original_message(inter)["embeds"][0]["description"]  # owner's reply unchanged


async def test_ambiguous_model_offers_a_private_picker_that_answers(fake: FakeDiscord, start_bot):
    await start_bot()
    inter = fake.slash("fit", model="llama 8b", gpu="3090")
    _, final = await ask(fake, inter)
    body = body_of(final)
    assert body["flags"] & EPHEMERAL
    assert "Several models match" in body["content"]
    select = body["components"][0]["components"][0]
    assert select["custom_id"].startswith("pick:f:")
    values = [o["value"] for o in select["options"]]
    assert "llama-3.1-8b-instruct" in values
    message = fake.original_message(inter)
    _cb, final = await ask(fake, fake.component(message, select["custom_id"], ["llama-3.1-8b-instruct"]))
    (embed,) = body_of(final)["embeds"]
    assert embed["title"].endswith("Llama 3.1 8B Instruct on GeForce RTX 3090")


# ----- other commands --------------------------------------------------------------------------


async def test_model_page_has_facts_sections_and_sources(fake: FakeDiscord, start_bot):
    await start_bot()
    _, final = await ask(fake, fake.slash("model", name="r1 1.5b"))
    (embed,) = body_of(final)["embeds"]
    assert embed["title"] == "DeepSeek R1 Distill Qwen 1.5B"
    assert "**Context window:** 131,072" in embed["description"]
    assert "**KV heads:** 2" in embed["description"]
    names = [f["name"] for f in embed["fields"]]
    assert names[:3] == ["What improved", "How it was released", "Where it is strong"]
    assert "Sources" in names
    sources = next(f["value"] for f in embed["fields"] if f["name"] == "Sources")
    assert "https://huggingface.co/deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B" in sources


async def test_gpu_page_defers_then_lists_models_that_fit(
    fake: FakeDiscord, start_bot, subset_lookup: Lookup
):
    charts = ChartService(None, subset_lookup.catalog.version, gpu_renderer=lambda g, rig, fits: png())
    services = Services(subset_lookup.catalog, subset_lookup, charts)
    await start_bot(services=services)
    cb, final = await ask(fake, fake.slash("gpu", name="4090"))
    assert cb.json["type"] == 5  # deferred: it estimates the whole catalog
    assert final.method == "PATCH"
    (embed,) = final.json["embeds"]
    assert embed["title"] == "GeForce RTX 4090"
    assert "**Memory:** 24 GB GDDR6X" in embed["description"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert "DeepSeek R1 Distill Qwen 1.5B (BF16)" in fields["Best models that fit at 8K (llama.cpp)"]
    assert "At 32K" in fields
    assert [name for name, _ in final.files] == ["gpu.png"]
    assert embed["image"]["url"] == "attachment://gpu.png"


async def test_whatfits_a_budget(fake: FakeDiscord, start_bot, subset_lookup: Lookup):
    charts = ChartService(None, subset_lookup.catalog.version, enabled=False)
    services = Services(subset_lookup.catalog, subset_lookup, charts)
    await start_bot(services=services)
    cb, final = await ask(fake, fake.slash("whatfits", gpu="8gb"))
    assert cb.json["type"] == 5
    (embed,) = final.json["embeds"]
    assert embed["title"] == "What fits on 8 GB of VRAM at 8K"
    text = " ".join(f["value"] for f in embed["fields"])
    assert "DeepSeek R1 Distill Qwen 1.5B" in text
    assert "Llama 3.3 70B" not in text


async def test_rig_set_then_fit_without_a_gpu(fake: FakeDiscord, start_bot):
    await start_bot()
    _, final = await ask(fake, fake.slash("rig", sub="set", setup="2x 3090 + 64gb ram"))
    body = body_of(final)
    assert body["flags"] & EPHEMERAL
    assert body["embeds"][0]["description"] == "2× GeForce RTX 3090 + 64 GB RAM"
    _, final = await ask(fake, fake.slash("fit", model="llama 3.3 70b"))
    assert body_of(final)["embeds"][0]["title"].endswith(
        "Llama 3.3 70B Instruct on 2× GeForce RTX 3090 + 64 GB RAM"
    )
    _, final = await ask(fake, fake.slash("rig", sub="clear"))
    assert body_of(final)["content"] == "Forgot your saved rig."


async def test_help_lists_the_commands(fake: FakeDiscord, start_bot):
    await start_bot()
    _, final = await ask(fake, fake.slash("help"))
    names = [f["name"] for f in body_of(final)["embeds"][0]["fields"]]
    assert names[0] == "/fit model gpu" and "Mention me" in names


async def test_settings_make_replies_private_and_set_a_runtime(fake: FakeDiscord, start_bot):
    await start_bot()
    await ask(fake, fake.slash("settings", runtime="ollama", private=True))
    _, final = await ask(fake, fake.slash("fit", model="deepseek r1 1.5b", gpu="3060"))
    body = body_of(final)
    assert body["flags"] & EPHEMERAL
    assert body["embeds"][0]["footer"]["text"].startswith("ollama")


# ----- autocomplete ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("focused", "value", "expect"),
    [("model", "deeps", "DeepSeek"), ("gpu", "4060 ti", "4060 Ti"), ("quant", "q4", "Q4_K_M")],
)
async def test_autocomplete_is_fast_and_within_limits(fake: FakeDiscord, start_bot, focused, value, expect):
    await start_bot()
    inter = fake.autocomplete("fit", focused, value)
    sent = await fake.dispatch("INTERACTION_CREATE", inter)
    cb = await fake.callback_for(inter)
    assert cb.at - sent.at < DEADLINE
    assert cb.json["type"] == 8
    choices = cb.json["data"]["choices"]
    assert 1 <= len(choices) <= 25
    assert all(1 <= len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in choices)
    assert expect in choices[0]["name"]


# ----- errors ----------------------------------------------------------------------------------


async def test_unknown_names_get_a_short_private_error_with_suggestions(fake: FakeDiscord, start_bot):
    await start_bot()
    _, final = await ask(fake, fake.slash("fit", model="deepseek r1 1.5b", gpu="rtx 9999 <@&123> @everyone"))
    body = body_of(final)
    assert body["flags"] & EPHEMERAL
    assert body["content"].startswith("⚠️")
    assert "Did you mean" in body["content"]
    assert "@everyone" not in body["content"] and "<@&123>" not in body["content"]
    assert "Traceback" not in body["content"]
    no_pings(body)


async def test_an_unexpected_error_is_logged_with_an_id_and_apologised_for(
    fake: FakeDiscord, start_bot, caplog: pytest.LogCaptureFixture
):
    bot = await start_bot()

    def broken(state):
        raise RuntimeError("estimator exploded")

    bot.services.answer = broken  # type: ignore[method-assign]
    with caplog.at_level(logging.ERROR, logger="bot.replies"):
        _, final = await ask(fake, fake.slash("fit", model="deepseek r1 1.5b", gpu="3060"))
    body = body_of(final)
    assert body["flags"] & EPHEMERAL
    m = re.search(r"Error id `([0-9a-f]{8})`", body["content"])
    assert m, body["content"]
    assert "estimator exploded" not in body["content"] and "Traceback" not in body["content"]
    record = next(r for r in caplog.records if getattr(r, "error_id", None) == m.group(1))
    assert record.command == "fit" and "deepseek r1 1.5b" in record.options
    assert record.exc_info and "estimator exploded" in str(record.exc_info[1])


# ----- mentions and DMs ------------------------------------------------------------------------


async def mention_replies(fake: FakeDiscord, after: int, wait: float = 0.5) -> list[Recorded]:
    await asyncio.sleep(wait)
    return [
        r
        for r in fake.requests[after:]
        if r.method == "POST" and re.fullmatch(r"/channels/\d+/messages", r.path)
    ]


async def test_a_mention_gets_the_fit_answer_without_pinging(fake: FakeDiscord, start_bot):
    await start_bot()
    msg = fake.chat_message(f"<@{fake.app_id}> will deepseek r1 1.5b fit on a 3060?", mention_bot=True)
    await fake.dispatch("MESSAGE_CREATE", msg)
    rec = await fake.wait_for(
        lambda r: r.method == "POST" and r.path == f"/channels/{fake.channel_id}/messages"
    )
    body = rec.json
    assert body["embeds"][0]["title"] == "✅ DeepSeek R1 Distill Qwen 1.5B on GeForce RTX 3060 12 GB"
    assert str(body["message_reference"]["message_id"]) == msg["id"]
    assert body["allowed_mentions"]["parse"] == [] and body["allowed_mentions"]["replied_user"] is False
    assert body["components"][0]["components"][0]["custom_id"].startswith("fit:q:")


async def test_messages_without_a_mention_are_ignored_and_mentions_are_rate_limited(
    fake: FakeDiscord, start_bot
):
    await start_bot(mention_cooldown=30)
    start = len(fake.requests)
    await fake.dispatch("MESSAGE_CREATE", fake.chat_message("will llama 3 8b fit on a 3090?"))
    assert await mention_replies(fake, start) == []
    ask_ = f"<@{fake.app_id}> llama 3.1 8b on a 3090"
    await fake.dispatch("MESSAGE_CREATE", fake.chat_message(ask_, mention_bot=True))
    await fake.dispatch("MESSAGE_CREATE", fake.chat_message(ask_, mention_bot=True))
    assert len(await mention_replies(fake, start, wait=1.0)) == 1


async def test_a_dm_question_uses_the_saved_rig(fake: FakeDiscord, start_bot):
    await start_bot(mention_cooldown=0)
    await ask(fake, fake.slash("rig", sub="set", setup="4060 ti 16gb", dm=True))
    await fake.dispatch("MESSAGE_CREATE", fake.chat_message("will qwen2.5 7b fit?", dm=True))
    rec = await fake.wait_for(
        lambda r: r.method == "POST" and r.path == f"/channels/{fake.channel_id + 1}/messages"
    )
    assert rec.json["embeds"][0]["title"].endswith("Qwen2.5 7B Instruct on GeForce RTX 4060 Ti 16 GB")


async def test_an_ambiguous_mention_gets_a_picker(fake: FakeDiscord, start_bot):
    await start_bot(mention_cooldown=0)
    await fake.dispatch(
        "MESSAGE_CREATE", fake.chat_message(f"<@{fake.app_id}> llama 8b on a 3090", mention_bot=True)
    )
    rec = await fake.wait_for(
        lambda r: r.method == "POST" and r.path == f"/channels/{fake.channel_id}/messages"
    )
    assert "Which model did you mean?" in rec.json["content"]
    assert rec.json["components"][0]["components"][0]["custom_id"].startswith("pick:f:")


# ----- operations --------------------------------------------------------------------------------


async def test_commands_are_counted(fake: FakeDiscord, start_bot):
    bot = await start_bot()
    await ask(fake, fake.slash("help"))
    await ask(fake, fake.slash("help"))
    await asyncio.sleep(0.1)  # the completion event runs after the reply
    assert (await bot.services.store.usage())["help"] == 2


async def test_a_sharded_process_runs_only_its_shards(fake: FakeDiscord, start_bot):
    bot = await start_bot(shard_count=2, shard_ids=[1])
    assert type(bot).__name__ == "ShardedFitBot"
    assert fake.identify is not None and fake.identify["shard"] == [1, 2]
    _, final = await ask(fake, fake.slash("help"))
    assert body_of(final)["embeds"][0]["title"].startswith("FitMyGPU")
