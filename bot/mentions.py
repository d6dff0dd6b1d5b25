"""Free-text questions: a message that mentions the bot, or any DM, gets the /fit answer.

Works without the privileged message-content intent: Discord delivers the content of messages
that mention the bot and of DMs to it, and nothing else is read. Replies never ping (not even the
author), and each user gets at most one reply per ``FITMYGPU_MENTION_COOLDOWN`` seconds.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.embeds import error_text
from bot.replies import Reply, new_error_id
from bot.safety import Cooldown, strip_mention
from bot.services import Services, quant_runs_on
from bot.state import FitState
from bot.views import picker_view, reply_for, state_of
from fitmygpu.answer import Answer, AnswerError, build_answer, rig_from_mentions
from fitmygpu.estimator.types import Runtime

if TYPE_CHECKING:
    from bot.client import FitBotMixin

log = logging.getLogger("bot.mentions")

EXAMPLE = "Ask me like this: `will qwen2.5 14b q4 fit on a 4070 at 32k?` — or use `/fit`."


def answer_question(
    services: Services, text: str, default_rig: object, default_runtime: str | None
) -> Answer:
    """Answerer.ask with the user's saved rig; a server's default runtime applies when the
    question names none (runs in a worker thread)."""
    answer = services.lookup.answerer.ask(text, default_rig)  # type: ignore[arg-type]
    if answer.runtime_said or not default_runtime or answer.rig is None:
        return answer
    rt = Runtime(default_runtime)
    if answer.runtime == rt or (answer.quant and not quant_runs_on(answer.quant, rt)):
        return answer
    head_notes = set(answer.headline.notes) if answer.headline else set()
    redone = build_answer(
        answer.model,
        answer.rig,
        context=answer.context,
        quant=answer.quant,
        kv_cache=answer.kv_cache,
        runtime=rt,
        concurrency=answer.concurrency,
        notes=[n for n in answer.notes if n not in head_notes],
    )
    redone.model_alternatives = answer.model_alternatives
    redone.gpu_suggestions = answer.gpu_suggestions
    redone.score = answer.score
    return redone


class MentionCog(commands.Cog):
    def __init__(self, bot: FitBotMixin, cooldown_seconds: float) -> None:
        self.bot = bot
        self.cooldown = Cooldown(cooldown_seconds)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        me = self.bot.user
        if me is None or message.author.bot or message.author.id == me.id:
            return
        # A guild the cache does not know yet also has message.guild None; only a DMChannel is a DM.
        is_dm = isinstance(message.channel, discord.DMChannel)
        if not is_dm and me.id not in message.raw_mentions:
            return  # also ignores @everyone/@here and role mentions
        wait = self.cooldown.retry_after(message.author.id)
        if wait:
            log.debug("mention from %s ignored: cooldown %.1fs", message.author.id, wait)
            return
        try:
            reply = await self._reply(message)
        except Exception as exc:
            error_id = new_error_id()
            log.error(
                "unexpected error %s answering a mention: %r",
                error_id,
                exc,
                exc_info=(type(exc), exc, exc.__traceback__),
                extra={
                    "error_id": error_id,
                    "user_id": message.author.id,
                    "guild_id": message.guild and message.guild.id,
                    "channel_id": message.channel.id,
                    "text": message.content[:300],
                },
            )
            reply = Reply(content=f"Sorry, something went wrong on our side. Error id `{error_id}`.")
        await self._send(message, reply)

    async def _reply(self, message: discord.Message) -> Reply:
        services = self.bot.services
        text = strip_mention(message.content, self.bot.user.id)  # type: ignore[union-attr]
        if not text:
            return Reply(content=EXAMPLE)
        store = services.store
        saved = await store.get_rig(message.author.id) if store else None
        default_rig = services.lookup.from_saved(saved) if saved else None
        guild_id = message.guild.id if message.guild else getattr(message.channel, "guild_id", None)
        gs = await store.get_guild_settings(guild_id) if store else None
        if store:
            await store.count_use("mention")
        try:
            answer = await asyncio.to_thread(
                answer_question, services, text, default_rig, gs.default_runtime if gs else None
            )
        except AnswerError as exc:
            return await asyncio.to_thread(self._explain, services, text, default_rig, exc)
        return await reply_for(services, state_of(answer), answer)

    @staticmethod
    def _explain(services: Services, text: str, default_rig: object, exc: AnswerError) -> Reply:
        """The error, plus a picker when the model name was ambiguous."""
        q = services.lookup.parser.parse(text)
        content = error_text(exc.message, exc.suggestions)
        if not (q.model.ambiguous and q.model.alternatives):
            return Reply(content=content + "\n" + EXAMPLE)
        rig = rig_from_mentions(q.gpus, q) or default_rig
        state = FitState.from_rig(
            "",
            rig,
            context=q.context,
            quant=q.quant,
            runtime=q.runtime,  # type: ignore[arg-type]
            kv_cache=q.kv_cache,
            concurrency=q.concurrency,
        )
        view = picker_view(services, "f", state, q.model.alternatives)
        return Reply(content=content, view=view)

    @staticmethod
    async def _send(message: discord.Message, reply: Reply) -> None:
        kwargs = reply.send_kwargs()
        try:
            await message.reply(mention_author=False, **kwargs)
        except discord.HTTPException as exc:
            # Deleted message or missing permission to reply: fall back to a plain send.
            log.info("reply failed (%s); sending without a reference", exc)
            kwargs["files"] = []  # attachments were consumed by the first attempt
            try:
                await message.channel.send(**kwargs)
            except discord.HTTPException as exc2:
                log.warning("could not answer a mention in channel %s: %s", message.channel.id, exc2)
