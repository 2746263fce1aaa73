"""Chunking: heading, then paragraph, then sentence; bounded size; overlap; FAQs whole."""

from __future__ import annotations

import re

import pytest

from knowledge.chunking import chunk_document, chunk_faq

DOC = """# Aftercare

Intro paragraph before any section.

## First day

Stay upright for four hours. Do not rub the area.

## Later

- Exercise tomorrow.
- Makeup after four hours.
"""


def test_split_by_heading_keeps_title_and_heading() -> None:
    chunks = chunk_document("Aftercare", DOC)
    assert [(c.heading, c.position) for c in chunks] == [(None, 0), ("First day", 1), ("Later", 2)]
    assert all(c.title == "Aftercare" and c.source_kind == "document" for c in chunks)
    assert chunks[0].text == "Intro paragraph before any section."
    assert chunks[2].text == "- Exercise tomorrow.\n- Makeup after four hours."


def test_a_leading_heading_that_is_not_the_title_is_a_section() -> None:
    chunks = chunk_document("Policy", "# Deposits\n\nWe take $50.")
    assert [(c.heading, c.text) for c in chunks] == [("Deposits", "We take $50.")]


def test_long_sections_split_by_paragraph_then_sentence_with_overlap() -> None:
    sentences = [f"Sentence number {i} talks about topic {i} at some length." for i in range(40)]
    text = " ".join(sentences[:20]) + "\n\n" + " ".join(sentences[20:])
    chunks = chunk_document("Long", text, max_chars=300, overlap_chars=80)
    assert len(chunks) > 4
    assert all(len(c.text) <= 300 for c in chunks)
    for a, b in zip(chunks, chunks[1:], strict=False):
        last = re.split(r"(?<=\.)\s+", a.text)[-1]
        assert last in b.text  # the last sentence of a chunk opens the next one
    joined = " ".join(c.text for c in chunks)
    assert all(s in joined for s in sentences)


def test_a_sentence_longer_than_the_budget_is_cut_by_word() -> None:
    text = "word " * 200
    chunks = chunk_document("Words", text, max_chars=100, overlap_chars=0)
    assert all(0 < len(c.text) <= 100 for c in chunks)
    assert sum(c.text.count("word") for c in chunks) == 200


def test_empty_and_bad_parameters() -> None:
    assert chunk_document("Empty", "   \n\n ") == []
    with pytest.raises(ValueError):
        chunk_document("x", "y", max_chars=10)
    with pytest.raises(ValueError):
        chunk_document("x", "y", max_chars=100, overlap_chars=60)


def test_headings_inside_code_fences_are_text() -> None:
    chunks = chunk_document("Doc", "Before.\n\n```\n# not a heading\n```\n")
    assert len(chunks) == 1 and "# not a heading" in chunks[0].text


def test_faq_is_one_chunk() -> None:
    c = chunk_faq("Do you validate parking?", " Yes, for 2 hours. ")
    assert (c.source_kind, c.title, c.heading) == ("faq", "Do you validate parking?", None)
    assert c.text == "Q: Do you validate parking?\nA: Yes, for 2 hours."
