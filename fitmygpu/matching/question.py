"""Reading a whole question: the model, the rig, and the options people mention in passing.

Order matters. Options with their own vocabulary are read first and removed ("q8 kv cache" must
not become the weight quant; "32k" must not become a model size), then GPUs (anchored on model
numbers), then memory budgets and system RAM, and what is left is matched against model names.
Everything the parser assumed is reported back as a note, and everything it could not place is
reported as unrecognised, so a wrong guess is visible instead of silent.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from fitmygpu.catalog.loader import Catalog
from fitmygpu.estimator.kv import canonical_kv
from fitmygpu.estimator.types import Runtime
from fitmygpu.matching.gpus import GPUIndex, GPUMention, count_before
from fitmygpu.matching.models import STOPWORDS, ModelIndex, ModelMatch
from fitmygpu.matching.tokens import fold, is_memory, is_size, memory_gib, tokenize

MAX_QUESTION_CHARS = 2000  # longer messages keep their start and their end (the question is
# usually in one of them), so a pasted log cannot make parsing slow

_MENTION = re.compile(r"<(@[!&]?|#|:\w+:)\d+>|@(everyone|here)")
# Markdown marks, but not underscores inside words ("q4_k_m").
_MARKDOWN = re.compile(r"[*~`>|\\]+|(?<![A-Za-z0-9])_+|_+(?![A-Za-z0-9])")
_URL = re.compile(r"https?://\S+")
# Links to model pages keep their path: "huggingface.co/Qwen/Qwen2.5-7B-Instruct" names a model.
_MODEL_URL = re.compile(r"(?:https?://)?(?:www\.)?(?:huggingface\.co|hf\.co|ollama\.com)/(?:library/)?(\S+)")
_GIGS = re.compile(r"(\d+(?:\.\d+)?)\s*(?:gigs?|gigabytes?|gbs)\b")

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
    # Engine flags: llama.cpp "--cache-type-k q8_0" / "-ctk q8_0", vLLM "--kv-cache-dtype fp8".
    re.compile(
        rf"(?<![\w-])(?:--?cache[-_]type[-_][kv]|-ct[kv]|--?kv[-_]cache[-_](?:dtype|type))[\s=]+{_KV_TYPE}\b"
    ),
    re.compile(rf"\b{_KV_TYPE}\s+(kv|k/?v)(\s+cache)?\b"),
    re.compile(rf"\b(kv|k/?v)(\s+cache)?(\s+(type|quant|at|in))?\s+{_KV_TYPE}\b"),
    re.compile(rf"\b{_KV_TYPE}\s+cache\b"),
]

# Weight formats, most specific first. Each maps to (GGUF name, checkpoint name, checkpoint only):
# a format that only exists as a checkpoint (AWQ, GPTQ, FP8, bitsandbytes) keeps its own name when
# no runtime is said, and the answer then picks an engine that loads it.
_QUANTS: list[tuple[re.Pattern[str], str, str, bool]] = [
    (re.compile(r"\b(i?q\d_[a-z0-9_]+|iq\d_?(xxs|xs|s|m|nl))\b"), "", "", False),  # exact GGUF names
    (re.compile(r"\bmxfp4(_moe)?\b"), "MXFP4_MOE", "MXFP4", False),
    (re.compile(r"\bnvfp4\b"), "Q4_K_M", "NVFP4", True),
    (re.compile(r"\bawq\b"), "Q4_K_M", "AWQ", True),
    (re.compile(r"\bgptq(?:[\s\-_]?int)?[\s\-_]?8(?:[\s\-_]?bit)?\b"), "Q8_0", "GPTQ-INT8", True),
    (re.compile(r"\bgptq\b(?:[\s\-_]?(int)?4(?:[\s\-_]?bit)?)?"), "Q4_K_M", "GPTQ-INT4", True),
    (re.compile(r"\b(bnb|bitsandbytes|nf4|qlora)\b"), "Q4_K_M", "NF4", True),
    (re.compile(r"\bfp8\b|\bf8\b"), "Q8_0", "FP8", True),
    (re.compile(r"\b(bf16|bfloat16)\b"), "BF16", "BF16", False),
    (
        re.compile(r"\b(fp16|f16|float16|half precision|unquantized|unquantised|full precision)\b"),
        "F16",
        "FP16",
        False,
    ),
    (re.compile(r"\b(fp32|f32)\b"), "F32", "FP32", False),
    (re.compile(r"\b(int8|8[\s\-]?bit|q8)\b"), "Q8_0", "INT8", False),
    (re.compile(r"\b(q6|6[\s\-]?bit)\b"), "Q6_K", "BF16", False),
    (re.compile(r"\b(q5|5[\s\-]?bit)\b"), "Q5_K_M", "BF16", False),
    (re.compile(r"\b(int4|4[\s\-]?bit|q4)\b"), "Q4_K_M", "AWQ", False),
    (re.compile(r"\b(q3|3[\s\-]?bit)\b"), "Q3_K_M", "AWQ", False),
    (re.compile(r"\b(q2|2[\s\-]?bit)\b"), "Q2_K", "AWQ", False),
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

# (pattern, unit): "k" thousands ("32k"), "m" millions ("1m context"), "n" a plain number.
_CONTEXT: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"(?<![\w-])(?:-c|--ctx[-_]size|--context[-_](?:size|length)|--max[-_]model[-_]len|"
            r"--n[-_]ctx|--num[-_]ctx|max_model_len|n_ctx|num_ctx)[\s=:]+(\d{3,7})\b"
        ),
        "n",
    ),
    (
        re.compile(r"\b(\d+(?:\.\d+)?)\s?k\b(\s*(?:ctx|context|tokens?|token context|window))?"),
        "k",
    ),
    (re.compile(r"\b(\d+(?:\.\d+)?)\s?m\s+(?:ctx|context|tokens?)\b"), "m"),
    (
        re.compile(
            r"\b(?:ctx|context|context length|context size|context window)\s*(?:of|=|:)?\s*"
            r"(\d{3,7}|\d+(?:\.\d+)?\s?k)\b"
        ),
        "n",
    ),
    (re.compile(r"\b(\d{3,7})\s*(?:ctx|context|tokens?|token context)\b"), "n"),
]
_CONCURRENCY = re.compile(
    r"\b(\d{1,4})\s*(?:concurrent\s+|simultaneous\s+|parallel\s+)?"
    r"(?:users|people|requests|sessions|parallel(?:\s+requests)?|concurrent|streams|clients|seqs|sequences)\b"
    r"|\b(?:batch(?:\s+size)?|concurrency|parallel)\s*(?:of|=|:)?\s*(\d{1,4})\b"
)
_RAM = re.compile(
    r"\b(\d{1,4})\s?(?:gb|gib|g)\s*(?:of\s+)?(?:system\s+|ddr\d\s+)?(?:ram|ddr\d|system memory|sys ram)\b"
)
_BUDGET = re.compile(
    r"\b(\d{1,4}(?:\.\d+)?)\s?(?:gb|gib|g)\b(?:\s*(?:of\s+)?(?:vram|video memory|gpu memory|gpu))?"
)


# Cheap substring checks that must pass before a pattern is worth running: on a 2,000-character
# paste, forty regex scans cost milliseconds; a missing keyword costs a microsecond.
_HINTS: dict[re.Pattern[str], tuple[str, ...]] = {
    _UNSUPPORTED_RUNTIMES: ("exl", "tabby", "sglang", "tensorrt", "trt", "tgi"),
    _CONCURRENCY: (
        "user",
        "people",
        "request",
        "session",
        "parallel",
        "concurren",
        "stream",
        "client",
        "seq",
        "batch",
        "simultaneous",
    ),
    _RAM: ("ram", "ddr", "memory"),
    _CONTEXT[0][0]: ("-c", "ctx", "model-len", "model_len"),
    _CONTEXT[2][0]: ("m ",),
    _CONTEXT[3][0]: ("ctx", "context"),
    **{p: ("kv", "k/v", "cache", "-ct") for p in _KV},
}
for _pattern, _words in zip(
    (p for p, _, _ in _RUNTIMES),
    [
        ("llm",),
        ("cpp", "server"),
        ("kobold",),
        ("studio",),
        ("jan",),
        ("ollama",),
        ("mlx",),
        ("transformers", "hugging"),
    ],
    strict=True,
):
    _HINTS[_pattern] = _words
for _pattern, _words in zip(
    (p for p, _, _, _ in _QUANTS),
    [
        ("q",),
        ("mxfp",),
        ("nvfp",),
        ("awq",),
        ("gptq",),
        ("gptq",),
        ("bnb", "bitsandbytes", "nf4", "qlora"),
        ("fp8", "f8"),
        ("bf16", "bfloat"),
        ("f16", "fp16", "float16", "half", "unquant", "precision"),
        ("f32", "fp32"),
        ("int8", "bit", "q8"),
        ("q6", "bit"),
        ("q5", "bit"),
        ("int4", "bit", "q4"),
        ("q3", "bit"),
        ("q2", "bit"),
    ],
    strict=True,
):
    _HINTS[_pattern] = _words


def _worth(pattern: re.Pattern[str], low: str) -> bool:
    hints = _HINTS.get(pattern)
    return hints is None or any(h in low for h in hints)


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
    quant_checkpoint_only: bool = False
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
    if len(text) > MAX_QUESTION_CHARS:
        half = MAX_QUESTION_CHARS // 2
        text = text[:half] + "\n" + text[-half:]
    text = _MENTION.sub(" ", text)
    text = _MODEL_URL.sub(lambda m: " " + m.group(1).replace("/", " ") + " ", text)
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
        # "mini 128k", "medium 4k": context-looking tokens that are part of model names.
        # "phi 4", "gemma 3": numbers that belong to a model name, not a GPU count.
        self._k_bigrams: set[tuple[str, str]] = set()
        blockers: set[tuple[str, str]] = set()
        for m in catalog.models.values():
            for name in (m.name, *m.aliases):
                toks = tokenize(name)
                for a, b in itertools.pairwise(toks):
                    if re.fullmatch(r"\d+k", b):
                        self._k_bigrams.add((a, b))
                    if b.isdigit() and len(b) <= 2:
                        blockers.add((a, b))
        self.gpus.count_blockers = frozenset(blockers)

    def parse(self, raw: str) -> Question:
        text = clean(raw)
        low = fold(text)
        if "gig" in low:
            low = _GIGS.sub(r"\1gb", low)
        q = Question(text=text, model=None)  # type: ignore[arg-type]
        low = self._runtime(low, q)
        low = self._kv(low, q)
        low = self._context(low, q)
        low = self._concurrency(low, q)
        low = self._ram(low, q)
        low = self._quant(low, q)
        tokens = self.gpus.tokens(low)
        mentions, gpu_notes, used = self.gpus.find_tokens(tokens)
        q.gpus = mentions
        for m in mentions:
            q.notes.extend(m.notes)
        leftover = [t for i, t in enumerate(tokens) if i not in used and not _device_size(tokens, i)]
        q.model = self.models.match([t for t in leftover if not is_memory(t)])
        if not mentions:
            self._budget(leftover, q, q.model.matched_tokens)
        if not q.has_setup:
            q.notes.extend(gpu_notes)
            q.gpu_unrecognised = _unrecognised_gpu(low, q.model.matched_tokens)
        self._finish_quant(q)
        return q

    # ----- option readers: each records what it found and blanks it out of the text ---------

    def _runtime(self, low: str, q: Question) -> str:
        for pattern, runtime, note in _RUNTIMES:
            m = pattern.search(low) if _worth(pattern, low) else None
            if m:
                q.runtime = runtime
                if note:
                    q.notes.append(note)
                low = _cut(low, m)
                break
        m = _UNSUPPORTED_RUNTIMES.search(low) if _worth(_UNSUPPORTED_RUNTIMES, low) else None
        if m:
            q.notes.append(f"{m.group(0)} is not modelled yet; sized as llama.cpp instead.")
            low = _cut(low, m)
        return low

    def _kv(self, low: str, q: Question) -> str:
        for pattern in _KV:
            if not _worth(pattern, low):
                continue
            for m in list(pattern.finditer(low)):  # both "--cache-type-k" and "--cache-type-v"
                kind = next(g for g in m.groups() if g and re.match(_KV_TYPE, g))
                kind = re.sub(r"[\s\-]", "", kind)
                if q.kv_cache is None:
                    q.kv_cache = canonical_kv(kind)
                low = _cut(low, m)
        return low

    def _context(self, low: str, q: Question) -> str:
        for pattern, unit in _CONTEXT:
            if not _worth(pattern, low):
                continue
            for m in pattern.finditer(low):
                value = m.group(1).replace(" ", "")
                if unit == "k" and not m.group(2) and self._names_a_model(low, m):
                    continue  # "phi 3 mini 128k" is a model, not a context
                if unit == "n" and value in self.gpus.by_anchor:
                    continue  # "a 3090 context of 32000": the 3090 is the card
                if unit == "m":
                    n = int(float(value) * 1024 * 1024)
                elif unit == "k" or value.endswith("k"):
                    n = int(float(value.rstrip("k")) * 1024)
                else:
                    n = int(value)
                if 128 <= n <= 16 * 1024 * 1024:
                    q.context = n
                    return _cut(low, m)
        return low

    def _names_a_model(self, low: str, m: re.Match[str]) -> bool:
        """Whether "<word> 128k" at ``m`` is part of a model name ("mini 128k", "medium 4k")."""
        prev = _PREV_WORD.search(low, 0, m.start())
        tok = m.group(1).replace(" ", "") + "k"
        return bool(prev) and (prev.group(1), tok) in self._k_bigrams  # type: ignore[union-attr]

    def _concurrency(self, low: str, q: Question) -> str:
        m = _CONCURRENCY.search(low) if _worth(_CONCURRENCY, low) else None
        if m:
            n = int(m.group(1) or m.group(2))
            if n >= 1:
                q.concurrency = n
                return _cut(low, m)
        return low

    def _ram(self, low: str, q: Question) -> str:
        m = _RAM.search(low) if _worth(_RAM, low) else None
        if m:
            q.ram_gib = float(m.group(1))
            return _cut(low, m)
        return low

    def _quant(self, low: str, q: Question) -> str:
        for pattern, gguf, ckpt, ckpt_only in _QUANTS:
            m = pattern.search(low) if _worth(pattern, low) else None
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
                q.quant_checkpoint_only = ckpt_only
            return _cut(low, m)
        return low

    def _finish_quant(self, q: Question) -> None:
        """Generic quant words ("4-bit", "fp8") mean different files for different engines."""
        if q.quant and "|" in q.quant:
            gguf, ckpt = q.quant.split("|")
            if q.runtime is None and q.quant_checkpoint_only:
                q.quant = ckpt  # "awq" alone: the answer picks an engine that loads AWQ
                return
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

    def _budget(self, tokens: list[str], q: Question, model_tokens: frozenset[str]) -> None:
        """A bare memory size with no GPU named: "24gb", "8 gb of vram", "2x 24gb" -- but not the
        memory of a device we do not know ("raspberry pi 5 8gb"), which is no VRAM budget."""
        for i, t in enumerate(tokens):
            if not is_memory(t):
                continue
            prev = tokens[i - 1] if i else ""
            nxt = tokens[i + 1 : i + 3]
            count, _ = count_before(tokens, i, bare=False)  # "2x 24gb", "two 24gb", "4 x 80gb"
            said_vram = bool(nxt) and (nxt[0] in _VRAM_WORDS or nxt[:2] == ["of", "vram"])
            free_standing = not prev or prev in STOPWORDS or prev in model_tokens or is_size(prev)
            if said_vram or free_standing or count:
                q.budget_gib = memory_gib(t)
                if count:
                    q.budget_count = count
                return


_DEVICE_AFTER = frozenset(["igpu", "apu", "npu"])
_DEVICE_BEFORE = frozenset(["radeon", "amd", "intel", "nvidia", "geforce", "arc", "iris", "adreno"])


def _device_size(tokens: list[str], i: int) -> bool:
    """A size-looking token that names a device, not a model: "radeon 780m", "890m igpu"."""
    if not is_size(tokens[i]):
        return False
    prev = tokens[i - 1] if i else ""
    nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
    return prev in _DEVICE_BEFORE or nxt in _DEVICE_AFTER


_PREV_WORD = re.compile(r"([a-z0-9.]+)[\s\-_]*$")
_VRAM_WORDS = frozenset(["vram", "gpu", "gpus", "card", "cards", "video", "graphics", "vr"])
# GPU-looking names the catalog lacks: "p40", "k80", "gtx 970", "radeon vii", "rtx 9090".
_GPU_LIKE = re.compile(
    r"\b(?:(?:rtx|gtx|rx|radeon|geforce|quadro|tesla|arc|instinct)\s+[a-z0-9][\w\-]*"
    r"|[pkm]\d{2,3}s?|gtx\d{3,4}|rtx\d{4}|mi\d{2,3}[a-z]?)\b"
)


_ON_MY = re.compile(
    r"\b(?:on|with|using|got|have|has|own|bought|rocking)\s+"
    r"(?:(?:my|a|an|the|our|this|his|her|their|some|old|new|used|spare|single|just)\s+)*"
    r"(?:\d{1,2}\s*x\s*|\d{1,2}\s+|dual\s+|two\s+|three\s+|four\s+|quad\s+|triple\s+)?"
    r"([a-z0-9][\w\-.]*(?:[ \t]+[\w\-.]+){0,2})"
)


def _unrecognised_gpu(low: str, model_tokens: frozenset[str]) -> str | None:
    """What we could not place when no GPU was recognised: a GPU-looking name ("p100"), or the
    words after "on my ..." ("toaster")."""
    g = _GPU_LIKE.search(low)
    if g:
        return g.group(0)
    for m in _ON_MY.finditer(low):
        words = []
        for w in m.group(1).split():
            toks = tokenize(w)
            if w in STOPWORDS or not toks or all(t in model_tokens or t in STOPWORDS for t in toks):
                continue
            words.append(w.strip(".-"))
        if words:
            return " ".join(words)
    return None
