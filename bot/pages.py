"""Building the /model, /gpu and /whatfits replies (embeds, attachments), shared by the commands
and the model picker.

/gpu and /whatfits estimate every catalog model (seconds of CPU), so that work runs in a worker
thread and is memoised per rig, context and runtime (:meth:`bot.services.Services.what_fits`).
"""

from __future__ import annotations

import asyncio
import io

import discord

from bot.chart_files import GPU_FILENAME
from bot.embeds import gpu_embed, model_embed, whatfits_embed
from bot.replies import Reply
from bot.services import Services
from bot.state import RUNTIME_CODE
from fitmygpu.answer import GPUCount, Rig
from fitmygpu.catalog.schema import GPUEntry, ModelEntry
from fitmygpu.estimator.types import Runtime
from fitmygpu.render_text import render_model

PAGE_FILENAME = "model.txt"


async def model_reply(services: Services, m: ModelEntry) -> Reply:
    """The model page; when Discord's limits forced cuts, the full page rides along as text."""
    embed, cut = model_embed(m)
    files = [discord.File(io.BytesIO(render_model(m).encode()), PAGE_FILENAME)] if cut else []
    return Reply(embeds=[embed], files=files)


async def gpu_reply(services: Services, g: GPUEntry, runtime: Runtime = Runtime.LLAMA_CPP) -> Reply:
    rig = Rig(gpus=(GPUCount(g, 1),))

    def work() -> tuple[list, list]:
        return services.what_fits(rig, 8192, runtime), services.what_fits(rig, 32768, runtime)

    fits8, fits32 = await asyncio.to_thread(work)
    embed = gpu_embed(g, fits8, fits32, runtime)
    files: list[discord.File] = []
    png = await services.charts.gpu_chart(
        g, rig, fits8, f"{g.id}:8192:{RUNTIME_CODE[runtime]}", 8192, runtime
    )
    if png:
        files.append(discord.File(io.BytesIO(png), GPU_FILENAME))
        embed.set_image(url=f"attachment://{GPU_FILENAME}")
    return Reply(embeds=[embed], files=files)


async def whatfits_reply(services: Services, rig: Rig, context: int, runtime: Runtime) -> Reply:
    fits = await asyncio.to_thread(services.what_fits, rig, context, runtime)
    embed = whatfits_embed(rig, context, runtime, fits, len(services.catalog.models))
    return Reply(embeds=[embed])
