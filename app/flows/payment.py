"""Payment flow: a deposit is paid (Square's webhook, or the local test checkout) and the
booking lifecycle books the held slot (DESIGN.md §2, booking).

1. :func:`receive_square_event` gets a verified, stored Square event from
   :mod:`payments.square_webhook`; the local checkout page (:mod:`app.web.checkout`) calls
   :func:`apply_payment` directly;
2. :func:`apply_payment` finds the deposit by its order and hands the payment (provider,
   amount, currency) to :func:`booking.paid.record_payment`, which books only a payment that
   is exactly the deposit (else staff are alerted to review it), confirms the appointment in
   the EMR, texts the patient and notifies staff, or refunds a payment whose slot is gone;
3. a refund event records the refund on its deposit.
"""

from __future__ import annotations

import structlog
from sqlalchemy import select

from app.context import AppContext
from booking.models import Deposit, DepositStatus
from booking.paid import PaymentOutcome, ReceivedPayment, record_payment
from payments.square import SquareEvent

log = structlog.get_logger(__name__)


def receive_square_event(ctx: AppContext, event: SquareEvent) -> None:
    """Apply a Square ``payment.updated`` COMPLETED or ``refund.*`` event.

    Applying is idempotent on the deposit's own status, so a redelivery after a failure
    applies it again safely.
    """
    if event.is_payment_completed and event.order_id and event.payment_id:
        paid = ReceivedPayment("square", event.payment_id, event.amount_cents, event.currency)
        apply_payment(ctx, event.order_id, paid)
    elif event.refund_id and event.payment_id:
        with ctx.db.session() as session:
            deposit = session.execute(
                select(Deposit).where(Deposit.payment_id == event.payment_id)
            ).scalar_one_or_none()
            if deposit is not None:
                deposit.refund_id = event.refund_id
                if event.refund_status == "COMPLETED":
                    deposit.status = DepositStatus.REFUNDED


def apply_payment(ctx: AppContext, order_id: str, payment: ReceivedPayment) -> PaymentOutcome:
    """Apply a completed payment of ``order_id`` to its deposit and appointment.

    Args:
        ctx: the app.
        order_id: the provider's order the payment belongs to.
        payment: what was paid, through which provider (Square's ``amount_money``, or the
            local checkout's own deposit amount).

    Returns:
        What :func:`booking.paid.record_payment` did (``unknown_order`` for an order of no
        deposit or clinic here).
    """
    with ctx.db.session() as session:
        clinic_id = session.execute(
            select(Deposit.clinic_id).where(Deposit.order_id == order_id)
        ).scalar_one_or_none()
    if clinic_id is None:
        log.warning("payment_unknown_order")
        return PaymentOutcome("unknown_order")
    clinic = ctx.clinic(clinic_id)
    if clinic is None:
        return PaymentOutcome("unknown_order")
    outcome = record_payment(
        ctx.db,
        ctx.emr_for(clinic),
        ctx.deposits,
        clinic=ctx.clinic_terms(clinic),
        order_id=order_id,
        payment=payment,
        now=ctx.clock.now(),
    )
    log.info("payment_applied", result=outcome.result, appointment_id=outcome.appointment_id)
    return outcome
