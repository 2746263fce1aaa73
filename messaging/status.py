"""Delivery status: a carrier's report on a text we sent, recorded on its outbound row.

Telnyx ``message.sent`` / ``message.finalized`` (developers.telnyx.com, ``to[].status``) and
Twilio status callbacks (twilio.com/docs/messaging/api/message-resource#message-status-values)
map to our statuses: sent | delivered | failed.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from messaging.base import StatusUpdate
from messaging.models import Message, MessageStatus

#: Carrier status words -> ours (Telnyx: developers.telnyx.com message.finalized to[].status;
#: Twilio: twilio.com/docs/messaging/api/message-resource#message-status-values).
CARRIER_STATUS: dict[str, MessageStatus] = {
    "queued": MessageStatus.SENT,
    "accepted": MessageStatus.SENT,
    "scheduled": MessageStatus.SENT,
    "sending": MessageStatus.SENT,
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.DELIVERED,
    "delivery_unconfirmed": MessageStatus.SENT,
    "delivery_failed": MessageStatus.FAILED,
    "sending_failed": MessageStatus.FAILED,
    "expired": MessageStatus.FAILED,
    "failed": MessageStatus.FAILED,
    "undelivered": MessageStatus.FAILED,
    "canceled": MessageStatus.FAILED,
}
#: Statuses a late or out-of-order callback must never overwrite.
FINAL_STATUSES = frozenset({MessageStatus.DELIVERED, MessageStatus.FAILED, MessageStatus.BLOCKED})


def record_status(session: Session, update: StatusUpdate) -> bool:
    """Record a delivery status on the outbound row it names. True when a row matched.

    Carrier words map to ours (sent | delivered | failed); a row that reached a final status
    keeps it, since callbacks may arrive out of order.
    """
    row = session.execute(
        select(Message).where(
            Message.carrier == update.carrier,
            Message.carrier_message_id == update.carrier_message_id,
            Message.direction == "out",
        )
    ).scalar_one_or_none()
    if row is None:
        return False
    status = CARRIER_STATUS.get(update.status, row.status)
    if row.status not in FINAL_STATUSES:
        row.status = status
    if update.error_code:
        row.error_code = update.error_code
        row.error_detail = update.error_detail
    return True
