"""The estimator: one model, one format, one context, on one setup, under one engine.

Each engine is modelled the way it actually allocates (see the module docstrings of ``kv``,
``compute`` and ``placement``); this module combines those pieces, places them on devices, and
turns the result into a verdict. Search helpers (max context, best quant) reuse the same
functions, so every number the product prints comes from one code path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from fitmygpu.architecture import Architecture
from fitmygpu.estimator import compute as cmp
from fitmygpu.estimator import constants as K
from fitmygpu.estimator.kv import (
    KVProfile,
    KVType,
    dynamic_cache_kv,
    kv_profile,
    llama_cpp_cells,
    llama_cpp_layer_kv,
    resolve_kv,
    vllm_request_kv,
)
from fitmygpu.estimator.placement import ranges, split_layers
from fitmygpu.estimator.speed import active_fraction_bytes, decode_rate, prompt_rate
from fitmygpu.estimator.types import (
    Backend,
    Device,
    DeviceUse,
    Estimate,
    Offload,
    Options,
    Runtime,
    Setup,
    Verdict,
)
from fitmygpu.quant.formats import (
    MLX_FORMATS,
    FormatKind,
    WeightPlan,
    format_kind,
    normalize_quant,
    weight_plan,
)

TIGHT_FRACTION = 0.10

# Which weight formats each engine loads. GGUF presets run on llama.cpp/Ollama; vLLM's GGUF loader
# is experimental and not sized here.
_SIXTEEN_BIT = frozenset({"BF16", "FP16", "FP32", "F16", "F32"})
_VLLM_FORMATS = frozenset(
    {"BF16", "FP16", "FP32", "FP8", "INT8", "GPTQ-INT4", "GPTQ-INT8", "AWQ", "NF4", "MXFP4", "NVFP4"}
)
_TRANSFORMERS_FORMATS = _VLLM_FORMATS - {"NVFP4"}


class EstimateError(ValueError):
    """A request no engine would accept (wrong format for the runtime, vLLM on a Mac...)."""


# ----- shared helpers ---------------------------------------------------------------------------


def apple_working_set(memory_bytes: int) -> int:
    """macOS's default GPU working-set limit (recommendedMaxWorkingSetSize)."""
    frac = K.APPLE_SMALL_FRACTION if memory_bytes <= K.APPLE_SMALL_RAM else K.APPLE_LARGE_FRACTION
    return int(memory_bytes * frac)


def usable_memory(dev: Device, setup: Setup, index: int) -> int:
    """What the engine may use on a device before its own reserve."""
    if dev.backend == Backend.METAL:
        return setup.metal_limit_bytes or apple_working_set(dev.memory_bytes)
    desktop = setup.desktop_reserve_bytes if index == 0 else 0
    return dev.memory_bytes - desktop


def verdict_for(headroom: int, usable: int) -> Verdict:
    if headroom < 0:
        return Verdict.NO_FIT
    return Verdict.TIGHT if headroom < TIGHT_FRACTION * usable else Verdict.FITS


def format_problem(quant: str, runtime: Runtime) -> str | None:
    """Why ``runtime`` cannot load ``quant`` (a canonical name), or None when it can."""
    if quant in _SIXTEEN_BIT:  # unquantized weights load everywhere
        return None
    if runtime.uses_gguf:
        if format_kind(quant) == FormatKind.GGUF:
            return None
        return (
            f"{runtime.value} runs GGUF files; {quant} is a safetensors format. Ask for a GGUF quant "
            "such as Q4_K_M, or use the vllm or transformers runtime."
        )
    if runtime == Runtime.MLX:
        if quant in MLX_FORMATS:
            return None
        return f"MLX runs its own formats (MLX-4BIT, MLX-8BIT) or BF16, not {quant}."
    if runtime == Runtime.VLLM:
        if quant in _VLLM_FORMATS:
            return None
        return f"vLLM loads BF16, FP8, INT8, AWQ, GPTQ, NF4, MXFP4 or NVFP4 checkpoints, not {quant}."
    if quant in _TRANSFORMERS_FORMATS:
        return None
    return f"Transformers loads BF16, FP8, GPTQ, AWQ, bitsandbytes or MXFP4, not {quant}."


def runs_on(quant: str, runtime: Runtime) -> bool:
    return format_problem(quant, runtime) is None


def check_format(quant: str, runtime: Runtime) -> None:
    problem = format_problem(quant, runtime)
    if problem:
        raise EstimateError(problem)


@lru_cache(maxsize=1024)
def _profile(arch: Architecture, k: KVType, v: KVType, state_bytes: int) -> KVProfile:
    return kv_profile(arch, k, v, state_bytes)


def ollama_default_context(setup: Setup) -> int:
    """Ollama's VRAM-tiered default num_ctx (server/routes.go, 2026-01)."""
    total = setup.total_memory_bytes
    for threshold, ctx in K.OLLAMA_CONTEXT_TIERS:
        if total >= threshold:
            return ctx
    return K.OLLAMA_DEFAULT_CONTEXT


@dataclass
class _Use:
    """Memory on one device while a placement is being evaluated."""

    device: Device
    usable: int
    reserve: int
    weights: int = 0
    kv: int = 0
    compute: int = 0
    layers: int = 0
    read_bytes: int = 0  # bytes read per decoded token on this device

    @property
    def total(self) -> int:
        return self.weights + self.kv + self.compute + self.reserve

    @property
    def headroom(self) -> int:
        return self.usable - self.total

    def out(self) -> DeviceUse:
        return DeviceUse(
            name=self.device.name,
            weights_bytes=self.weights,
            kv_bytes=self.kv,
            compute_bytes=self.compute,
            reserve_bytes=self.reserve,
            usable_bytes=self.usable,
            layers=self.layers,
        )


@dataclass
class _Result:
    uses: list[_Use]
    verdict: Verdict
    offload: Offload | None = None
    cpu_read_bytes: int = 0
    notes: list[str] = field(default_factory=list)
    max_concurrency: int | None = None
    kv_override: int | None = None  # vLLM reports the KV the requests need, not the whole pool
    need_bytes: int | None = None  # the whole need with every layer on the GPUs (offload rows)


# ----- llama.cpp / Ollama -------------------------------------------------------------------------


class _LlamaCpp:
    """llama.cpp's allocation for one (model, quant, options, setup); evaluated at any context."""

    def __init__(
        self,
        arch: Architecture,
        plan: WeightPlan,
        opts: Options,
        setup: Setup,
        k: KVType,
        v: KVType,
        fa: bool,
    ) -> None:
        self.arch, self.plan, self.opts, self.setup, self.fa = arch, plan, opts, setup, fa
        self.profile = _profile(arch, k, v, 4)
        ollama = opts.runtime == Runtime.OLLAMA
        self.reserves = []
        self.usables = []
        for i, d in enumerate(setup.devices):
            base = K.METAL_RESERVE if d.backend == Backend.METAL else K.LLAMA_CPP_CUDA_RESERVE
            self.reserves.append(base + (K.FIT_MARGIN if ollama else 0))
            self.usables.append(usable_memory(d, setup, i))
        # The output matrix lives on a GPU; tied embeddings are duplicated there (engine-notes.md).
        self.output_bytes = (plan.output_bytes or plan.token_embd_bytes) + plan.other_bytes
        read = [
            active_fraction_bytes(lb, eb, arch)
            for lb, eb in zip(plan.layer_bytes, plan.expert_bytes, strict=True)
        ]
        # Prefix sums, so a layer range costs O(1) during the offload searches.
        self.w = _prefix(plan.layer_bytes)
        self.e = _prefix(plan.expert_bytes)
        self.r = _prefix(read)
        # Bytes of the routed experts read per token (what --n-cpu-moe moves to RAM reads).
        self.er = _prefix(
            [r - (lb - eb) for r, lb, eb in zip(read, plan.layer_bytes, plan.expert_bytes, strict=True)]
        )
        self._kv: dict[int, list[int]] = {}

    def _kv_prefix(self, context: int) -> list[int]:
        if context not in self._kv:
            o = self.opts
            layer_kv = llama_cpp_layer_kv(self.profile, context, o.concurrency, o.ubatch, o.swa_full)
            self._kv[context] = _prefix(layer_kv)
        return self._kv[context]

    def place(self, context: int, gpu_layers: int, cpu_moe: int) -> _Result:
        arch, plan, opts = self.arch, self.plan, self.opts
        n = arch.num_layers
        devices = self.setup.devices
        seqs = opts.concurrency
        kv = self._kv_prefix(context)
        cells = llama_cpp_cells(context, seqs)
        uses = [_Use(d, u, r) for d, u, r in zip(devices, self.usables, self.reserves, strict=True)]
        first_gpu = n - gpu_layers
        full_offload = gpu_layers == n
        if len(uses) == 1:
            counts, out_dev = [gpu_layers], (0 if full_offload else None)
        else:
            counts, out_dev = split_layers(gpu_layers, [u.usable - u.reserve for u in uses], full_offload)
        w, e, r, er = self.w, self.e, self.r, self.er
        moe_end = min(cpu_moe, n)
        cpu_weights = plan.token_embd_bytes + w[first_gpu] + max(e[moe_end] - e[first_gpu], 0)
        cpu_kv = kv[first_gpu]
        cpu_read = r[first_gpu] + max(er[moe_end] - er[first_gpu], 0)
        for use, rng in zip(uses, ranges(counts, first_gpu), strict=True):
            lo, hi = rng.start, rng.stop
            use.layers = hi - lo
            moved_lo, moved_hi = min(lo, moe_end), min(hi, moe_end)
            use.weights = w[hi] - w[lo] - (e[moved_hi] - e[moved_lo])
            use.kv = kv[hi] - kv[lo]
            use.read_bytes = r[hi] - r[lo] - (er[moved_hi] - er[moved_lo]) + use.kv // seqs
        out_use = uses[out_dev] if out_dev is not None else None
        if out_use is not None:
            out_use.weights += self.output_bytes
            out_use.read_bytes += self.output_bytes
        else:
            cpu_weights += self.output_bytes
            cpu_read += self.output_bytes
        copies = K.LLAMA_CPP_PIPELINE_COPIES if full_offload and sum(1 for u in uses if u.layers) > 1 else 1
        for use in uses:
            if not use.layers and use is not out_use:
                continue
            if use is out_use:
                use.compute = cmp.llama_cpp_compute(arch, cells, opts.ubatch, self.fa, opts.swa_full, seqs)
            else:
                use.compute = cmp.llama_cpp_layer_compute(
                    arch, cells, opts.ubatch, self.fa, opts.swa_full, seqs
                )
            use.compute *= copies
        on_cpu = first_gpu > 0 or cpu_moe > 0
        worst = min(uses, key=lambda u: u.headroom / max(u.usable, 1))
        verdict = verdict_for(worst.headroom, worst.usable)
        result = _Result(uses=uses, verdict=verdict, cpu_read_bytes=cpu_read)
        if on_cpu:
            ram = cpu_weights + cpu_kv + cmp.llama_cpp_host_compute(arch, opts.ubatch)
            fits_ram = None if self.setup.system_ram_bytes is None else ram <= self.setup.system_ram_bytes
            result.offload = Offload(
                gpu_layers=gpu_layers,
                total_layers=n,
                cpu_moe_layers=cpu_moe,
                ram_bytes=ram,
                fits_ram=fits_ram,
            )
            gpu_ok = verdict != Verdict.NO_FIT
            result.verdict = Verdict.OFFLOAD if gpu_ok and fits_ram is not False else Verdict.NO_FIT
        if copies > 1:
            result.notes.append(
                f"Several GPUs: llama.cpp pipelines {copies} graph copies, multiplying compute buffers."
            )
        return result

    def fits_on_gpu(self, context: int) -> bool:
        return self.place(context, self.arch.num_layers, 0).verdict in (Verdict.FITS, Verdict.TIGHT)

    def solve(self, context: int) -> _Result:
        """Everything on the GPUs if it fits; else experts to RAM (MoE), else fewer layers."""
        n = self.arch.num_layers
        full = self.place(context, n, 0)
        if full.verdict != Verdict.NO_FIT or self.setup.apple:
            if full.verdict == Verdict.NO_FIT and self.setup.apple:
                full.notes.append(
                    "macOS caps GPU memory at its working-set limit; raising it with "
                    "`sudo sysctl iogpu.wired_limit_mb=N` can make more room."
                )
            return full
        if self.arch.moe is not None:
            lo, hi = 1, n
            if self._gpu_fits(self.place(context, n, hi)):
                while lo < hi:
                    mid = (lo + hi) // 2
                    if self._gpu_fits(self.place(context, n, mid)):
                        hi = mid
                    else:
                        lo = mid + 1
                res = self.place(context, n, lo)
                res.need_bytes = sum(u.total for u in full.uses)
                res.notes.append(
                    f"Fits with the expert tensors of {lo} of {n} layers in system RAM "
                    f"(llama.cpp --n-cpu-moe {lo})."
                )
                return res
        lo, hi = 0, n - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self._gpu_fits(self.place(context, mid, 0)):
                lo = mid
            else:
                hi = mid - 1
        res = self.place(context, lo, 0)
        res.need_bytes = sum(u.total for u in full.uses)
        res.notes.append(f"Partial offload: {lo} of {n} layers on the GPU (llama.cpp -ngl {lo}).")
        return res

    @staticmethod
    def _gpu_fits(r: _Result) -> bool:
        return all(u.headroom >= 0 for u in r.uses)


def _prefix(values: list[int] | tuple[int, ...]) -> list[int]:
    out = [0]
    for v in values:
        out.append(out[-1] + v)
    return out


# ----- vLLM -----------------------------------------------------------------------------------------


def _kv_split(arch: Architecture, tp: int) -> int:
    """How many ways vLLM splits a request's KV across tensor-parallel ranks: by KV heads up to
    their count (replicated past that); MLA's single latent is replicated on every rank."""
    return 1 if arch.mla is not None else min(tp, arch.num_kv_heads)


def _vllm(arch: Architecture, plan: WeightPlan, opts: Options, setup: Setup, kv: KVType) -> _Result:
    tp = len(setup.devices)
    notes: list[str] = []
    ok = arch.num_attention_heads % tp == 0
    if not ok:
        notes.append(
            f"vLLM needs the {arch.num_attention_heads} attention heads to divide by the "
            f"tensor-parallel size {tp}; it will refuse to start."
        )
    util = opts.gpu_memory_utilization
    smallest = min(setup.devices, key=lambda d: d.memory_bytes)
    batched = (
        K.VLLM_BATCHED_TOKENS_LARGE
        if smallest.memory_bytes >= K.VLLM_LARGE_GPU
        else K.VLLM_BATCHED_TOKENS_SMALL
    )
    usable = int(smallest.memory_bytes * util)
    weights = plan.total_bytes // tp
    act, overhead = cmp.vllm_overheads(arch, batched, tp)
    profile = _profile(arch, kv, kv, 2)
    per_request = vllm_request_kv(profile, opts.context, batched)
    per_request //= _kv_split(arch, tp)
    need = per_request * opts.concurrency
    capacity = usable - weights - act - overhead
    uses = []
    for d in setup.devices:
        u = _Use(d, usable, 0, weights=weights, kv=need, compute=act + overhead, layers=arch.num_layers)
        u.read_bytes = (
            sum(
                active_fraction_bytes(lb, eb, arch)
                for lb, eb in zip(plan.layer_bytes, plan.expert_bytes, strict=True)
            )
            + plan.output_bytes
        ) // tp
        u.read_bytes += need // opts.concurrency
        uses.append(u)
    max_conc = max(capacity // per_request, 0) if per_request else None
    if capacity <= 0:
        notes.append("vLLM would stop with 'No available memory for the cache blocks'.")
        verdict = Verdict.NO_FIT
    elif need > capacity:
        max_len = _vllm_max_len(profile, capacity, batched, arch, tp)
        notes.append(
            f"vLLM's KV pool holds {capacity / K.GIB:.1f} GiB; one request at this context needs more. "
            f"It would suggest --max-model-len {max_len}."
        )
        verdict = Verdict.NO_FIT
    else:
        verdict = verdict_for(capacity - need, usable) if ok else Verdict.NO_FIT
    if setup.desktop_reserve_bytes:
        notes.append(
            "vLLM's gpu_memory_utilization is a share of total memory; a desktop on the "
            "first GPU may leave too little free for it to start."
        )
    notes.append(f"vLLM claims {util:.0%} of each GPU up front and fills what is left with KV cache.")
    return _Result(uses=uses, verdict=verdict, notes=notes, max_concurrency=max_conc, kv_override=need * tp)


def _vllm_max_len(profile: KVProfile, capacity: int, batched: int, arch: Architecture, tp: int) -> int:
    lo, hi = 0, 1 << 22
    div = _kv_split(arch, tp)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if vllm_request_kv(profile, mid, batched) // div <= capacity:
            lo = mid
        else:
            hi = mid - 1
    return lo


# ----- Transformers and MLX ------------------------------------------------------------------------


def _dense_engine(arch: Architecture, plan: WeightPlan, opts: Options, setup: Setup, kv: KVType) -> _Result:
    """Transformers (device_map="auto") and mlx_lm: everything resident, KV grown per token."""
    mlx = opts.runtime == Runtime.MLX
    profile = _profile(arch, kv, kv, 2)
    kv_bytes = dynamic_cache_kv(profile, opts.context, opts.concurrency, K.MLX_KV_STEP if mlx else 1)
    peak = (cmp.mlx_peak if mlx else cmp.transformers_peak)(arch, opts.context)
    counts, _ = split_layers(arch.num_layers, [d.memory_bytes for d in setup.devices])
    uses = []
    lo = 0
    for i, (d, c) in enumerate(zip(setup.devices, counts, strict=True)):
        reserve = 0 if mlx else K.TORCH_CUDA_CONTEXT
        u = _Use(d, usable_memory(d, setup, i), reserve, layers=c)
        share = c / arch.num_layers
        u.weights = sum(plan.layer_bytes[lo : lo + c])
        u.kv = int(kv_bytes * share)
        u.read_bytes = (
            sum(
                active_fraction_bytes(lb, eb, arch)
                for lb, eb in zip(plan.layer_bytes[lo : lo + c], plan.expert_bytes[lo : lo + c], strict=True)
            )
            + u.kv // opts.concurrency
        )
        lo += c
        uses.append(u)
    head, tail = uses[0], uses[-1]
    head.weights += plan.token_embd_bytes
    tail.weights += plan.output_bytes + plan.other_bytes
    tail.read_bytes += plan.output_bytes
    head.compute = peak
    worst = min(uses, key=lambda u: u.headroom / max(u.usable, 1))
    verdict = verdict_for(worst.headroom, worst.usable)
    notes = []
    if verdict == Verdict.NO_FIT and not mlx and setup.system_ram_bytes:
        overflow = sum(max(-u.headroom, 0) for u in uses)
        if overflow <= setup.system_ram_bytes:
            verdict = Verdict.OFFLOAD
            notes.append(
                f"accelerate can place {overflow / K.GIB:.1f} GiB of layers in system RAM "
                '(device_map="auto"), at a large speed cost.'
            )
    return _Result(uses=uses, verdict=verdict, notes=notes)


# ----- public API ---------------------------------------------------------------------------------------


def _engine_setup(
    arch: Architecture, opts: Options, setup: Setup
) -> tuple[str, KVType, KVType, bool, list[str]]:
    quant = normalize_quant(opts.quant)
    check_format(quant, opts.runtime)
    if opts.runtime == Runtime.MLX and not setup.apple:
        raise EstimateError("MLX runs on Apple silicon only.")
    if opts.runtime == Runtime.VLLM and setup.apple:
        raise EstimateError("vLLM needs NVIDIA or AMD GPUs; on a Mac use llama.cpp, Ollama or MLX.")
    notes: list[str] = []
    k = v = resolve_kv(opts.kv_cache, opts.runtime)
    fa = True if opts.flash_attn is None else opts.flash_attn
    if opts.runtime.uses_gguf and k.quantized and not fa:
        fa = True
        notes.append("A quantized KV cache needs flash attention in llama.cpp; assumed on.")
    return quant, k, v, fa, notes


def _run(arch: Architecture, opts: Options, setup: Setup, *, gpu_only: bool = False) -> tuple[_Result, tuple]:
    """One engine's allocation. ``gpu_only``: everything on the GPUs, no offload search."""
    quant, k, v, fa, notes = _engine_setup(arch, opts, setup)
    plan = weight_plan(arch, quant)
    if opts.runtime.uses_gguf:
        engine = _LlamaCpp(arch, plan, opts, setup, k, v, fa)
        res = engine.place(opts.context, arch.num_layers, 0) if gpu_only else engine.solve(opts.context)
    elif opts.runtime == Runtime.VLLM:
        res = _vllm(arch, plan, opts, setup, k)
    else:
        res = _dense_engine(arch, plan, opts, setup, k)
    return res, (quant, k, fa, notes)


def estimate(arch: Architecture, opts: Options, setup: Setup) -> Estimate:
    """The memory an engine needs for this request, where it goes, and whether it fits."""
    res, (quant, k, fa, notes) = _run(arch, opts, setup)
    return _to_estimate(arch, opts, quant, k, fa, res, notes)


def _to_estimate(
    arch: Architecture, opts: Options, quant: str, k: KVType, fa: bool, res: _Result, notes: list[str]
) -> Estimate:
    uses = res.uses
    weights = sum(u.weights for u in uses)
    kv = res.kv_override if res.kv_override is not None else sum(u.kv for u in uses)
    compute = sum(u.compute for u in uses)
    reserve = sum(u.reserve for u in uses)
    usable = sum(u.usable for u in uses)
    total = weights + kv + compute + reserve
    parts: list[tuple[int, Device | None]] = [(u.read_bytes, u.device) for u in uses]
    parts.append((res.cpu_read_bytes, None))
    eff = K.VLLM_DECODE_EFFICIENCY if opts.runtime == Runtime.VLLM else None
    if opts.runtime == Runtime.VLLM:  # tensor parallel: devices read their shards at once
        parts = [(uses[0].read_bytes, uses[0].device)]
    decode = decode_rate(parts, eff) if res.verdict.runs else None
    active_devices = [u.device for u in uses if u.layers]
    prompt = prompt_rate(arch, active_devices) if res.verdict.runs else None
    extra: list[str] = []
    if opts.runtime == Runtime.VLLM and prompt:
        prompt *= len(uses)
    if opts.runtime == Runtime.VLLM and len(uses) > 1 and decode:
        extra.append("Tokens/s under tensor parallel is an upper bound: all-reduce latency is not modelled.")
    return Estimate(
        context=opts.context,
        quant=quant,
        runtime=opts.runtime,
        kv_cache=k.name,
        flash_attn=fa,
        concurrency=opts.concurrency,
        weights_bytes=weights,
        kv_bytes=kv,
        compute_bytes=compute,
        reserve_bytes=reserve,
        total_bytes=total,
        need_bytes=res.need_bytes if res.need_bytes is not None else total,
        usable_bytes=usable,
        verdict=res.verdict,
        devices=[u.out() for u in uses],
        offload=res.offload,
        max_concurrency=res.max_concurrency,
        decode_tokens_per_second=decode,
        prompt_tokens_per_second=prompt,
        notes=notes + res.notes + extra,
    )


def all_on_gpus(arch: Architecture, opts: Options, setup: Setup) -> list[DeviceUse]:
    """Per-device need with every layer on the GPUs, even where that does not fit.

    ``estimate`` reports the placement the engine would really run (for llama.cpp, an offloaded
    one whose GPU share never exceeds usable memory); charts and "how much would I need" answers
    want the whole need instead. Same placement code as ``max_context`` uses.
    """
    res, _ = _run(arch, opts, setup, gpu_only=True)
    return [u.out() for u in res.uses]


def fits_fully(arch: Architecture, opts: Options, setup: Setup) -> bool:
    """Whether the request runs entirely on the GPUs (fits or tight), without building a report."""
    return _run(arch, opts, setup, gpu_only=True)[0].verdict in (Verdict.FITS, Verdict.TIGHT)


def max_context(arch: Architecture, opts: Options, setup: Setup, window: int, step: int = 256) -> int | None:
    """The largest context (a multiple of ``step``, at most ``window``) that runs fully on the GPUs."""
    lo, hi = 0, window // step
    if hi == 0:
        return None
    if opts.runtime.uses_gguf:
        quant, k, v, fa, _ = _engine_setup(arch, opts, setup)
        engine = _LlamaCpp(arch, weight_plan(arch, quant), opts, setup, k, v, fa)

        def ok(c: int) -> bool:
            return engine.fits_on_gpu(c)
    else:

        def ok(c: int) -> bool:
            return fits_fully(arch, opts.model_copy(update={"context": c}), setup)

    if ok(hi * step):
        return hi * step
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if ok(mid * step):
            lo = mid
        else:
            hi = mid - 1
    return lo * step if lo else None


def best_quant(arch: Architecture, opts: Options, setup: Setup, ladder: tuple[str, ...]) -> str | None:
    """The largest format in ``ladder`` (ordered largest first) that runs fully on the GPUs."""
    for q in ladder:
        try:
            if fits_fully(arch, opts.model_copy(update={"quant": q}), setup):
                return q
        except EstimateError:
            continue
    return None
