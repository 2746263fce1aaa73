"""What callers of the booking package (the agent) need from the adapters booking drives.

The agent talks to the EMR and the deposit provider only through booking (DESIGN.md §1:
``agent/`` may import ``knowledge`` and ``booking``), so the interfaces it is handed, the
errors they raise and the money formatting used in booking results are re-exported here.
"""

from __future__ import annotations

from emr.base import EMRClient, EMRError
from payments.base import DepositProvider, PaymentError
from payments.money import format_money

__all__ = ["DepositProvider", "EMRClient", "EMRError", "PaymentError", "format_money"]
