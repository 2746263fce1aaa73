"""Phone normalisation/masking and the recording gateway."""

from __future__ import annotations

import threading

import pytest

from messaging.base import OutboundSms, SendError, SmsGateway
from messaging.phones import mask, to_e164
from messaging.recording import RecordingGateway


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("(512) 555-0123", "+15125550123"),
        ("512.555.0123", "+15125550123"),
        ("+1 512 555 0123", "+15125550123"),
        ("1-512-555-0123", "+15125550123"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+15551230000", "+15551230000"),  # fictional 555 area code: possible, accepted
    ],
)
def test_to_e164(raw: str, expected: str) -> None:
    assert to_e164(raw) == expected


def test_to_e164_other_region() -> None:
    assert to_e164("020 7946 0958", "GB") == "+442079460958"


@pytest.mark.parametrize("raw", ["", "   ", "hello", "123", "+1512555012"])
def test_to_e164_invalid(raw: str) -> None:
    with pytest.raises(ValueError) as info:
        to_e164(raw)
    if raw.strip():
        assert raw.strip() not in str(info.value)


def test_to_e164_strict() -> None:
    assert to_e164("+15125550123", strict=True) == "+15125550123"
    with pytest.raises(ValueError):
        to_e164("+15551230000", strict=True)


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+15125550123", "+1512*****23"),
        ("+442079460958", "+44207*****58"),
        ("+8613800138000", "+86138******00"),
        ("anonymous", "*******us"),
        ("12345", "***45"),
        ("", "<none>"),
        (None, "<none>"),
    ],
)
def test_mask(phone: str | None, masked: str) -> None:
    assert mask(phone) == masked


def _sms(n: int) -> OutboundSms:
    return OutboundSms(
        from_number="+15125550100",
        to_number="+15125550123",
        body=f"hello {n}",
        idempotency_key=f"k{n}",
    )


def test_recording_gateway_records_and_numbers() -> None:
    printed: list[str] = []
    gateway: SmsGateway = RecordingGateway(
        on_send=lambda m, r: printed.append(r.carrier_message_id)
    )
    assert gateway.name == "recording"
    assert gateway.send(_sms(1)).carrier_message_id == "rec-1"
    result = gateway.send(_sms(2))
    assert (result.carrier_message_id, result.status) == ("rec-2", "recorded")
    assert isinstance(gateway, RecordingGateway)
    assert gateway.bodies() == ["hello 1", "hello 2"]
    assert gateway.bodies("+15125550199") == []
    assert printed == ["rec-1", "rec-2"]


def test_recording_gateway_scripted_failures() -> None:
    opted_out = SendError("opted out", code="40300", permanent=True, opted_out=True)
    gateway = RecordingGateway(
        fail_with=[SendError("busy", code="429", permanent=False), None, opted_out]
    )
    with pytest.raises(SendError) as info:
        gateway.send(_sms(1))
    assert info.value.permanent is False
    assert gateway.send(_sms(1)).carrier_message_id == "rec-1"
    with pytest.raises(SendError) as info:
        gateway.send(_sms(2))
    assert info.value.opted_out
    assert gateway.send(_sms(3)).carrier_message_id == "rec-2"  # script used up
    assert [m.idempotency_key for m in gateway.sent] == ["k1", "k3"]
    assert [m.idempotency_key for m in gateway.attempts] == ["k1", "k1", "k2", "k3"]
    gateway.fail_next(SendError("down", permanent=False))
    with pytest.raises(SendError):
        gateway.send(_sms(4))
    gateway.clear()
    assert gateway.sent == [] and gateway.attempts == []
    assert gateway.send(_sms(5)).carrier_message_id == "rec-3"


def test_recording_gateway_is_thread_safe() -> None:
    gateway = RecordingGateway()
    ids: list[str] = []
    lock = threading.Lock()

    def worker(start: int) -> None:
        for n in range(start, start + 50):
            result = gateway.send(_sms(n))
            with lock:
                ids.append(result.carrier_message_id)

    threads = [threading.Thread(target=worker, args=(i * 50,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(gateway.sent) == 400
    assert sorted(ids) == sorted(f"rec-{n}" for n in range(1, 401))
