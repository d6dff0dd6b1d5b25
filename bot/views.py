"""The selects under a /fit reply, the "which model did you mean?" picker, and building /fit
replies.

Both selects are :class:`discord.ui.DynamicItem`: the whole answer state lives in the custom_id
(:mod:`bot.state`) and is parsed with a regex template, so a reply's selects keep working after a
restart and no view is held in memory per message. Registered once with
``bot.add_dynamic_items`` in the client's ``setup_hook``.
"""

from __future__ import annotations

import asyncio
import io
import re
from typing import TYPE_CHECKING, Any

import discord

from bot.chart_files import FIT_FILENAME
from bot.embeds import fit_embed
from bot.lookup import CONTEXT_STEPS, Unresolved
from bot.pages import model_reply
from bot.replies import Reply, guarded, respond
from bot.services import Services, quant_runs_on
from bot.state import FitState, StateError
from fitmygpu.answer import Answer, ladder_for
from fitmygpu.estimator.kv import resolve_kv
from fitmygpu.estimator.types import Runtime
from fitmygpu.matching.models import Candidate
from fitmygpu.render_text import ctx_label
from fitmygpu.textutil import clip

if TYPE_CHECKING:
    from bot.client import FitBotMixin

ALL_QUANTS = "*"
FIELD_PLACEHOLDER = {"q": "Quant", "r": "Runtime", "c": "Context"}


def _services(interaction: discord.Interaction) -> Services:
    bot: FitBotMixin = interaction.client  # type: ignore[assignment]
    return bot.services


def _owner_id(interaction: discord.Interaction) -> int | None:
    """Who ran the slash command this message answers (None for mention replies)."""
    msg = interaction.message
    meta = getattr(msg, "interaction_metadata", None) if msg else None
    return meta.user.id if meta is not None and meta.user is not None else None


# ----- building /fit replies -------------------------------------------------------------------


def state_of(answer: Answer) -> FitState:
    """The state that rebuilds ``answer`` (for replies that started from free text)."""
    return FitState.from_rig(
        answer.model.id,
        answer.rig,
        context=answer.context,
        quant=answer.quant,
        runtime=answer.runtime if answer.runtime_said else None,
        kv_cache=answer.kv_cache,
        concurrency=answer.concurrency,
    )


async def reply_for(services: Services, state: FitState, answer: Answer) -> Reply:
    embed = fit_embed(answer, services.catalog.version)
    view = fit_view(services, state, answer) if answer.rows else None
    files: list[discord.File] = []
    png = await services.charts.fit_chart(answer, state.encode())
    if png:
        files.append(discord.File(io.BytesIO(png), FIT_FILENAME))
        embed.set_image(url=f"attachment://{FIT_FILENAME}")
    return Reply(embeds=[embed], view=view, files=files)


async def fit_reply(services: Services, state: FitState) -> Reply:
    """The full /fit reply for a state; the estimate runs in a worker thread."""
    answer = await asyncio.to_thread(services.answer, state)
    return await reply_for(services, state, answer)


def fit_view(services: Services, state: FitState, answer: Answer) -> discord.ui.View | None:
    """Quant, runtime and context selects; None when the state cannot fit in a custom_id."""
    view = discord.ui.View(timeout=None)
    for field in ("q", "r", "c"):
        cid = state.custom_id(f"fit:{field}:", services.lookup.codec.forward)
        if cid is None:
            return None
        view.add_item(FitOptionSelect(_select(field, cid, answer), field, cid.split(":", 2)[2]))
    return view


def _select(field: str, custom_id: str, answer: Answer | None) -> discord.ui.Select:
    options: list[discord.SelectOption] = []
    current = ""
    if answer is not None:
        h = answer.headline
        if field == "q":
            current = answer.quant or ALL_QUANTS
            options.append(discord.SelectOption(label="All formats (best that fits)", value=ALL_QUANTS))
            for q in ladder_for(answer.runtime, answer.model):
                options.append(discord.SelectOption(label=q, value=q))
            if answer.quant and answer.quant not in [o.value for o in options]:
                options.append(discord.SelectOption(label=answer.quant, value=answer.quant))
        elif field == "r":
            current = answer.runtime.value
            options = [discord.SelectOption(label=r.value, value=r.value) for r in Runtime]
        else:
            current = str(h.context) if h else ""
            window = answer.model.context_window
            steps = sorted(
                {c for c in CONTEXT_STEPS if c <= window} | {window} | ({h.context} if h else set())
            )
            options = [
                discord.SelectOption(label=ctx_label(c), value=str(c), description=f"{c:,} tokens of context")
                for c in steps
            ]
        options = options[:25]
        for o in options:
            o.default = o.value == current
    if not options:  # rebuilt from a custom_id: only the selected value matters
        options = [discord.SelectOption(label="…", value="…")]
    label = next((o.label for o in options if o.default), "")
    placeholder = f"{FIELD_PLACEHOLDER[field]}: {label}" if label else FIELD_PLACEHOLDER[field]
    return discord.ui.Select(custom_id=custom_id, placeholder=clip(placeholder, 150), options=options)


def apply_choice(state: FitState, field: str, value: str) -> FitState:
    """The state after choosing ``value`` in select ``field``, keeping the options consistent
    (a GGUF quant is dropped when switching to vLLM, and so on)."""
    if field == "q":
        if value == ALL_QUANTS:
            return state.with_(quant=None)
        rt = state.runtime
        if rt is not None and not quant_runs_on(value, rt):
            rt = None  # let the quant pick its engine
        return state.with_(quant=value, runtime=rt)
    if field == "r":
        rt = Runtime(value)
        quant = state.quant if state.quant and quant_runs_on(state.quant, rt) else None
        kv = state.kv_cache
        if kv is not None:
            try:
                resolve_kv(kv, rt)
            except ValueError:
                kv = None
        return state.with_(runtime=rt, quant=quant, kv_cache=kv)
    if field == "c":
        return state.with_(context=int(value))
    raise StateError(f"unknown field {field!r}")


class FitOptionSelect(
    discord.ui.DynamicItem[discord.ui.Select],
    template=r"fit:(?P<field>[qrc]):(?P<state>[a-z0-9.\-~*+=:A-Z_]*)",
):
    """One of the three selects under a /fit reply; choosing edits the reply in place."""

    def __init__(self, item: discord.ui.Select, field: str, state: str) -> None:
        super().__init__(item)
        self.field = field
        self.state = state

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> FitOptionSelect:
        return cls(_select(match["field"], match.group(0), None), match["field"], match["state"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await guarded(interaction, self._switch(interaction))

    async def _switch(self, interaction: discord.Interaction) -> None:
        services = _services(interaction)
        if not self.item.values:
            raise Unresolved("This menu is out of date; run /fit again.")
        try:
            state = FitState.decode(self.state, services.lookup.codec.back)
            new = apply_choice(state, self.field, self.item.values[0])
        except (StateError, ValueError):
            raise Unresolved("This menu is out of date; run /fit again.") from None
        owner = _owner_id(interaction)
        if owner is not None and owner != interaction.user.id:
            # Someone else's reply: show them their own version instead of changing it under the owner.
            await respond(interaction, fit_reply(services, new), ephemeral=True)
            return
        await respond(interaction, fit_reply(services, new), edit=True)


# ----- "which model did you mean?" ---------------------------------------------------------------


def picker_view(
    services: Services, target: str, state: FitState, candidates: list[Candidate]
) -> discord.ui.View | None:
    """A select of candidate models; ``target`` is ``f`` (a /fit answer) or ``m`` (a model page)."""
    cid = state.custom_id(f"pick:{target}:", services.lookup.codec.forward)
    if cid is None or not candidates:
        return None
    options = [discord.SelectOption(label=clip(c.name, 100), value=c.id) for c in candidates[:25]]
    view = discord.ui.View(timeout=None)
    select = discord.ui.Select(custom_id=cid, placeholder="Which model?", options=options)
    view.add_item(PickModelSelect(select, target, cid.split(":", 2)[2]))
    return view


class PickModelSelect(
    discord.ui.DynamicItem[discord.ui.Select],
    template=r"pick:(?P<target>[fm]):(?P<state>[a-z0-9.\-~*+=:A-Z_]*)",
):
    """Picking a candidate replaces the picker with the answer (or the model page)."""

    def __init__(self, item: discord.ui.Select, target: str, state: str) -> None:
        super().__init__(item)
        self.target = target
        self.state = state

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> PickModelSelect:
        options = [discord.SelectOption(label="…", value="…")]
        select = discord.ui.Select(custom_id=match.group(0), options=options)
        return cls(select, match["target"], match["state"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await guarded(interaction, self._pick(interaction))

    async def _pick(self, interaction: discord.Interaction) -> None:
        services = _services(interaction)
        model_id = self.item.values[0] if self.item.values else ""
        if model_id not in services.catalog.models:
            raise Unresolved("That model is no longer in the catalog; try again.")
        if self.target == "m":
            await respond(interaction, model_reply(services, services.catalog.models[model_id]), edit=True)
            return
        try:
            state = FitState.decode(self.state, services.lookup.codec.back).with_(model=model_id)
        except StateError:
            raise Unresolved("This menu is out of date; run /fit again.") from None
        await respond(interaction, fit_reply(services, state), edit=True)
