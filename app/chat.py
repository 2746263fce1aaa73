"""``frontdesk chat``: a clinic owner plays the patient in the terminal.

Texts go through the same inbound path as a carrier's webhook (stored, turn run, replies
recorded), on the configured database and backend (offline model, or OpenAI with a key).
"""

from __future__ import annotations

import sys
import uuid

from app.settings import load_settings


def chat_loop(*, clinic_file: str, phone: str) -> int:
    """Seed ``clinic_file``, then read patient texts from stdin and print the replies."""
    from app.flows.inbound_text import receive_text
    from app.migrate import upgrade
    from app.wiring import build_context
    from knowledge.clinic_file import load_clinic_file
    from knowledge.seed import seed_clinic
    from messaging.base import InboundMessage

    settings = load_settings(sms_carrier="recording")
    if settings.is_sqlite:
        settings.instance_path.mkdir(parents=True, exist_ok=True)
    upgrade(settings.effective_database_url)
    clinic = load_clinic_file(clinic_file)
    ctx = build_context(settings)
    seed_clinic(ctx.db, clinic)
    number = clinic.clinic.phone_numbers[0]
    print(
        f"You are texting {clinic.clinic.name} ({number}) from {phone} "
        f"[{ctx.chat_model.name} model]. Ctrl-D to quit."
    )
    while True:
        try:
            text = input("you > ")
        except EOFError:
            print()
            return 0
        before = len(ctx.recording.sent)
        receive_text(
            ctx,
            InboundMessage(
                carrier="chat",
                event_id=str(uuid.uuid4()),
                carrier_message_id=str(uuid.uuid4()),
                from_number=phone,
                to_number=number,
                body=text,
            ),
        )
        for sent in ctx.recording.sent[before:]:
            if sent.to_number == phone:
                for i, line in enumerate(sent.body.splitlines() or [""]):
                    print(("clinic > " if i == 0 else "         ") + line)
        sys.stdout.flush()
