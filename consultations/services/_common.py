"""Who may act on a host's calendar, and how an actor is named in the history."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from clinics.models import ClinicMembership
from core.models import User
from intake.models import Case

from ..models import Host


def is_concierge(user: User | None) -> bool:
    return user is not None and user.is_authenticated and user.is_concierge


def is_clinic_member(user: User | None, clinic_id: int | None) -> bool:
    return (
        clinic_id is not None
        and user is not None
        and user.is_authenticated
        and user.is_active
        and ClinicMembership.objects.filter(user=user, clinic_id=clinic_id).exists()
    )


def manages_host(user: User | None, host: Host) -> bool:
    """Concierge staff manage every calendar; clinic staff only their own clinic's."""
    return is_concierge(user) or (
        host.clinic_id is not None and is_clinic_member(user, host.clinic_id)
    )


def require_host_manager(user: User | None, host: Host) -> None:
    if not manages_host(user, host):
        raise PermissionDenied("Not allowed to manage this calendar.")


def require_clinic_member_or_staff(user: User | None, clinic_id: int) -> None:
    if not (is_concierge(user) or is_clinic_member(user, clinic_id)):
        raise PermissionDenied("Not a member of this clinic.")


def actor_label(acting_user: User | None, case: Case) -> str:
    """Staff by e-mail; the patient (no login: a magic link) by their case reference."""
    if acting_user is not None and acting_user.is_authenticated:
        return str(acting_user.email)
    return f"patient ({case.reference})"


def audit_actor(acting_user: User | None) -> User | None:
    return acting_user if acting_user is not None and acting_user.is_authenticated else None
