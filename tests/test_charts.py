"""Charts: what they plot is the estimator's numbers, and the PNGs are the promised size.

Expected values come from the estimator API (``estimate``, ``max_context``, ``what_fits``), never
from pixels, so a change in the estimator moves the charts and the tests together.
"""

from __future__ import annotations

import inspect
import io
import struct
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from matplotlib.image import imread
from typer.testing import CliRunner

from fitmygpu.answer import Answer, GPUCount, Rig, build_answer
from fitmygpu.charts import (
    HEIGHT_PX,
    WIDTH_PX,
    fit_chart_data,
    fit_chart_key,
    fit_chart_series,
    gpu_chart_bars,
    gpu_chart_key,
    render_fit_chart,
    render_gpu_chart,
)
from fitmygpu.cli import app
from fitmygpu.estimator.core import estimate, max_context
from fitmygpu.estimator.types import Device, Options, Runtime, Setup
from fitmygpu.whatfits import what_fits

MAX_PNG = 150 * 1024
# The estimator's max_context granularity, read from its signature so the test follows the API.
STEP = inspect.signature(max_context).parameters["step"].default

# (model id, [(gpu id, count)], build_answer keywords): one GPU, identical GPUs, mixed GPUs,
# offload with RAM, and every runtime, so each way the estimator places memory is covered.
CASES = {
    "qwen3-8b-3060": ("qwen3-8b", [("nvidia-rtx-3060-12gb", 1)], {}),
    "llama70b-2x3090": ("llama-3.3-70b-instruct", [("nvidia-rtx-3090", 2)], {}),
    "llama70b-3090-ram": ("llama-3.3-70b-instruct", [("nvidia-rtx-3090", 1)], {"ram": 64}),
    "qwen3-32b-3090+3060": ("qwen3-32b", [("nvidia-rtx-3090", 1), ("nvidia-rtx-3060-12gb", 1)], {}),
    "qwen3-14b-ollama-q8kv-4seq": (
        "qwen3-14b",
        [("nvidia-rtx-4090", 1)],
        {"runtime": Runtime.OLLAMA, "kv_cache": "q8_0", "concurrency": 4, "context": 16384},
    ),
    "qwen3-30b-vllm-2x4090": ("qwen3-30b-a3b", [("nvidia-rtx-4090", 2)], {"runtime": Runtime.VLLM}),
    "llama8b-transformers": (
        "llama-3.1-8b-instruct",
        [("nvidia-rtx-4090", 1)],
        {"runtime": Runtime.TRANSFORMERS},
    ),
    "qwen3-8b-mlx": ("qwen3-8b", [("m2-max-32gb", 1)], {"runtime": Runtime.MLX}),
    "qwen3-32b-mac-llamacpp": ("qwen3-32b", [("m1-16gb", 1)], {}),
}


def _answer(catalog, case: str) -> Answer:
    model_id, gpus, kw = CASES[case]
    kw = {k: v for k, v in kw.items() if k != "ram"}
    rig = Rig(gpus=tuple(GPUCount(catalog.gpus[g], n) for g, n in gpus), ram_gib=CASES[case][2].get("ram"))
    return build_answer(catalog.models[model_id], rig, **kw)


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def answer(case, catalog) -> Answer:
    return _answer(catalog, case)


def _opts(case: str, answer: Answer, quant: str, context: int) -> Options:
    """The options the test case asked for, built here rather than taken from charts.py."""
    kw = CASES[case][2]
    return Options(
        runtime=answer.runtime,
        quant=quant,
        context=context,
        kv_cache=kw.get("kv_cache"),
        concurrency=kw.get("concurrency", 1),
    )


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def _check_png(data: bytes) -> None:
    assert _png_size(data) == (WIDTH_PX, HEIGHT_PX)
    assert len(data) < MAX_PNG
    pixels = imread(io.BytesIO(data), format="png")
    assert pixels.shape[:2] == (HEIGHT_PX, WIDTH_PX)


# ----- fit chart: the numbers ------------------------------------------------------------------------


def test_each_curve_crosses_the_line_at_the_estimators_max_context(case, answer):
    arch, setup, window = answer.model.architecture, answer.rig.setup, answer.model.context_window
    series = fit_chart_series(answer)
    assert [s.quant for s in series] == answer.quants
    for s in series:
        mc = max_context(arch, _opts(case, answer, s.quant, 8192), setup, window)
        assert s.max_context == mc
        under = [p.context for p in s.points if p.fill <= 1.0]
        over = [p.context for p in s.points if p.fill > 1.0]
        if mc is None:
            assert under == [], s.quant
            continue
        # The last sampled context under the line is the estimator's max context...
        assert max(under) == mc, s.quant
        assert all(c > mc for c in over), s.quant
        if mc + STEP <= window:
            # ...and one max_context step past it is over, so the drawn crossing lies between.
            assert s.at(mc + STEP).fill > 1.0
            crossing = s.crossing()
            assert crossing is not None and mc <= crossing <= mc + STEP
        else:
            assert over == []


def test_points_are_the_estimators_numbers(case, answer):
    arch, setup = answer.model.architecture, answer.rig.setup
    for s in fit_chart_series(answer):
        assert s.contexts == sorted(set(s.contexts))
        for p in s.points:
            e = estimate(arch, _opts(case, answer, s.quant, p.context), setup)
            assert p.verdict == e.verdict
            if e.offload is None:
                fullest = max(e.devices, key=lambda d: d.total_bytes / d.usable_bytes)
                assert p.device == fullest
                if len(setup.devices) == 1:
                    assert p.total_bytes == e.total_bytes
            else:
                # Offloaded: the curve shows the whole need, which does not fit.
                assert p.fill > 1.0
                assert p.total_bytes > e.devices[0].total_bytes or len(setup.devices) > 1


def test_offloaded_points_show_the_all_on_gpu_need(catalog):
    # On one GPU the all-on-GPU need is what the estimator reports on a card big enough to hold
    # it: same device, same engine reserve, eight times the memory.
    answer = _answer(catalog, "llama70b-3090-ram")
    arch = answer.model.architecture
    dev = answer.rig.setup.devices[0]
    big = Setup(devices=(Device(**(dev.model_dump() | {"memory_bytes": dev.memory_bytes * 8})),))
    checked = 0
    for s in fit_chart_series(answer):
        for p in s.points:
            if p.fill > 1.0:
                e = estimate(arch, _opts("llama70b-3090-ram", answer, s.quant, p.context), big)
                assert e.offload is None
                assert p.total_bytes == e.total_bytes
                checked += 1
    assert checked > 10


def test_samples_cover_the_window_and_the_table(answer):
    window = answer.model.context_window
    for s in fit_chart_series(answer):
        assert s.contexts[-1] == window
        assert set(answer.contexts) <= set(s.contexts)
        assert {1 << n for n in range(11, 40) if 1 << n <= window} <= set(s.contexts)


def test_headline_breakdown_is_the_estimators(answer):
    """The shaded breakdown under the headline curve is the estimator's own per-part split."""
    data = fit_chart_data(answer)
    head = next(s for s in data.series if s.quant == data.headline.quant)
    for p in head.points:
        est = answer.cell(head.quant, p.context)
        if est is None or est.offload is not None:
            continue
        fullest = max(est.devices, key=lambda d: d.total_bytes / d.usable_bytes)
        assert (p.device.weights_bytes, p.device.kv_bytes) == (fullest.weights_bytes, fullest.kv_bytes)
        assert (p.device.compute_bytes, p.device.reserve_bytes) == (
            fullest.compute_bytes,
            fullest.reserve_bytes,
        )


def test_scale_is_gib_for_identical_gpus_and_share_for_mixed(catalog):
    same = fit_chart_data(_answer(catalog, "llama70b-2x3090")).scale
    assert same.usable_bytes == catalog.gpus["nvidia-rtx-3090"].memory_bytes
    assert same.gpu_count == 2
    mixed = fit_chart_data(_answer(catalog, "qwen3-32b-3090+3060")).scale
    assert mixed.usable_bytes is None
    assert mixed.line == 100.0


def test_fit_chart_needs_a_setup(catalog):
    answer = build_answer(catalog.models["qwen3-8b"], None)
    with pytest.raises(ValueError):
        fit_chart_series(answer)


# ----- fit chart: the picture ----------------------------------------------------------------------


def test_fit_chart_png(answer):
    _check_png(render_fit_chart(answer))


def test_rendering_is_deterministic_and_thread_safe(catalog):
    answers = [_answer(catalog, c) for c in ("qwen3-8b-3060", "llama70b-2x3090", "qwen3-30b-vllm-2x4090")]
    serial = [render_fit_chart(a) for a in answers]
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(render_fit_chart, answers * 2))
    assert threaded == serial * 2


def test_charts_do_not_use_pyplot():
    code = (
        "import sys\n"
        "from fitmygpu.answer import Answerer\n"
        "from fitmygpu.catalog.loader import default_catalog\n"
        "from fitmygpu.charts import render_fit_chart\n"
        "render_fit_chart(Answerer(default_catalog()).ask('qwen3 8b on a 3060'))\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ----- GPU chart --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rtx3090(catalog):
    rig = Rig(gpus=(GPUCount(catalog.gpus["nvidia-rtx-3090"], 1),))
    return rig, what_fits(catalog, rig, 8192)


def test_gpu_bars_are_what_fits_totals(rtx3090):
    _, fits = rtx3090
    bars = gpu_chart_bars(fits)
    assert len(bars) == min(10, len(fits))
    expected = [(f.model.name, f.quant, f.estimate.total_bytes, f.estimate.usable_bytes) for f in fits]
    assert [(b.model, b.quant, b.total_bytes, b.usable_bytes) for b in bars] == expected[: len(bars)]
    assert all(b.total_bytes <= b.usable_bytes for b in bars)


def test_gpu_chart_png(rtx3090):
    rig, fits = rtx3090
    _check_png(render_gpu_chart(rig.gpus[0].entry, rig, fits))
    _check_png(render_gpu_chart(rig.gpus[0].entry, rig, []))  # nothing fits: still a chart


# ----- cache keys ------------------------------------------------------------------------------------


def test_fit_chart_key_is_stable_and_names_every_input(catalog):
    model, rig = catalog.models["qwen3-8b"], Rig(gpus=(GPUCount(catalog.gpus["nvidia-rtx-3090"], 1),))
    key = fit_chart_key(build_answer(model, rig), "v1")
    assert key == fit_chart_key(build_answer(model, rig), "v1")
    assert key.startswith("fit:") and "qwen3-8b" in key
    variants = [
        fit_chart_key(build_answer(model, rig), "v2"),
        fit_chart_key(build_answer(model, rig, context=32768), "v1"),
        fit_chart_key(build_answer(model, rig, quant="Q8_0"), "v1"),
        fit_chart_key(build_answer(model, rig, runtime=Runtime.OLLAMA), "v1"),
        fit_chart_key(build_answer(model, rig, kv_cache="q8_0"), "v1"),
        fit_chart_key(build_answer(model, rig, concurrency=2), "v1"),
        fit_chart_key(build_answer(model, Rig(gpus=(GPUCount(rig.gpus[0].entry, 2),))), "v1"),
        fit_chart_key(build_answer(catalog.models["qwen3-14b"], rig), "v1"),
    ]
    assert len({key, *variants}) == len(variants) + 1


def test_fit_chart_key_defaults_to_the_bundled_catalog_version(catalog):
    answer = _answer(catalog, "qwen3-8b-3060")
    assert fit_chart_key(answer) == fit_chart_key(answer, catalog.version)


def test_gpu_chart_key():
    key = gpu_chart_key("nvidia-rtx-3090", 8192, Runtime.LLAMA_CPP, "abc")
    assert key == gpu_chart_key("nvidia-rtx-3090", 8192, "llama.cpp", "abc")
    others = {
        gpu_chart_key("nvidia-rtx-4090", 8192, Runtime.LLAMA_CPP, "abc"),
        gpu_chart_key("nvidia-rtx-3090", 32768, Runtime.LLAMA_CPP, "abc"),
        gpu_chart_key("nvidia-rtx-3090", 8192, Runtime.VLLM, "abc"),
        gpu_chart_key("nvidia-rtx-3090", 8192, Runtime.LLAMA_CPP, "def"),
        gpu_chart_key("nvidia-rtx-3090", 8192, Runtime.LLAMA_CPP, "abc", count=2),
    }
    assert key not in others and len(others) == 5


# ----- the CLI writes them ----------------------------------------------------------------------------


def test_cli_writes_charts(tmp_path):
    runner = CliRunner()
    fit = tmp_path / "fit.png"
    result = runner.invoke(app, ["ask", "llama 3.3 70b on 2x 3090", "--chart", str(fit)])
    assert result.exit_code == 0, result.output
    _check_png(fit.read_bytes())
    gpu = tmp_path / "gpu.png"
    result = runner.invoke(app, ["gpu", "3090", "--chart", str(gpu)])
    assert result.exit_code == 0, result.output
    _check_png(gpu.read_bytes())
