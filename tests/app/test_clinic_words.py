"""The product code knows no clinic: the test clinics' own words appear nowhere in it.

Issue 12: behaviour keyed to a clinic's names passes that clinic's scenarios and fails every
other clinic. A clinic's own words are its name and id, its providers' names and ids, its
address and numbers, and the questions of its FAQs. Treatment and
brand names ("botox", "microneedling") are the field's vocabulary, not a clinic's, and may
appear where the field's vocabulary is kept.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import REPO

PRODUCT = ("agent", "app", "booking", "emr", "knowledge", "messaging", "payments", "scripts")
TITLES = {"dr", "md", "np", "rn", "pa", "the", "and", "med", "spa"}


def _clinic_words(path: Path) -> set[str]:
    data = json.loads(path.read_text())
    clinic = data["clinic"]
    words = {clinic["name"], clinic["id"], clinic.get("address", "").split(",")[0]}
    words |= {n[-7:] for n in clinic.get("phone_numbers", [])}
    for provider in data["providers"]:
        words.add(provider["id"])
        for part in re.findall(r"[A-Za-z]+", provider["name"]):
            if part.lower() not in TITLES and len(part) > 2:
                words.add(part)
    words |= {f["question"] for f in data.get("faqs", [])}
    return {w.strip() for w in words if len(w.strip()) > 2}


def _product_text() -> dict[Path, str]:
    return {
        p: p.read_text()
        for package in PRODUCT
        for p in sorted((REPO / package).rglob("*"))
        if p.suffix in {".py", ".html", ".txt"} and "migrations" not in p.parts
    }


@pytest.mark.parametrize("clinic", sorted((REPO / "testdata").glob("*clinic*.json")), ids=str)
def test_no_clinic_name_in_product_code(clinic: Path) -> None:
    files = _product_text()
    found = []
    for word in sorted(_clinic_words(clinic)):
        pattern = re.compile(rf"(?<![A-Za-z0-9]){re.escape(word)}(?![A-Za-z0-9])", re.I)
        found += [
            f"{p.relative_to(REPO)}: {word!r}" for p, text in files.items() if pattern.search(text)
        ]
    assert not found, "a test clinic's own words in product code:\n" + "\n".join(found)
