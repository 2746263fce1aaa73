"""Per-clinic API keys (knowledge/apikeys.py): creation, verification, revocation."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from app.db import Database
from knowledge.apikeys import (
    ApiKeyError,
    create_key,
    list_keys,
    revoke_key,
    split_key,
    verify_key,
)
from knowledge.clinic_file import ClinicFile
from knowledge.models import ClinicApiKey
from knowledge.seed import seed_clinic

CLINIC = "glow-austin"


@pytest.fixture
def seeded(db: Database, demo_clinic: ClinicFile) -> Database:
    seed_clinic(db, demo_clinic)
    return db


def test_create_and_verify(seeded: Database) -> None:
    key = create_key(seeded, CLINIC, "owner laptop")
    assert key.startswith("fdk_") and len(key) > 50
    parts = split_key(key)
    assert parts is not None and len(parts[0]) == 12
    with seeded.session() as session:
        assert verify_key(session, CLINIC, key) is True
        assert verify_key(session, "other-clinic", key) is False
        assert verify_key(session, CLINIC, key + "x") is False
        assert verify_key(session, CLINIC, "") is False
        assert verify_key(session, CLINIC, "fdk_" + parts[0]) is False
    with seeded.session() as session:
        row = session.scalars(select(ClinicApiKey)).one()
        assert row.last_used_at is not None
        assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
        assert key not in (row.key_id, row.key_hash, row.label)


def test_keys_need_a_seeded_clinic_and_a_short_label(seeded: Database) -> None:
    with pytest.raises(ApiKeyError, match="seed its clinic file first"):
        create_key(seeded, "no-such-clinic", "x")
    with pytest.raises(ApiKeyError, match="label"):
        create_key(seeded, CLINIC, "x" * 101)


def test_revoke_and_list(seeded: Database) -> None:
    first = create_key(seeded, CLINIC, "first")
    second = create_key(seeded, CLINIC, "second")
    first_id = first[4:16]
    assert revoke_key(seeded, "other-clinic", first_id) is False
    assert revoke_key(seeded, CLINIC, first_id) is True
    assert revoke_key(seeded, CLINIC, first) is False  # already revoked
    with seeded.session() as session:
        assert verify_key(session, CLINIC, first) is False
        assert verify_key(session, CLINIC, second) is True
        keys = list_keys(session, CLINIC)
    assert [(k.label, k.active) for k in keys] == [("first", False), ("second", True)]
    assert all(first not in repr(k) and second not in repr(k) for k in keys)


@pytest.mark.parametrize(
    "presented",
    ["", "fdk_", "fdk_abc_def", "sk-123", "fdk_00000000000g_x", "fdk_000000000000_", "FDK_0_0"],
)
def test_malformed_keys_do_not_split(presented: str) -> None:
    assert split_key(presented) is None
