"""Split clinic documents and FAQs into retrievable chunks (DESIGN.md §1, ``knowledge/``).

A document is split by Markdown heading, then by paragraph, then by sentence (and, for a
sentence longer than the budget, by word), so every chunk fits ``max_chars``. Consecutive
chunks of one section share a little text (``overlap_chars``) so a fact that straddles a
boundary is still found whole in one of them. Each chunk keeps its document title and the
nearest heading above it. An FAQ becomes exactly one chunk, ``"Q: ...\\nA: ..."``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from knowledge.models import SourceKind

DOCUMENT = SourceKind.DOCUMENT
FAQ = SourceKind.FAQ

_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9$*-])")
_BLANK = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class Chunk:
    """One retrievable passage.

    Attributes:
        source_kind: ``"document"`` or ``"faq"``.
        title: the document title, or the FAQ's question text.
        heading: the nearest Markdown heading above the passage (None at top level / FAQs).
        text: the passage itself (never longer than the ``max_chars`` it was cut with, except
            an FAQ, which is always whole).
        position: the passage's order within its source, from 0.
    """

    source_kind: SourceKind
    title: str
    heading: str | None
    text: str
    position: int


def _sections(title: str, content: str) -> list[tuple[str | None, str]]:
    """Split Markdown ``content`` into ``(heading, body)`` pairs in document order."""
    sections: list[tuple[str | None, str]] = []
    heading: str | None = None
    lines: list[str] = []
    in_fence = False
    for line in content.replace("\r\n", "\n").split("\n"):
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        m = None if in_fence else _HEADING.match(line)
        if m:
            body = "\n".join(lines).strip()
            text = m.group(2).strip()
            first = not sections and not body
            sections.append((heading, body))
            # A leading heading that repeats the document title is the title, not a section.
            heading = None if first and text.casefold() == title.casefold() else text
            lines = []
        else:
            lines.append(line)
    sections.append((heading, "\n".join(lines).strip()))
    return [(h, body) for h, body in sections if body]


def _split_sentences(paragraph: str) -> list[str]:
    parts = [p.strip() for p in _SENTENCE_END.split(paragraph)]
    return [p for p in parts if p]


def _split_words(text: str, max_chars: int) -> list[str]:
    out: list[str] = []
    current = ""
    for word in text.split():
        while len(word) > max_chars:  # a single enormous token: cut it hard
            if current:
                out.append(current)
                current = ""
            out.append(word[:max_chars])
            word = word[max_chars:]
        candidate = f"{current} {word}" if current else word
        if len(candidate) > max_chars and current:
            out.append(current)
            current = word
        else:
            current = candidate
    if current:
        out.append(current)
    return out


def _pieces(body: str, max_chars: int) -> list[tuple[str, str]]:
    """Units no longer than ``max_chars``, each tagged with the separator that precedes it."""
    pieces: list[tuple[str, str]] = []
    for paragraph in _BLANK.split(body):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        if len(paragraph) <= max_chars:
            pieces.append(("\n\n", paragraph))
            continue
        first = True
        for line in paragraph.split("\n"):  # list items and hard breaks first
            for sentence in _split_sentences(line.strip()):
                for part in (
                    [sentence] if len(sentence) <= max_chars else _split_words(sentence, max_chars)
                ):
                    pieces.append(("\n\n" if first else " ", part))
                    first = False
    return pieces


def _tail(text: str, overlap_chars: int) -> str:
    """The last whole sentences (or words) of ``text`` fitting in ``overlap_chars``."""
    if overlap_chars <= 0:
        return ""
    sentences = _split_sentences(text.replace("\n", " "))
    tail = ""
    for sentence in reversed(sentences):
        candidate = f"{sentence} {tail}".strip()
        if len(candidate) > overlap_chars:
            break
        tail = candidate
    if tail:
        return tail
    words = text.split()
    for i in range(len(words)):
        candidate = " ".join(words[i:])
        if len(candidate) <= overlap_chars:
            return candidate
    return ""


def chunk_document(
    title: str, content: str, *, max_chars: int = 700, overlap_chars: int = 100
) -> list[Chunk]:
    """Split one document into chunks.

    Args:
        title: the document title, kept on every chunk.
        content: Markdown or plain text.
        max_chars: the most characters a chunk's text may hold (>= 50).
        overlap_chars: at most this many characters of the previous chunk of the same section
            are repeated at the start of the next (must be < ``max_chars / 2``).

    Returns:
        Chunks in document order with ``position`` 0, 1, ...; an empty list for empty content.

    Raises:
        ValueError: ``max_chars`` or ``overlap_chars`` out of range.
    """
    if max_chars < 50:
        raise ValueError("max_chars must be at least 50")
    if overlap_chars < 0 or overlap_chars * 2 >= max_chars:
        raise ValueError("overlap_chars must be >= 0 and less than half of max_chars")
    texts: list[tuple[str | None, str]] = []
    for heading, body in _sections(title, content):
        current = ""
        for sep, piece in _pieces(body, max_chars):
            candidate = f"{current}{sep}{piece}" if current else piece
            if len(candidate) <= max_chars:
                current = candidate
                continue
            texts.append((heading, current))
            overlap = _tail(current, overlap_chars)
            current = f"{overlap} {piece}" if overlap else piece
            if len(current) > max_chars:
                current = piece
        if current:
            texts.append((heading, current))
    return [
        Chunk(DOCUMENT, title, heading, text.strip(), i) for i, (heading, text) in enumerate(texts)
    ]


def chunk_faq(question: str, answer: str) -> Chunk:
    """One FAQ as one chunk: ``title`` is the question, ``text`` is ``"Q: ...\\nA: ..."``."""
    return Chunk(FAQ, question, None, f"Q: {question.strip()}\nA: {answer.strip()}", 0)


def chunk_sources(
    documents: Iterable[tuple[str, str]],
    faqs: Iterable[tuple[str, str]],
    *,
    max_chars: int = 700,
    overlap_chars: int = 100,
) -> list[Chunk]:
    """Chunk ``(title, content)`` documents then ``(question, answer)`` FAQs, in that order."""
    chunks: list[Chunk] = []
    for title, content in documents:
        chunks.extend(
            chunk_document(title, content, max_chars=max_chars, overlap_chars=overlap_chars)
        )
    chunks.extend(chunk_faq(q, a) for q, a in faqs)
    return chunks
