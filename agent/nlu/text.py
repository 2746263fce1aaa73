"""Text normalisation shared by every understanding function.

Patients text in lowercase, with typos, emoji, curly quotes and stray punctuation. Everything
in :mod:`agent.nlu` first passes the message through :func:`normalize`, so the rules downstream
only ever see one alphabet: ``a-z``, digits, spaces and a handful of meaningful symbols.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalize", "tokens"]

_APOSTROPHES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201b": "'",
        "\u02bc": "'",
        "\u00b4": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2033": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "&": " and ",
        "@": " at ",
    }
)
# '.' and '-' survive only between two digits ("3.30", "2-4"); "'" only inside a word ("it's").
_DIGIT_DOT = re.compile(r"(?<=\d)([.\-])(?=\d)")
_INNER_APOSTROPHE = re.compile(r"(?<=[a-z])'(?=[a-z])")
_DROP = re.compile(r"[^a-z0-9:/$\s\x01\x02\x03]")
_SPACES = re.compile(r"\s+")
_TOKEN = re.compile(r"\$?[a-z0-9]+(?:[:/.'\-][a-z0-9]+)*")


def normalize(text: str) -> str:
    """Return ``text`` in the canonical form used by all NLU rules.

    Rules, in order: Unicode NFKD with combining marks dropped (``"café"`` -> ``"cafe"``),
    lowercase, curly apostrophes/quotes unified, ``&`` -> ``and``, ``@`` -> ``at``. Then only
    letters, digits, whitespace, ``:``, ``/`` and ``$`` are kept, plus ``.`` and ``-`` when they
    sit between two digits (``"3.30"``, ``"2-4"``) and ``'`` inside a word (``"it's"``). Every
    other character (emoji, ``?``, ``!``, ``#``, ``,``) becomes a space; whitespace is
    collapsed and the result stripped.

    >>> normalize("  Thursday after 4?? 👍 ")
    'thursday after 4'
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    s = stripped.lower().translate(_APOSTROPHES)
    s = _DIGIT_DOT.sub(lambda m: "\x01" if m.group(1) == "." else "\x02", s)
    s = _INNER_APOSTROPHE.sub("\x03", s)
    s = _DROP.sub(" ", s)
    s = s.replace("\x01", ".").replace("\x02", "-").replace("\x03", "'")
    return _SPACES.sub(" ", s).strip()


def tokens(text: str) -> list[str]:
    """Split ``text`` (raw or already normalised) into word tokens.

    A token is a run of letters/digits, optionally ``$``-prefixed, that may contain the inner
    separators ``: / . ' -`` (``"3:30"``, ``"12/3"``, ``"it's"``, ``"$50"``, ``"2-4"``).

    >>> tokens("Lets do #2 at 3:30pm!")
    ['lets', 'do', '2', 'at', '3:30pm']
    """
    return _TOKEN.findall(normalize(text))
