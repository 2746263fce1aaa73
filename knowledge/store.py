"""Read a seeded clinic back from the database.

:func:`load_clinic` rebuilds a :class:`ClinicFile` from the clinic's rows (documents and FAQs
are left empty: the knowledge chunks hold them, see ``knowledge.retrieval``);
:func:`clinic_for_number` routes an inbound text or call to its clinic.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import Database
from knowledge.clinic_file import ClinicFile, ClinicInfo, ProviderInfo, ServiceInfo
from knowledge.models import Clinic, ClinicNumber, Provider, Service


def _load(session: Session, clinic_id: str) -> ClinicFile | None:
    row = session.get(Clinic, clinic_id)
    if row is None:
        return None
    providers = session.scalars(
        select(Provider)
        .where(Provider.clinic_id == clinic_id)
        .order_by(Provider.position, Provider.id)
    )
    services = session.scalars(
        select(Service).where(Service.clinic_id == clinic_id).order_by(Service.position, Service.id)
    )
    return ClinicFile(
        clinic=ClinicInfo.model_validate(row.profile),
        providers=[ProviderInfo.model_validate(p.data) for p in providers],
        services=[ServiceInfo.model_validate(s.data) for s in services],
    )


def load_clinic(db_or_session: Database | Session, clinic_id: str) -> ClinicFile | None:
    """The clinic ``clinic_id`` as a :class:`ClinicFile`, or None if it was never seeded.

    Providers and services come back in clinic-file order; ``documents`` and ``faqs`` are
    empty (search the knowledge chunks instead).

    Args:
        db_or_session: a :class:`Database` (a short read-only unit of work is opened) or an
            open SQLAlchemy session (used as is, not committed).
        clinic_id: the clinic's id.

    Raises:
        pydantic.ValidationError: the stored rows no longer validate (e.g. written by a
            newer schema); should not happen for rows written by ``seed_clinic``.
    """
    if isinstance(db_or_session, Database):
        with db_or_session.sessions() as session:
            return _load(session, clinic_id)
    return _load(db_or_session, clinic_id)


def clinic_for_number(session: Session, e164: str) -> str | None:
    """The id of the clinic that owns phone number ``e164`` (exact E.164 match), or None."""
    return session.scalar(select(ClinicNumber.clinic_id).where(ClinicNumber.phone == e164))


def list_clinic_ids(session: Session) -> list[str]:
    """Every seeded clinic id, sorted."""
    return list(session.scalars(select(Clinic.id).order_by(Clinic.id)))
