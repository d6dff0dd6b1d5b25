"""PNG charts for an answer (memory against context) and for a GPU page (models that fit).

Every plotted number comes from the estimator: the fit chart samples contexts and calls
``estimate`` for each quant (re-using the answer's rows), so a curve crosses the usable line
exactly at the max context the text answer prints. The data functions (``fit_chart_data``,
``gpu_chart_bars``) are separate from the drawing so tests can check the numbers, not pixels.

Drawing uses ``matplotlib.figure.Figure`` with the Agg canvas and no pyplot, no rcParams and no
``rc_context``: nothing global is touched, so the Discord bot may render in worker threads.
One style (a solid dark-slate card, light text, Paul Tol's colour-blind-safe "light" palette)
reads on Discord's dark and light themes alike and on a phone.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
from dataclasses import dataclass
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from PIL import Image  # a matplotlib dependency; used to write a compact palette PNG

from fitmygpu.answer import Answer, Rig
from fitmygpu.catalog.schema import GPUEntry
from fitmygpu.estimator import core
from fitmygpu.estimator.constants import GIB
from fitmygpu.estimator.types import DeviceUse, Estimate, Options, Runtime, Setup, Verdict
from fitmygpu.render_text import WORD, assumptions, ctx_label, size
from fitmygpu.textutil import clip
from fitmygpu.whatfits import FitEntry

CHART_VERSION = "1"  # part of every cache key: bump it when the look or the data changes
WIDTH_PX, HEIGHT_PX, DPI = 1000, 560, 100
MIN_CONTEXT = 2048  # the fit chart's x axis starts here (or at the window, if smaller)
CONTEXT_STEP = 256  # max_context's granularity; the chart samples max and max + one step
GPU_CHART_BARS = 10

# Style: a card with its own background, so neither Discord theme changes how it reads.
BG = "#1E2430"
PLOT_BG = "#262D3B"
TEXT = "#ECEFF4"
MUTED = "#AEB7C6"
GRID = "#3B4456"
USABLE = "#FFFFFF"
OVER = "#E8A0A0"
# Paul Tol's "light" scheme: colour-blind safe and light enough for a dark background.
PALETTE = ("#77AADD", "#EE8866", "#EEDD88", "#FFAABB", "#99DDFF", "#44BB99", "#BBCC33", "#AAAA00")
# Breakdown shades: one hue, ordered by lightness, so they stay apart without colour vision.
PARTS = (
    ("weights", "#3F5573"),
    ("KV cache", "#56708F"),
    ("compute", "#7089A8"),
    ("reserve", "#93A7C0"),
)
FITS_COLOR = {Verdict.FITS: "#77AADD", Verdict.TIGHT: "#EE8866"}
TITLE_PT, SUBTITLE_PT, LABEL_PT, TICK_PT, LEGEND_PT = 17, 12.5, 13, 12, 12


# ----- fit chart data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """One sampled context: the estimator's verdict and its fullest GPU with every layer on GPUs.

    The fullest GPU (highest share of its usable memory) is what decides a fit on several GPUs:
    llama.cpp splits layers by memory, so one card fills first and the estimator's max context
    is where *that* card runs out, not where the sum does.
    """

    context: int
    verdict: Verdict
    device: DeviceUse

    @property
    def total_bytes(self) -> int:
        return self.device.total_bytes

    @property
    def usable_bytes(self) -> int:
        return self.device.usable_bytes

    @property
    def fill(self) -> float:
        """Need over usable memory: above 1.0 the request does not fit on the GPUs."""
        return self.device.total_bytes / self.device.usable_bytes


@dataclass(frozen=True)
class Series:
    """One quant's curve: sampled points, smallest context first, and the estimator's max context."""

    quant: str
    max_context: int | None
    points: tuple[Point, ...]

    @property
    def contexts(self) -> list[int]:
        return [p.context for p in self.points]

    def at(self, context: int) -> Point | None:
        return next((p for p in self.points if p.context == context), None)

    def crossing(self) -> float | None:
        """The context where the curve meets the usable line, interpolated on the log-2 axis;
        None when it never crosses between the first and the last sample."""
        for a, b in zip(self.points, self.points[1:], strict=False):
            if a.fill <= 1.0 < b.fill:
                t = (1.0 - a.fill) / (b.fill - a.fill)
                la, lb = math.log2(a.context), math.log2(b.context)
                return 2 ** (la + t * (lb - la))
        return None


@dataclass(frozen=True)
class Scale:
    """How needs map to the y axis. With one usable size (one GPU, or identical GPUs) the axis is
    GiB and the line that size; GPUs of different sizes have no common GiB line, so the axis is
    the fullest GPU's share of its usable memory and the line is 100%."""

    usable_bytes: int | None
    gpu_count: int

    def value(self, p: Point, nbytes: int | None = None) -> float:
        n = p.total_bytes if nbytes is None else nbytes
        return n / GIB if self.usable_bytes else 100.0 * n / p.usable_bytes

    @property
    def line(self) -> float:
        return self.usable_bytes / GIB if self.usable_bytes else 100.0

    @property
    def line_label(self) -> str:
        if not self.usable_bytes:
            return "usable (100%)"
        each = " each" if self.gpu_count > 1 else ""
        return f"usable {size(self.usable_bytes)}{each}"

    @property
    def ylabel(self) -> str:
        if not self.usable_bytes:
            return "% of usable, fullest GPU"
        if self.gpu_count > 1:
            return f"GiB on the fullest of {self.gpu_count} GPUs"
        return "GiB needed"


@dataclass(frozen=True)
class FitChart:
    """Everything the fit chart draws, in data units."""

    title: str
    subtitle: str
    series: tuple[Series, ...]
    headline: Estimate
    scale: Scale
    window: int
    over_text: str


def sample_contexts(answer: Answer, quant: str) -> list[int]:
    """Powers of two from 2K up to the window, the window, the answer's table contexts, and this
    quant's max context and one step past it: sampling both sides of the edge makes the drawn
    crossing land where the estimator put it."""
    window = answer.model.context_window
    lo = min(MIN_CONTEXT, window, *answer.contexts)
    ctxs = {lo, window, *answer.contexts}
    p = MIN_CONTEXT
    while p <= window:
        ctxs.add(p)
        p *= 2
    mc = answer.max_context.get(quant)
    if mc:
        ctxs.update({mc, min(mc + CONTEXT_STEP, window)})
    return sorted(c for c in ctxs if lo <= c <= window)


def chart_options(answer: Answer, quant: str, context: int) -> Options:
    """The options ``build_answer`` estimated the rows with, at another quant and context."""
    head = answer.headline or answer.rows[0]
    return Options(
        runtime=answer.runtime,
        quant=quant,
        context=context,
        kv_cache=answer.kv_cache,
        concurrency=answer.concurrency or 1,
        flash_attn=head.flash_attn,  # the resolved value gives the same numbers as the asked one
    )


def _fullest(devices: list[DeviceUse]) -> DeviceUse:
    return max(devices, key=lambda d: d.total_bytes / max(d.usable_bytes, 1))


def _point(answer: Answer, setup: Setup, quant: str, context: int) -> Point:
    arch = answer.model.architecture
    opts = chart_options(answer, quant, context)
    est = answer.cell(quant, context) or core.estimate(arch, opts, setup)
    devices = est.devices if est.offload is None else core.all_on_gpus(arch, opts, setup)
    return Point(context=context, verdict=est.verdict, device=_fullest(devices))


def fit_chart_series(answer: Answer) -> list[Series]:
    """Each quant of the answer as a curve of the estimator's need against context."""
    if answer.rig is None or not answer.rows:
        raise ValueError("a fit chart needs an answer with a setup and estimated rows")
    setup = answer.rig.setup
    return [
        Series(
            quant=q,
            max_context=answer.max_context.get(q),
            points=tuple(_point(answer, setup, q, c) for c in sample_contexts(answer, q)),
        )
        for q in answer.quants
    ]


def fit_chart_data(answer: Answer) -> FitChart:
    """The fit chart's numbers, titles and scale, ready to draw."""
    series = fit_chart_series(answer)
    assert answer.rig is not None  # fit_chart_series checked it
    head = answer.headline or answer.rows[0]
    usables = {d.usable_bytes for d in head.devices}
    scale = Scale(usable_bytes=usables.pop() if len(usables) == 1 else None, gpu_count=len(head.devices))
    over = "above the line: does not fit"
    if answer.runtime.uses_gguf or answer.runtime == Runtime.TRANSFORMERS:
        over = f"above the line: {WORD[Verdict.OFFLOAD]} (slow) or no fit"
    return FitChart(
        title=clip(f"{answer.model.name} on {answer.rig.description}", 64),
        subtitle=f"Memory needed by context · {assumptions(answer)}",
        series=tuple(series),
        headline=head,
        scale=scale,
        window=answer.model.context_window,
        over_text=over,
    )


# ----- GPU chart data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One model on the GPU chart: its best quant and what that needs, straight from what_fits."""

    model: str
    quant: str
    total_bytes: int
    usable_bytes: int
    verdict: Verdict
    context: int


def gpu_chart_bars(fits: list[FitEntry], limit: int = GPU_CHART_BARS) -> list[Bar]:
    """The first ``limit`` entries of ``what_fits`` (largest models first) as bars."""
    return [
        Bar(
            model=f.model.name,
            quant=f.quant,
            total_bytes=f.estimate.total_bytes,
            usable_bytes=f.estimate.usable_bytes,
            verdict=f.estimate.verdict,
            context=f.estimate.context,
        )
        for f in fits[:limit]
    ]


def _rig_usable(rig: Rig) -> int:
    setup = rig.setup
    return sum(core.usable_memory(d, setup, i) for i, d in enumerate(setup.devices))


# ----- cache keys ----------------------------------------------------------------------------------


def _catalog_version(catalog_version: str | None) -> str:
    if catalog_version is not None:
        return catalog_version
    from fitmygpu.catalog.loader import default_catalog

    return default_catalog().version


def _rig_key(rig: Rig | None) -> dict[str, Any] | None:
    if rig is None:
        return None
    return {
        "gpus": [[gc.entry.id, gc.count] for gc in rig.gpus],
        "budget_gib": rig.budget_gib,
        "budget_count": rig.budget_count,
        "ram_gib": rig.ram_gib,
    }


def fit_chart_key(answer: Answer, catalog_version: str | None = None) -> str:
    """A stable key for an answer's chart: same inputs, same key, across processes.

    It names everything the picture depends on (model and its architecture, for drafts from a
    config.json, GPUs and counts, quants, contexts, headline cell, runtime, KV type, flash
    attention, concurrency), the catalog version and ``CHART_VERSION``.
    """
    head = answer.headline
    payload = {
        "chart": CHART_VERSION,
        "model": answer.model.id,
        "arch": hashlib.sha256(answer.model.architecture.model_dump_json().encode()).hexdigest()[:16],
        "setup": _rig_key(answer.rig),
        "quants": answer.quants,
        "contexts": answer.contexts,
        "headline": [head.quant, head.context] if head else None,
        "runtime": answer.runtime.value,
        "kv": answer.kv_cache,
        "flash_attn": head.flash_attn if head else None,
        "concurrency": answer.concurrency or 1,
        "catalog": _catalog_version(catalog_version),
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return f"fit:{CHART_VERSION}:{answer.model.id}:{hashlib.sha256(text.encode()).hexdigest()[:32]}"


def gpu_chart_key(
    gpu_id: str,
    context: int = 8192,
    runtime: Runtime | str = Runtime.LLAMA_CPP,
    catalog_version: str | None = None,
    count: int = 1,
) -> str:
    """A stable, readable key for a GPU page's chart."""
    rt = runtime.value if isinstance(runtime, Runtime) else runtime
    return f"gpu:{CHART_VERSION}:{gpu_id}x{count}:{context}:{rt}:{_catalog_version(catalog_version)}"


# ----- drawing -------------------------------------------------------------------------------------


def _figure() -> Figure:
    return Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, facecolor=BG)


def _png(fig: Figure) -> bytes:
    """Render with Agg, then encode as a 256-colour PNG.

    Flat fills and a few line colours survive a palette intact, and the palette PNG is a third
    of the size of matplotlib's RGBA one and several times faster to write (docs/charts.md).
    The figure is not cleared (that rebuilds every axis, ~10 ms): nothing outside this call
    holds it, so it is freed with the caller's last reference, as pyplot's registry never saw it.
    """
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    w, h = canvas.get_width_height()
    image = Image.frombuffer("RGBA", (w, h), canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")
    buf = io.BytesIO()
    image.quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


def _titles(fig: Figure, title: str, subtitle: str) -> None:
    fig.text(0.02, 0.945, title, color=TEXT, fontsize=TITLE_PT, fontweight="bold", va="center")
    fig.text(0.02, 0.885, subtitle, color=MUTED, fontsize=SUBTITLE_PT, va="center")


def _style_axes(ax: Any, xlabel: str, ylabel: str) -> None:
    ax.set_facecolor(PLOT_BG)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(GRID)
    ax.tick_params(colors=MUTED, labelcolor=TEXT, labelsize=TICK_PT)
    ax.grid(True, color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_xlabel(xlabel, color=MUTED, fontsize=LABEL_PT)
    ax.set_ylabel(ylabel, color=MUTED, fontsize=LABEL_PT)


def _legend(ax: Any, handles: list[Any], labels: list[str], title: str | None, y: float, loc: str) -> Any:
    leg = ax.legend(
        handles,
        labels,
        title=title,
        loc=loc,
        bbox_to_anchor=(1.02, y),
        fontsize=LEGEND_PT,
        title_fontsize=LEGEND_PT,
        frameon=False,
        labelcolor=TEXT,
        handlelength=1.6,
        borderaxespad=0.0,
        labelspacing=0.35,
        alignment="left",
    )
    if title:
        leg.get_title().set_color(MUTED)
    return leg


def _x_ticks(lo: int, window: int) -> list[int]:
    ticks = [1 << n for n in range(lo.bit_length() - 1, window.bit_length()) if lo <= 1 << n <= window]
    while len(ticks) > 9:
        ticks = ticks[::2]
    return ticks


def _y_top(data: FitChart) -> float:
    """Keep the usable line and the headline curve in view; let ladders far above it leave the
    top of the chart rather than flatten everything that matters against the floor."""
    line = data.scale.line
    values = [data.scale.value(p) for s in data.series for p in s.points]
    head = next(s for s in data.series if s.quant == data.headline.quant)
    head_top = max(data.scale.value(p) for p in head.points)
    return max(line * 1.15, min(max(values), max(line * 2.0, head_top)) * 1.04)


def _max_label(s: Series, window: int) -> str:
    if s.max_context is None:
        return f"{s.quant}  no fit"
    if s.max_context >= window:
        return f"{s.quant}  all {ctx_label(window)}"
    return f"{s.quant}  max {ctx_label(s.max_context)}"


def _draw_breakdown(ax: Any, data: FitChart, s: Series) -> list[Patch]:
    xs = s.contexts
    layers = [
        [data.scale.value(p, p.device.weights_bytes) for p in s.points],
        [data.scale.value(p, p.device.kv_bytes) for p in s.points],
        [data.scale.value(p, p.device.compute_bytes) for p in s.points],
        [data.scale.value(p, p.device.reserve_bytes) for p in s.points],
    ]
    ax.stackplot(xs, *layers, colors=[c for _, c in PARTS], linewidth=0, zorder=1)
    return [Patch(facecolor=c, label=name) for name, c in PARTS]


def _draw_fit(fig: Figure, data: FitChart) -> None:
    ax = fig.add_axes((0.085, 0.13, 0.64, 0.69))
    _style_axes(ax, "Context (tokens)", data.scale.ylabel)
    lo, top = data.series[0].contexts[0], _y_top(data)
    line = data.scale.line
    ax.set_xscale("log", base=2)
    ax.set_xlim(lo, data.window)
    ax.set_ylim(0, top)
    ticks = _x_ticks(lo, data.window)
    ax.set_xticks(ticks, [ctx_label(t) for t in ticks])
    ax.minorticks_off()

    ax.axhspan(line, top, color=OVER, alpha=0.07, linewidth=0, zorder=0)
    ax.text(0.015, 0.975, data.over_text, transform=ax.transAxes, color=MUTED, fontsize=11, va="top")
    head = next(s for s in data.series if s.quant == data.headline.quant)
    parts = _draw_breakdown(ax, data, head)
    ax.axhline(line, color=USABLE, linewidth=2.2, linestyle=(0, (6, 3)), zorder=3)
    hx = data.headline.context
    ax.axvline(hx, color=MUTED, linewidth=1.0, linestyle=":", zorder=2)

    handles: list[Any] = []
    labels: list[str] = []
    for i, s in enumerate(data.series):
        color = PALETTE[i % len(PALETTE)]
        is_head = s is head
        width = 3.6 if is_head else 2.2
        ys = [data.scale.value(p) for p in s.points]
        ax.plot(s.contexts, ys, color=color, linewidth=width, zorder=4 if is_head else 4.5)
        # A dot marks an edge; a quant that fits the whole window has none to mark.
        edge = s.at(s.max_context) if s.max_context and s.max_context < data.window else None
        if edge is not None:
            ax.plot(
                [edge.context],
                [data.scale.value(edge)],
                "o",
                color=color,
                markersize=9,
                markeredgecolor=BG,
                markeredgewidth=1.5,
                zorder=6,
            )
        handles.append(Line2D([], [], color=color, linewidth=width, marker="o", markersize=7))
        labels.append(_max_label(s, data.window))
    handles.append(Line2D([], [], color=USABLE, linewidth=2.2, linestyle=(0, (4, 2))))
    labels.append(data.scale.line_label)

    first = _legend(ax, handles, labels, "quant · max context", 1.0, "upper left")
    for text, s in zip(first.get_texts(), data.series, strict=False):
        if s is head:
            text.set_fontweight("bold")
    ax.add_artist(first)
    _legend(ax, parts, [p.get_label() for p in parts], f"{head.quant} breakdown", 0.0, "lower left")


def render_fit_chart(answer: Answer) -> bytes:
    """The fit chart of an answer as PNG bytes (1000x560)."""
    data = fit_chart_data(answer)
    fig = _figure()
    _titles(fig, data.title, data.subtitle)
    _draw_fit(fig, data)
    return _png(fig)


def _draw_bars(fig: Figure, bars: list[Bar], usable: int, context: int) -> None:
    ax = fig.add_axes((0.30, 0.13, 0.67, 0.69))
    _style_axes(ax, f"GiB needed at {ctx_label(context)} context, best quant", "")
    ax.grid(True, axis="x", color=GRID, linewidth=0.8)
    ax.grid(False, axis="y")
    line = usable / GIB
    ax.set_xlim(0, line * 1.08)
    if not bars:
        ax.set_yticks([])
        ax.text(
            0.5,
            0.5,
            f"Nothing in the catalog fits at {ctx_label(context)}",
            transform=ax.transAxes,
            color=TEXT,
            fontsize=LABEL_PT,
            ha="center",
            va="center",
        )
    ys = list(range(len(bars)))
    values = [b.total_bytes / GIB for b in bars]
    ax.barh(ys, values, height=0.72, color=[FITS_COLOR.get(b.verdict, OVER) for b in bars], zorder=2)
    ax.set_yticks(ys, [clip(b.model, 30) for b in bars])
    ax.set_ylim(len(bars) - 0.5 if bars else 1, -0.6)
    for y, b, v in zip(ys, bars, values, strict=True):
        label = f"{b.quant} · {size(b.total_bytes)}"
        inside = v > line * 0.5
        ax.text(
            v - line * 0.012 if inside else v + line * 0.012,
            y,
            label,
            va="center",
            ha="right" if inside else "left",
            fontsize=11.5,
            color=BG if inside else TEXT,
            zorder=3,
        )
    ax.axvline(line, color=USABLE, linewidth=2.2, linestyle=(0, (6, 3)), zorder=3)
    ax.text(line, -0.62, f"usable {size(usable)}", color=TEXT, fontsize=11.5, ha="right", va="bottom")
    handles = [Patch(facecolor=FITS_COLOR[v]) for v in (Verdict.FITS, Verdict.TIGHT)]
    ax.legend(
        handles,
        [WORD[Verdict.FITS], f"{WORD[Verdict.TIGHT]} (<10% spare)"],
        loc="lower right",
        bbox_to_anchor=(1.0, 1.075),
        ncols=2,
        frameon=False,
        fontsize=LEGEND_PT,
        labelcolor=TEXT,
        borderaxespad=0.0,
        handlelength=1.2,
    )


def render_gpu_chart(gpu: GPUEntry, rig: Rig, fits_8k: list[FitEntry], limit: int = GPU_CHART_BARS) -> bytes:
    """The GPU page's chart as PNG bytes: the largest models that fit, each at its best quant,
    against the GPU's usable memory."""
    bars = gpu_chart_bars(fits_8k, limit)
    usable = bars[0].usable_bytes if bars else _rig_usable(rig)
    context = max((b.context for b in bars), default=8192)
    runtime = fits_8k[0].estimate.runtime.value if fits_8k else Runtime.LLAMA_CPP.value
    where = rig.description if rig.gpus and (len(rig.gpus) > 1 or rig.gpus[0].count > 1) else gpu.name
    fig = _figure()
    _titles(
        fig,
        clip(f"{where}: biggest models that fit", 64),
        f"{runtime} · {len(bars)} of {len(fits_8k)} catalog models that fit at {ctx_label(context)}",
    )
    _draw_bars(fig, bars, usable, context)
    return _png(fig)
