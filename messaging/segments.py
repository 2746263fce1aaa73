"""SMS segment counting (GSM-7 vs UCS-2) and keeping replies within a segment budget.

Source: 3GPP TS 23.038 section 6.2.1 (GSM 7-bit default alphabet and its extension table) and
TS 23.040 (concatenated SMS: a 6-octet User Data Header leaves 153 septets or 67 UCS-2 units).
Carriers bill per segment, and a single curly apostrophe turns a 160-character GSM-7 text into a
3-segment UCS-2 one, so replies are normalised with ``normalize_for_gsm`` before counting.
"""

from __future__ import annotations

import re
from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

GSM_SINGLE_LIMIT = 160
GSM_MULTI_LIMIT = 153
UCS2_SINGLE_LIMIT = 70
UCS2_MULTI_LIMIT = 67

# TS 23.038 default alphabet (0x1B ESC is not a character of its own and is left out).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: sent as ESC + char, so each costs 2 septets.
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")

_GSM_REPLACEMENTS = {
    # single quotes, primes and apostrophes
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u02bc": "'",
    # double quotes
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    # hyphens and dashes
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    # ellipsis
    "\u2026": "...",
    # non-breaking and typographic spaces
    "\u00a0": " ",
    "\u2007": " ",
    "\u202f": " ",
    "\u2000": " ",
    "\u2001": " ",
    "\u2002": " ",
    "\u2003": " ",
    "\u2004": " ",
    "\u2005": " ",
    "\u2006": " ",
    "\u2008": " ",
    "\u2009": " ",
    "\u200a": " ",
}
_GSM_TABLE = str.maketrans(_GSM_REPLACEMENTS)

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD_GAP = re.compile(r"(?<=\S)(?=\s)")


def normalize_for_gsm(text: str) -> str:
    """Replace typographic punctuation with its GSM-7 equivalent.

    Only these are mapped: curly/low single quotes, primes and the modifier apostrophe -> ``'``;
    curly/low double quotes, double prime and guillemets -> ``"``; hyphen and dash variants
    (hyphen, non-breaking hyphen, figure/en/em dash, horizontal bar, minus) -> ``-``; the
    ellipsis -> ``...``; non-breaking and typographic spaces -> a plain space. Emoji and letters
    outside GSM-7 (e.g. "ł", "ç") are left alone, so such texts stay UCS-2 rather than garbled.

    Args:
        text: any string.

    Returns:
        The normalised string (unchanged when there was nothing to map).
    """
    return text.translate(_GSM_TABLE)


def is_gsm(text: str) -> bool:
    """True when every character of ``text`` is in the GSM-7 basic or extension table."""
    return all(ch in GSM_BASIC or ch in GSM_EXTENSION for ch in text)


def encoding(text: str) -> Encoding:
    """The encoding a carrier will use for ``text`` as given (no normalisation applied).

    Returns:
        "GSM-7" if every character is in the GSM 7-bit alphabet (basic or extension), else
        "UCS-2".
    """
    return "GSM-7" if is_gsm(text) else "UCS-2"


def _units(text: str, enc: Encoding) -> list[int]:
    """Cost of each character: septets for GSM-7 (extension = 2), UTF-16 units for UCS-2."""
    if enc == "GSM-7":
        return [2 if ch in GSM_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def count_segments(text: str) -> int:
    """How many SMS segments ``text`` takes.

    GSM-7: up to 160 septets is one segment, else segments of 153; an extension character
    (``^{}\\[~]|€`` and form feed) costs 2 septets and is never split across segments.
    UCS-2: up to 70 UTF-16 units is one segment, else segments of 67; characters outside the
    BMP (most emoji) cost 2 units and their surrogate pair is never split.

    Args:
        text: the exact text to send (normalise it first if you want GSM-7).

    Returns:
        The segment count; 0 for the empty string.
    """
    if not text:
        return 0
    enc = encoding(text)
    units = _units(text, enc)
    single, multi = (
        (GSM_SINGLE_LIMIT, GSM_MULTI_LIMIT)
        if enc == "GSM-7"
        else (UCS2_SINGLE_LIMIT, UCS2_MULTI_LIMIT)
    )
    if sum(units) <= single:
        return 1
    segments, used = 1, 0
    for cost in units:
        if used + cost > multi:
            segments += 1
            used = 0
        used += cost
    return segments


def split_to_budget(text: str, max_segments: int) -> list[str]:
    """Fit a reply into at most ``max_segments`` billed segments.

    Contract:
      - A text that already fits is returned whole, as one (possibly concatenated) message:
        ``[text]``.
      - Otherwise it becomes several separate single-segment messages (each at most 160 GSM-7
        septets or 70 UCS-2 units, encoding judged per message so one emoji does not make every
        part UCS-2). Parts break after sentences (``.``, ``!``, ``?``, newlines); a sentence
        longer than one segment breaks between words, a word longer than one segment is cut.
      - Only if even that needs more than ``max_segments`` messages is the last one cut at a
        word boundary and ended with an ellipsis ("..." in GSM-7, "…" in UCS-2).
      - In every case ``sum(count_segments(p) for p in parts) <= max_segments``.

    The text is used as given: call ``normalize_for_gsm`` first to avoid needless UCS-2.

    Args:
        text: the reply.
        max_segments: the budget, at least 1.

    Returns:
        The messages to send, in order; ``[]`` for blank text.

    Raises:
        ValueError: ``max_segments`` is less than 1.
    """
    if max_segments < 1:
        raise ValueError("max_segments must be at least 1")
    text = text.strip()
    if not text:
        return []
    if count_segments(text) <= max_segments:
        return [text]
    parts: list[str] = []
    current = ""
    for piece in _pieces(text):
        candidate = current + piece
        if count_segments(candidate.strip()) <= 1:
            current = candidate
            continue
        if current.strip():
            parts.append(current.strip())
        current = piece
    if current.strip():
        parts.append(current.strip())
    if len(parts) <= max_segments:
        return parts
    kept = parts[: max_segments - 1]
    rest = " ".join(parts[max_segments - 1 :])
    kept.append(_truncate_to_one_segment(rest))
    return kept


def _pieces(text: str) -> list[str]:
    """Split into sentence pieces (trailing whitespace kept), then words where a piece is
    longer than one segment, then hard chunks where a single word is."""
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        sentences.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        sentences.append(text[start:])
    pieces: list[str] = []
    for sentence in sentences:
        if count_segments(sentence.strip()) <= 1:
            pieces.append(sentence)
            continue
        for word in _words(sentence):
            if count_segments(word.strip()) <= 1:
                pieces.append(word)
            else:
                pieces.extend(_hard_chunks(word))
    return pieces


def _words(sentence: str) -> list[str]:
    """Split before each whitespace run so each word carries its preceding space."""
    out: list[str] = []
    start = 0
    for match in _WORD_GAP.finditer(sentence):
        if match.start() > start:
            out.append(sentence[start : match.start()])
            start = match.start()
    out.append(sentence[start:])
    return out


def _hard_chunks(word: str) -> list[str]:
    """Cut a word that cannot fit one segment into single-segment chunks."""
    chunks: list[str] = []
    current = ""
    for ch in word:
        if current and count_segments((current + ch).strip()) > 1:
            chunks.append(current)
            current = ""
        current += ch
    if current:
        chunks.append(current)
    return chunks


def _truncate_to_one_segment(text: str) -> str:
    """The longest word-boundary prefix of ``text`` that fits one segment with an ellipsis."""
    words = _words(text)
    best = ""
    prefix = ""
    for word in words:
        prefix += word
        candidate = _with_ellipsis(prefix.strip())
        if count_segments(candidate) > 1:
            break
        best = candidate
    if best:
        return best
    # Not even the first word fits: cut characters.
    cut = ""
    for ch in text:
        candidate = _with_ellipsis((cut + ch).strip())
        if count_segments(candidate) > 1:
            break
        cut += ch
    return _with_ellipsis(cut.strip())


def _with_ellipsis(text: str) -> str:
    text = text.rstrip(" ,;:-.")
    return text + ("..." if is_gsm(text) else "\u2026")
