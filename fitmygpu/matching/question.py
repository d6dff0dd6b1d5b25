"""Reading a whole question: the model, the rig, and the options people mention in passing.

Order matters. Options with their own vocabulary are read first and removed ("q8 kv cache" must
not become the weight quant; "32k" must not become a model size), then GPUs (anchored on model
numbers), then memory budgets and system RAM, and what is left is matched against model names.
Everything the parser assumed is reported back as a note, and everything it could not place is
reported as unrecognised, so a wrong guess is visible instead of silent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fitmygpu.catalog.loader import Catalog
from fitmygpu.estimator.types import Runtime
from fitmygpu.matching.gpus import GPUIndex, GPUMention
from fitmygpu.matching.models import STOPWORDS, ModelIndex, ModelMatch
from fitmygpu.matching.tokens import fold, is_memory, memory_gib, tokenize

MAX_QUESTION_CHARS = 2000

_MENTION = re.compile(r"<(@[!&]?|#|:\w+:)\d+>|@(everyone|here)")
# Markdown marks, but not underscores inside words ("q4_k_m").
_MARKDOWN = re.compile(r"[*~`>|\\]+|(?<![A-Za-z0-9])_+|_+(?![A-Za-z0-9])")
_URL = re.compile(r"https?://\S+")

_RUNTIMES: list[tuple[re.Pattern[str], Runtime, str | None]] = [
    (re.compile(r"\bv\s?llm\b"), Runtime.VLLM, None),
    (re.compile(r"\bllama[\s.\-_]?cpp\b|\bllama[\s\-]server\b"), Runtime.LLAMA_CPP, None),
    (re.compile(r"\bkobold\s?cpp\b"), Runtime.LLAMA_CPP, "KoboldCpp runs llama.cpp; sized as llama.cpp."),
    (
        re.compile(r"\blm\s?studio\b"),
        Runtime.LLAMA_CPP,
        "LM Studio runs llama.cpp for GGUF; sized as llama.cpp.",
    ),
    (re.compile(r"\bjan\b"), Runtime.LLAMA_CPP, None),
    (re.compile(r"\bollama\b"), Runtime.OLLAMA, None),
    (re.compile(r"\bmlx(?:[\s\-_]lm)?\b"), Runtime.MLX, None),
    (re.compile(r"\b(hf\s+)?transformers\b|\bhugging\s?face\b"), Runtime.TRANSFORMERS, None),
]
_UNSUPPORTED_RUNTIMES = re.compile(
    r"\b(exllama(v2|v3)?|exl2|exl3|tabbyapi|sglang|tensorrt|trt[\s\-]?llm|tgi)\b"
)

# KV cache phrases: "q8 kv", "kv cache q4_0", "8-bit kv cache", "fp8 kv", "kv q8".
_KV_TYPE = r"(f16|fp16|bf16|f32|fp8|q8_0|q8|q4_0|q4_1|q4|q5_0|q5_1|iq4_nl|8[\s\-]?bit|4[\s\-]?bit|int8|int4)"
_KV = [
    re.compile(rf"\b{_KV_TYPE}\s+(kv|k/?v)(\s+cache)?\b"),
    re.compile(rf"\b(kv|k/?v)(\s+cache)?(\s+(type|quant|at|in))?\s+{_KV_TYPE}\b"),
    re.compile(rf"\b{_KV_TYPE}\s+cache\b"),
]

# Weight formats, most specific first. Each maps to (GGUF name, checkpoint name).
_QUANTS: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"\b(i?q\d_[a-z0-9_]+|iq\d_?(xxs|xs|s|m|nl))\b"), "", ""),  # exact GGUF names
    (re.compile(r"\bmxfp4(_moe)?\b"), "MXFP4_MOE", "MXFP4"),
    (re.compile(r"\bnvfp4\b"), "Q4_K_M", "NVFP4"),
    (re.compile(r"\bawq\b"), "Q4_K_M", "AWQ"),
    (re.compile(r"\bgptq(?:[\s\-_]?int)?[\s\-_]?8(?:[\s\-_]?bit)?\b"), "Q8_0", "GPTQ-INT8"),
    (re.compile(r"\bgptq\b(?:[\s\-_]?(int)?4(?:[\s\-_]?bit)?)?"), "Q4_K_M", "GPTQ-INT4"),
    (re.compile(r"\b(bnb|bitsandbytes|nf4|qlora)\b"), "Q4_K_M", "NF4"),
    (re.compile(r"\bfp8\b|\bf8\b"), "Q8_0", "FP8"),
    (re.compile(r"\b(bf16|bfloat16)\b"), "BF16", "BF16"),
    (re.compile(r"\b(fp16|f16|float16|half precision|unquantized|full precision)\b"), "F16", "FP16"),
    (re.compile(r"\b(fp32|f32)\b"), "F32", "FP32"),
    (re.compile(r"\b(int8|8[\s\-]?bit|q8)\b"), "Q8_0", "INT8"),
    (re.compile(r"\b(q6|6[\s\-]?bit)\b"), "Q6_K", "BF16"),
    (re.compile(r"\b(q5|5[\s\-]?bit)\b"), "Q5_K_M", "BF16"),
    (re.compile(r"\b(int4|4[\s\-]?bit|q4)\b"), "Q4_K_M", "AWQ"),
    (re.compile(r"\b(q3|3[\s\-]?bit)\b"), "Q3_K_M", "AWQ"),
    (re.compile(r"\b(q2|2[\s\-]?bit)\b"), "Q2_K", "AWQ"),
]
_GGUF_NAMES = {
    "q4_k_m",
    "q4_k_s",
    "q5_k_m",
    "q5_k_s",
    "q6_k",
    "q8_0",
    "q3_k_m",
    "q3_k_s",
    "q3_k_l",
    "q2_k",
    "q2_k_s",
    "q4_0",
    "q4_1",
    "q5_0",
    "q5_1",
    "iq4_xs",
    "iq4_nl",
    "iq3_m",
    "iq3_s",
    "iq3_xs",
    "iq3_xxs",
    "iq2_m",
    "iq2_s",
    "iq2_xs",
    "iq2_xxs",
    "iq1_m",
    "iq1_s",
    "tq1_0",
    "tq2_0",
}

_CONTEXT = [
    re.compile(r"\b(\d+(?:\.\d+)?)\s?k\b(?:\s*(?:ctx|context|tokens?|token context|window))?"),
    re.compile(r"\b(\d+(?:\.\d+)?)\s?m\s+(?:ctx|context|tokens?)\b"),
    re.compile(r"\b(\d{3,7})\s*(?:ctx|context|tokens?|token context)\b"),
    re.compile(
        r"\b(?:ctx|context|n_ctx|num_ctx|context length|context size)\s*(?:of|=|:)?\s*"
        r"(\d{3,7}|\d+(?:\.\d+)?\s?k)\b"
    ),
]
_CONCURRENCY = re.compile(
    r"\b(\d{1,4})\s*(?:concurrent\s+)?(?:users|requests|sessions|parallel(?:\s+requests)?|concurrent|streams|clients)\b"
    r"|\b(?:batch(?:\s+size)?|concurrency|parallel)\s*(?:of|=|:)?\s*(\d{1,4})\b"
)
_RAM = re.compile(
    r"\b(\d{1,4})\s?(?:gb|gib|g)\s*(?:of\s+)?(?:system\s+|ddr\d\s+)?(?:ram|ddr\d|system memory|sys ram)\b"
)
_BUDGET = re.compile(
    r"\b(\d{1,4}(?:\.\d+)?)\s?(?:gb|gib|g)\b(?:\s*(?:of\s+)?(?:vram|video memory|gpu memory|gpu))?"
)


@dataclass
class Question:
    """Everything read from one question, with what was assumed and what was not understood."""

    text: str
    model: ModelMatch
    gpus: list[GPUMention] = field(default_factory=list)
    budget_gib: float | None = None  # "24gb" with no GPU named
    budget_count: int = 1
    ram_gib: float | None = None
    context: int | None = None
    quant: str | None = None  # normalised for the runtime
    quant_said: str | None = None
    kv_cache: str | None = None
    runtime: Runtime | None = None
    concurrency: int | None = None
    notes: list[str] = field(default_factory=list)
    gpu_unrecognised: str | None = None

    @property
    def has_setup(self) -> bool:
        return bool(self.gpus) or self.budget_gib is not None


def clean(text: str) -> str:
    """Harmless text: bounded length, no mentions, no markdown or links."""
    text = text[:MAX_QUESTION_CHARS]
    text = _MENTION.sub(" ", text)
    text = _URL.sub(" ", text)
    text = _MARKDOWN.sub(" ", text)
    return " ".join(text.split())


def _cut(text: str, m: re.Match[str]) -> str:
    return text[: m.start()] + " " * (m.end() - m.start()) + text[m.end() :]


class QuestionParser:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.models = ModelIndex(catalog.models)
        self.gpus = GPUIndex.build(catalog.gpus)

    def parse(self, raw: str) -> Question:
        text = clean(raw)
        low = fold(text)
        q = Question(text=text, model=None)  # type: ignore[arg-type]
        low = self._runtime(low, q)
        low = self._kv(low, q)
        low = self._context(low, q)
        low = self._concurrency(low, q)
        low = self._ram(low, q)
        low = self._quant(low, q)
        mentions, gpu_notes, used = self.gpus.find(low)
        tokens = tokenize(_gpu_text(low))
        q.gpus = mentions
        for m in mentions:
            q.notes.extend(m.notes)
        leftover = [t for i, t in enumerate(tokens) if i not in used]
        if not mentions:
            leftover = self._budget(leftover, q)
            if q.budget_gib is None:
                q.notes.extend(gpu_notes)
                q.gpu_unrecognised = _unrecognised_gpu(text)
        q.model = self.models.match([t for t in leftover if not is_memory(t)])
        self._finish_quant(q)
        return q

    # ----- option readers: each records what it found and blanks it out of the text ---------

    def _runtime(self, low: str, q: Question) -> str:
        for pattern, runtime, note in _RUNTIMES:
            m = pattern.search(low)
            if m:
                q.runtime = runtime
                if note:
                    q.notes.append(note)
                low = _cut(low, m)
                break
        m = _UNSUPPORTED_RUNTIMES.search(low)
        if m:
            q.notes.append(f"{m.group(0)} is not modelled yet; sized as llama.cpp instead.")
            low = _cut(low, m)
        return low

    def _kv(self, low: str, q: Question) -> str:
        for pattern in _KV:
            m = pattern.search(low)
            if m:
                kind = next(g for g in m.groups() if g and re.match(_KV_TYPE, g))
                q.kv_cache = re.sub(r"[\s\-]", "", kind).replace("8bit", "q8_0").replace("4bit", "q4_0")
                return _cut(low, m)
        return low

    def _context(self, low: str, q: Question) -> str:
        for i, pattern in enumerate(_CONTEXT):
            m = pattern.search(low)
            if not m:
                continue
            value = m.group(1).replace(" ", "")
            if i == 1:
                n = int(float(value) * 1024 * 1024)
            elif value.endswith("k"):
                n = int(float(value[:-1]) * 1024)
            elif i == 0:
                n = int(float(value) * 1024)
            else:
                n = int(value)
            if 128 <= n <= 16 * 1024 * 1024:
                q.context = n
                return _cut(low, m)
        return low

    def _concurrency(self, low: str, q: Question) -> str:
        m = _CONCURRENCY.search(low)
        if m:
            n = int(m.group(1) or m.group(2))
            if n >= 1:
                q.concurrency = n
                return _cut(low, m)
        return low

    def _ram(self, low: str, q: Question) -> str:
        m = _RAM.search(low)
        if m:
            q.ram_gib = float(m.group(1))
            return _cut(low, m)
        return low

    def _quant(self, low: str, q: Question) -> str:
        for pattern, gguf, ckpt in _QUANTS:
            m = pattern.search(low)
            if not m:
                continue
            said = m.group(0)
            if not gguf:  # an exact GGUF preset name
                name = said.replace("-", "_")
                if name not in _GGUF_NAMES:
                    continue
                q.quant_said, q.quant = said, name.upper()
            else:
                q.quant_said, q.quant = said, f"{gguf}|{ckpt}"
            return _cut(low, m)
        return low

    def _finish_quant(self, q: Question) -> None:
        """Generic quant words ("4-bit", "fp8") mean different files for different engines."""
        if q.quant and "|" in q.quant:
            gguf, ckpt = q.quant.split("|")
            runtime = q.runtime or Runtime.LLAMA_CPP
            if runtime.uses_gguf:
                q.quant = gguf
            elif runtime == Runtime.MLX:
                bits = {"Q8_0": "MLX-8BIT", "Q6_K": "MLX-6BIT"}.get(gguf, "MLX-4BIT")
                q.quant = "BF16" if gguf in ("BF16", "F16", "F32") else bits
            else:
                q.quant = ckpt
            if q.quant_said and q.quant.lower() != q.quant_said.lower():
                q.notes.append(f"Read {q.quant_said!r} as {q.quant} for {runtime.value}.")

    def _budget(self, tokens: list[str], q: Question) -> list[str]:
        """A bare memory size with no GPU named: "24gb", "8 gb of vram", "2x 24gb"."""
        for i, t in enumerate(tokens):
            if is_memory(t):
                q.budget_gib = memory_gib(t)
                if i and re.fullmatch(r"\d{1,2}x", tokens[i - 1]):
                    q.budget_count = int(tokens[i - 1][:-1])
                return tokens[:i] + tokens[i + 1 :]
        return tokens


def _gpu_text(low: str) -> str:
    from fitmygpu.matching.gpus import _MAC_PHRASE

    return _MAC_PHRASE.sub(" mac ", low)


_ON_MY = re.compile(
    r"\b(?:on|with|using|got|have)\s+(?:my|a|an|the|our|this)?\s*([a-z][\w\-\s]{1,40}?)(?:[?.!,]|$)", re.I
)


def _unrecognised_gpu(text: str) -> str | None:
    """The words after "on my ..." when no GPU was recognised, to say what we could not place."""
    m = _ON_MY.search(fold(text))
    if not m:
        return None
    words = [w for w in m.group(1).split() if w not in STOPWORDS]
    return " ".join(words) or None
