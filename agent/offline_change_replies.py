"""What the offline model says about a patient's existing appointments: listing them,
confirming a cancellation, offering new times for a move, and reporting what the
``cancel_appointment`` / ``reschedule_appointment`` tools did.

Every fact comes from a tool result (``my_appointments`` rows are dicts with
``appointment_id, service_id, service, provider, when, status, deposit_paid,
inside_notice_window``). Three phrases double as markers the policy reads back from the
history (the model keeps no memory): :attr:`ChangeReplies.CONFIRM_CANCEL_MARK`,
:attr:`ChangeReplies.MOVE_MARK` and :attr:`ChangeReplies.WHICH_MARK`; a reply carrying one
also names the appointment by its exact ``when`` so the policy can tell which one it was.
"""

from __future__ import annotations

from typing import Any

Appt = dict[str, Any]

_PENDING = ("held", "awaiting_deposit")


class ChangeReplies:
    """Reply builder for appointment changes."""

    CONFIRM_CANCEL_MARK = "Reply YES to cancel"
    MOVE_MARK = "move your "
    WHICH_MARK = "Which one would you like to"
    KEEP_MARK = "still on"

    def __init__(self, clinic_name: str, notice_hours: int) -> None:
        self.clinic_name = clinic_name
        self.notice_hours = notice_hours

    # --- listing ---------------------------------------------------------------------------
    @staticmethod
    def line(appt: Appt) -> str:
        """``Botox with Dr. Maya Lee on Thu Nov 26 at 4:00 PM CST``."""
        who = f" with {appt['provider']}" if appt.get("provider") else ""
        return f"{appt['service']}{who} on {appt['when']}"

    def _state_of(self, appt: Appt) -> str:
        if appt.get("status") in _PENDING:
            return " (held, waiting on the deposit)"
        if appt.get("deposit_paid"):
            return f" (confirmed, {appt['deposit_paid']} deposit paid)"
        return " (confirmed)"

    def none(self, action: str) -> str:
        """The patient has no upcoming appointment (``action``: cancel | move | query)."""
        head = "I don't see any upcoming appointments for this number"
        if action == "cancel":
            return f"{head}, so there's nothing to cancel. Anything else I can help with?"
        return f"{head}. Want me to check openings for you?"

    def listing(self, appts: list[Appt]) -> str:
        """Answer "when is my appointment?"."""
        if len(appts) == 1:
            appt = appts[0]
            return f"You're scheduled for {self.line(appt)}{self._state_of(appt)}. See you then!"
        lines = [f"- {self.line(a)}{self._state_of(a)}" for a in appts]
        return "Your upcoming appointments:\n" + "\n".join(lines)

    def which(self, appts: list[Appt], action: str) -> str:
        """Ask which of several appointments to cancel or move."""
        lines = [f"{i}) {self.line(a)}" for i, a in enumerate(appts, 1)]
        verb = "cancel" if action == "cancel" else "move"
        return (
            f"You have {len(appts)} upcoming appointments:\n"
            + "\n".join(lines)
            + f"\n{self.WHICH_MARK} {verb}?"
        )

    # --- cancel ------------------------------------------------------------------------------
    def confirm_cancel(self, appt: Appt) -> str:
        """Ask before cancelling, saying what happens to the deposit under the notice policy."""
        paid = appt.get("deposit_paid")
        if paid and appt.get("inside_notice_window"):
            deposit = (
                f" It's less than {self.notice_hours} hours away, so under our cancellation "
                f"policy your {paid} deposit would be kept, not refunded."
            )
        elif paid:
            deposit = f" Your {paid} deposit will be refunded in full."
        elif appt.get("status") in _PENDING:
            deposit = " No deposit has been paid, so nothing is charged."
        else:
            deposit = ""
        return f"Cancel your {self.line(appt)}?{deposit} {self.CONFIRM_CANCEL_MARK}."

    def kept(self, appt: Appt | None, *, moving: bool = False) -> str:
        """The patient dropped the cancel or move: nothing changed."""
        done = "moved" if moving else "cancelled"
        if appt is None:
            return f"No problem, I haven't {done} anything. Your appointments are {self.KEEP_MARK}."
        return f"No problem, I haven't {done} anything. Your {self.line(appt)} is {self.KEEP_MARK}."

    def cancelled(self, result: dict[str, Any]) -> str:
        """What ``cancel_appointment`` did, deposit outcome included."""
        head = f"Done: your {result['service']} on {result['when']} is cancelled."
        amount = result.get("amount")
        outcome = result.get("deposit")
        hours = result.get("cancellation_notice_hours", self.notice_hours)
        if outcome == "refunded":
            tail = f" Your {amount} deposit is being refunded in full."
        elif outcome == "kept":
            tail = (
                f" Because it was less than {hours} hours' notice, your {amount} deposit is "
                "kept under our cancellation policy."
            )
        elif outcome == "refund_failed":
            tail = (
                f" The refund of your {amount} deposit didn't go through automatically, so "
                "our team will refund it by hand."
            )
        else:
            tail = ""
        return f"{head}{tail} Text us anytime to book again."

    # --- move ------------------------------------------------------------------------------------
    def ask_when(self, appt: Appt) -> str:
        """Ask for the new day and time."""
        return (
            f"Sure! What day and time would you like to {self.MOVE_MARK}{appt['service']} "
            f"on {appt['when']} to?"
        )

    def move_offers(self, appt: Appt, result: dict[str, Any], wanted: str) -> str:
        """Numbered openings for the move (same service)."""
        slots = result.get("slots") or []
        head = f"To {self.MOVE_MARK}{appt['service']} on {appt['when']}"
        if not slots:
            return (
                f"{head}, I'm sorry, I don't see any other openings soon. Want me to have "
                "the team reach out?"
            )
        lines = [f"{s['option']}) {s['when']} with {s['provider']}" for s in slots]
        if result.get("matched_preferences", True):
            intro = f"{head}, here are openings" + (f" {wanted}" if wanted else "") + ":"
        else:
            intro = f"{head}: I don't have openings {wanted or 'then'}, but the nearest are:"
        return f"{intro}\n" + "\n".join(lines) + "\nReply with the number that works."

    def other_times(self, appt: Appt) -> str:
        """The patient turned the move offers down."""
        return (
            f"No problem! What other day or time would you like to {self.MOVE_MARK}"
            f"{appt['service']} on {appt['when']} to?"
        )

    def moved(self, result: dict[str, Any], appt: Appt | None) -> str:
        """What ``reschedule_appointment`` did."""
        if not result.get("rescheduled"):
            if appt is None:
                return "Sorry, that time was just taken. What other day or time works?"
            return (
                f"Sorry, that time was just taken. What other day or time would you like to "
                f"{self.MOVE_MARK}{appt['service']} on {appt['when']} to?"
            )
        who = f" with {result['provider']}" if result.get("provider") else ""
        head = f"Done! Your {result['service']} is moved to {result['when']}{who}"
        if result.get("status") == "booked":
            paid = appt.get("deposit_paid") if appt else None
            carried = f" Your {paid} deposit carries over." if paid else ""
            return f"{head}, and you're confirmed.{carried} See you then! - {self.clinic_name}"
        return f"{head}. To confirm it, pay the deposit with the link I sent earlier."
