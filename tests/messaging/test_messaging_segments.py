"""GSM-7 / UCS-2 segment counting, GSM normalisation and budget splitting (3GPP TS 23.038)."""

from __future__ import annotations

import pytest

from messaging.segments import (
    count_segments,
    encoding,
    is_gsm,
    normalize_for_gsm,
    split_to_budget,
)


@pytest.mark.parametrize(
    ("text", "enc", "segments"),
    [
        ("", "GSM-7", 0),
        ("Hi Jane!", "GSM-7", 1),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("Café à Ñandù £5 @home ¿qué?", "GSM-7", 1),  # all in the basic table
        ("€" * 80, "GSM-7", 1),  # extension chars cost 2 septets: 160
        ("€" * 81, "GSM-7", 2),
        ("a" * 159 + "[", "GSM-7", 2),  # 161 septets
        ("ç" * 70, "UCS-2", 1),  # lowercase c-cedilla is not GSM-7 (only Ç is)
        ("ç" * 71, "UCS-2", 2),
        ("a" * 134 + "ç", "UCS-2", 3),  # 135 units -> 67 + 67 + 1
        ("😀" * 35, "UCS-2", 1),  # 70 UTF-16 units
        ("😀" * 36, "UCS-2", 2),
        ("Your appt is set 💆", "UCS-2", 1),
    ],
)
def test_encoding_and_count(text: str, enc: str, segments: int) -> None:
    assert encoding(text) == enc
    assert count_segments(text) == segments


def test_extension_char_not_split_across_segments() -> None:
    # 152 septets + "€" (2) would straddle the 153 boundary: it moves to segment 2.
    text = "a" * 152 + "€" + "a" * 152
    assert count_segments(text) == 3  # 152 | 2 + 151 | 1
    assert count_segments("a" * 151 + "€" + "a" * 153) == 2


def test_surrogate_pair_not_split() -> None:
    # 66 units then an emoji (2 units) must start segment 2.
    text = "ç" * 66 + "😀" + "ç" * 66  # 134 units: naive 2 segments, 3 without splitting
    assert count_segments(text) == 3
    assert count_segments("ç" * 65 + "😀" + "ç" * 67) == 2


def test_curly_apostrophe_normalisation_keeps_one_segment() -> None:
    text = "We\u2019re open till 6 today \u2014 want me to hold the 4:30 for you? " + "x" * 90
    assert len(text) <= 160
    assert encoding(text) == "UCS-2"
    assert count_segments(text) == 3
    normal = normalize_for_gsm(text)
    assert "We're open till 6 today - want" in normal
    assert encoding(normal) == "GSM-7"
    assert count_segments(normal) == 1


def test_normalize_maps_only_typography() -> None:
    assert normalize_for_gsm("\u201cHi\u201d \u2018there\u2019\u2026 a\u00a0b\u202fc 9\u20135") == (
        "\"Hi\" 'there'... a b c 9-5"
    )
    # emoji and accented letters outside GSM-7 are untouched
    assert normalize_for_gsm("Merci François 😀 ł") == "Merci François 😀 ł"
    assert not is_gsm(normalize_for_gsm("François"))


SENTENCES = (
    "Thanks for reaching out! Botox is $13 per unit and most areas take 20-40 units. "
    "We have openings Thursday at 4:15pm and 5pm with Dr. Lee. Want me to hold one? "
    "Reply 1 or 2. A $50 deposit secures your spot and goes toward your treatment."
)


def test_split_returns_text_whole_when_within_budget() -> None:
    assert count_segments(SENTENCES) == 2
    assert split_to_budget(SENTENCES, 2) == [SENTENCES]
    assert split_to_budget("  hi  ", 1) == ["hi"]
    assert split_to_budget("   ", 3) == []


def test_split_at_sentence_boundaries_without_losing_text() -> None:
    text = SENTENCES + " " + SENTENCES
    assert count_segments(text) == 4
    parts = split_to_budget(text, 3)
    assert len(parts) == 3
    assert all(count_segments(p) == 1 for p in parts)
    assert all(p[-1] in ".!?" for p in parts)  # sentence boundaries
    assert " ".join(parts) == text  # nothing lost


def test_split_truncates_with_ellipsis_as_last_resort() -> None:
    text = SENTENCES + " " + SENTENCES
    parts = split_to_budget(text, 1)
    assert len(parts) == 1
    assert count_segments(parts[0]) == 1
    assert parts[0].endswith("...")
    assert text.startswith(parts[0][:-3])


def test_split_ucs2_uses_unicode_ellipsis_and_respects_budget() -> None:
    text = "lovely day 😀 " * 30
    parts = split_to_budget(text, 2)
    assert sum(count_segments(p) for p in parts) <= 2
    assert parts[-1].endswith("\u2026")


def test_split_judges_encoding_per_part() -> None:
    gsm = "Your deposit link is ready and holds the slot for 15 minutes. " * 2
    text = gsm + "See you soon 💆"
    parts = split_to_budget(text, 2)
    assert [encoding(p) for p in parts] == ["GSM-7", "UCS-2"]
    assert sum(count_segments(p) for p in parts) == 2


def test_split_long_word_is_cut() -> None:
    url = "https://example.com/" + "a" * 300
    parts = split_to_budget(url, 3)
    assert sum(count_segments(p) for p in parts) <= 3
    assert "".join(parts) == url


@pytest.mark.parametrize("budget", [1, 2, 3, 5])
def test_split_never_exceeds_budget(budget: int) -> None:
    text = ("Word € [x] 😀 sentence here. " * 30).strip()
    parts = split_to_budget(text, budget)
    assert parts
    assert sum(count_segments(p) for p in parts) <= budget


def test_split_rejects_zero_budget() -> None:
    with pytest.raises(ValueError):
        split_to_budget("hi", 0)
