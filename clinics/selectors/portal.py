"""Clinic-portal reads, scoped to the acting user's memberships.

Another clinic's object is simply not in the queryset, so ``get_object_or_404``
answers 404 and nothing of it reaches the response. Each selector repeats the
membership join itself rather than trusting the clinic object it is handed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from ..models import (
    ChangeRequest,
    ChangeRequestStatus,
    Clinic,
    Condition,
    Credential,
    CredentialStatus,
    Doctor,
    Offering,
    OfferingStatus,
    Review,
    ReviewStatus,
)

if TYPE_CHECKING:
    from core.models import User

QS = TypeVar("QS", bound=QuerySet[Any])


# --- Clinic portal (scoped to the acting user's memberships) ----------------------------
def _is_member_user(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def portal_clinics(*, acting_user: User) -> QuerySet[Clinic]:
    """The clinics the acting user may manage (possibly several; none for non-members)."""
    if not _is_member_user(acting_user):
        return Clinic.objects.none()
    return Clinic.objects.managed_by(acting_user).order_by("name", "pk")


def portal_clinic(*, acting_user: User, slug: str) -> Clinic:
    """One of the acting user's clinics by slug; 404 if it is not theirs."""
    return get_object_or_404(portal_clinics(acting_user=acting_user), slug=slug)


def _scoped(qs: QS, *, acting_user: User, clinic: Clinic) -> QS:
    """Rows of ``clinic`` only, and only if the acting user is a member of it.

    The membership join is repeated here (not trusted from the caller) so a
    selector can never be handed somebody else's clinic object and obey it.
    """
    if not _is_member_user(acting_user):
        return qs.none()
    return qs.filter(clinic=clinic, clinic__memberships__user=acting_user)


def _pending_targets(model: type, clinic: Clinic) -> set[int]:
    return set(
        ChangeRequest.objects.filter(
            clinic=clinic,
            status=ChangeRequestStatus.PENDING,
            target_type=ContentType.objects.get_for_model(model),
        ).values_list("target_id", flat=True)
    )


def portal_offerings(*, acting_user: User, clinic: Clinic) -> list[Offering]:
    """All of the clinic's offerings (any status) with compliance, each with ``has_pending``."""
    rows = list(
        _scoped(Offering.objects.all(), acting_user=acting_user, clinic=clinic)
        .with_compliance()
        .with_badge()
        .prefetch_related(Prefetch("conditions", queryset=Condition.objects.order_by("name")))
        .order_by("status", "title", "pk")
    )
    pending = _pending_targets(Offering, clinic) if rows else set()
    for row in rows:
        row.has_pending = row.pk in pending  # type: ignore[attr-defined]
    return rows


def portal_offering(*, acting_user: User, clinic: Clinic, pk: int) -> Offering:
    """One offering of one of the acting user's clinics; 404 otherwise."""
    qs = _scoped(Offering.objects.all(), acting_user=acting_user, clinic=clinic)
    return get_object_or_404(qs.with_compliance().prefetch_related("conditions"), pk=pk)


def portal_doctors(*, acting_user: User, clinic: Clinic) -> list[Doctor]:
    """The clinic's whole team, published or waiting, each with ``has_pending``."""
    rows = list(
        _scoped(Doctor.objects.all(), acting_user=acting_user, clinic=clinic).order_by(
            "display_order", "full_name", "pk"
        )
    )
    pending = _pending_targets(Doctor, clinic) if rows else set()
    for row in rows:
        row.has_pending = row.pk in pending  # type: ignore[attr-defined]
    return rows


def portal_doctor(*, acting_user: User, clinic: Clinic, pk: int) -> Doctor:
    """One team member of one of the acting user's clinics; 404 otherwise."""
    qs = _scoped(Doctor.objects.all(), acting_user=acting_user, clinic=clinic)
    return get_object_or_404(qs, pk=pk)


def portal_credentials(*, acting_user: User, clinic: Clinic) -> QuerySet[Credential]:
    """The clinic's vetting register, newest first (document metadata, not the bytes)."""
    return _scoped(Credential.objects.all(), acting_user=acting_user, clinic=clinic).order_by(
        "kind", "-issued_on", "-pk"
    )


def credential_for_download(
    *, acting_user: User, pk: int, clinic: Clinic | None = None
) -> Credential:
    """A credential whose document the acting user may download; 404 for anyone else.

    Concierge staff may open any clinic's document; clinic staff only their own
    clinic's (and, given ``clinic``, only under that clinic's URL). Anonymous
    users and patients get a 404, never a hint that the document exists.
    """
    if not _is_member_user(acting_user):
        raise Http404
    qs: QuerySet[Credential] = Credential.objects.select_related("clinic")
    if clinic is not None:
        qs = _scoped(qs, acting_user=acting_user, clinic=clinic)
    elif not acting_user.is_concierge:
        qs = qs.filter(clinic__memberships__user=acting_user)
    credential = get_object_or_404(qs, pk=pk)
    if not credential.document:
        raise Http404
    return credential


def portal_change_requests(
    *, acting_user: User, clinic: Clinic, pending_only: bool = False
) -> QuerySet[ChangeRequest]:
    """The clinic's change requests, newest first, with who submitted/decided them."""
    qs = _scoped(ChangeRequest.objects.all(), acting_user=acting_user, clinic=clinic)
    if pending_only:
        qs = qs.filter(status=ChangeRequestStatus.PENDING)
    return qs.select_related("target_type", "submitted_by", "decided_by").order_by(
        "-created_at", "-pk"
    )


def portal_change_request(*, acting_user: User, clinic: Clinic, pk: int) -> ChangeRequest:
    """One change request of one of the acting user's clinics; 404 otherwise."""
    return get_object_or_404(portal_change_requests(acting_user=acting_user, clinic=clinic), pk=pk)


def portal_pending_change(
    *, acting_user: User, clinic: Clinic, target: Clinic | Offering | Doctor
) -> ChangeRequest | None:
    """The one pending change request for ``target`` (there is at most one), if any."""
    return (
        portal_change_requests(acting_user=acting_user, clinic=clinic, pending_only=True)
        .filter(target_type=ContentType.objects.get_for_model(target), target_id=target.pk)
        .first()
    )


def portal_reviews(*, acting_user: User, clinic: Clinic) -> QuerySet[Review]:
    """Published reviews of the clinic (exactly what the public sees), newest first."""
    return _scoped(
        Review.objects.filter(status=ReviewStatus.PUBLISHED), acting_user=acting_user, clinic=clinic
    ).order_by("-created_at", "-pk")


def portal_review(*, acting_user: User, clinic: Clinic, pk: int) -> Review:
    """One published review of one of the acting user's clinics; 404 otherwise."""
    return get_object_or_404(portal_reviews(acting_user=acting_user, clinic=clinic), pk=pk)


def portal_dashboard_counts(*, acting_user: User, clinic: Clinic) -> dict[str, int]:
    """Counts for the portal home: pending changes, live offerings, credentials to act on."""
    today = timezone.localdate()
    changes = _scoped(ChangeRequest.objects.all(), acting_user=acting_user, clinic=clinic)
    offerings = _scoped(Offering.objects.all(), acting_user=acting_user, clinic=clinic)
    credentials = _scoped(Credential.objects.all(), acting_user=acting_user, clinic=clinic)
    return {
        "pending_changes": changes.filter(status=ChangeRequestStatus.PENDING).count(),
        "live_offerings": offerings.filter(status=OfferingStatus.LIVE).count(),
        "expiring_credentials": credentials.expiring_within(30, today).not_renewed().count(),
        "expired_credentials": credentials.expired(today).not_renewed().count(),
        "pending_credentials": credentials.filter(status=CredentialStatus.PENDING).count(),
    }
