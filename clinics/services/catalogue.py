"""Offerings and the medical team: creating, withdrawing, staff edits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from core.audit import audit_event_record
from core.models import User

from ..models import ChangeRequest, Clinic, Condition, Doctor, Offering, OfferingStatus
from ..public_cache import public_pages_changed
from ._change_targets import _validate_conditions, refresh_usd
from ._common import (
    assign,
    is_independent_staff,
    m2m_ids,
    refuse_fields,
    require_active_member_or_staff,
    require_independent_staff,
    require_member_or_staff,
)
from .changes import create_request_for_new


@transaction.atomic
def offering_create(
    *,
    clinic: Clinic,
    data: dict[str, Any],
    conditions: Iterable[Condition | int],
    acting_user: User | None,
    request: HttpRequest | None = None,
) -> tuple[Offering, ChangeRequest | None]:
    """Add an offering. From a clinic user it waits for staff (pending + CREATE request);
    from staff it is published at once. Side effects: audit row.
    """
    require_active_member_or_staff(acting_user, clinic)
    allowed = (Offering.VETTED_FACT_FIELDS | Offering.COSMETIC_FIELDS) - {"conditions"}
    refuse_fields(Offering, set(data), allowed)
    offering = Offering(clinic=clinic)
    for name, value in data.items():
        assign(offering, name, value)
    # Staff who belong to the clinic propose like its other members: no self-vetting.
    staff = is_independent_staff(acting_user, clinic.pk)
    offering.status = OfferingStatus.LIVE if staff else OfferingStatus.PENDING
    refresh_usd(offering)
    ids = m2m_ids(conditions)
    _validate_conditions(ids)
    offering.full_clean()
    offering.save()
    offering.conditions.set(ids)
    cr = (
        None
        if staff
        else create_request_for_new(
            clinic=clinic, target=offering, acting_user=acting_user, request=request
        )
    )
    public_pages_changed()
    audit_event_record(
        action="clinics.offering.created",
        acting_user=acting_user,
        target=offering,
        request=request,
        data={"clinic": clinic.pk, "status": offering.status},
    )
    return offering, cr


@transaction.atomic
def offering_withdraw(
    *, offering: Offering, acting_user: User | None, request: HttpRequest | None = None
) -> Offering:
    """Take an offering off the public profile at once (removing a claim needs no vetting)."""
    require_member_or_staff(acting_user, offering.clinic)
    offering = Offering.objects.select_for_update().get(pk=offering.pk)
    if offering.status == OfferingStatus.WITHDRAWN:
        return offering
    previous = offering.status
    offering.status = OfferingStatus.WITHDRAWN
    offering.save(update_fields=["status", "updated_at"])
    public_pages_changed()
    audit_event_record(
        action="clinics.offering.withdrawn",
        acting_user=acting_user,
        target=offering,
        request=request,
        data={"clinic": offering.clinic_id, "from": previous},
    )
    return offering


@transaction.atomic
def offering_staff_save(
    *,
    offering: Offering,
    changed_fields: Iterable[str],
    acting_user: User | None,
    request: HttpRequest | None = None,
) -> Offering:
    """Save a staff edit from the admin: recompute USD, validate, audit the field names."""
    require_independent_staff(acting_user, offering.clinic_id)
    refresh_usd(offering)
    offering.full_clean(exclude=["conditions"])
    created = offering.pk is None
    offering.save()
    public_pages_changed()
    audit_event_record(
        action="clinics.offering.created" if created else "clinics.offering.staff_edited",
        acting_user=acting_user,
        target=offering,
        request=request,
        data={
            "clinic": offering.clinic_id,
            "fields": sorted(changed_fields),
            "status": offering.status,
        },
    )
    return offering


@transaction.atomic
def doctor_propose(
    *,
    clinic: Clinic,
    data: dict[str, Any],
    acting_user: User | None,
    request: HttpRequest | None = None,
) -> tuple[Doctor, ChangeRequest | None]:
    """Add a doctor to the team: a clinic user's proposal waits for staff to check the licence."""
    require_active_member_or_staff(acting_user, clinic)
    refuse_fields(Doctor, set(data), Doctor.VETTED_FACT_FIELDS | Doctor.COSMETIC_FIELDS)
    doctor = Doctor(clinic=clinic)
    for name, value in data.items():
        assign(doctor, name, value)
    # Staff who belong to the clinic propose like its other members: no self-vetting.
    staff = is_independent_staff(acting_user, clinic.pk)
    if staff:
        doctor.is_active = True
        doctor.verified_at = timezone.now()
        doctor.verified_by = acting_user
    doctor.full_clean()
    doctor.save()
    cr = (
        None
        if staff
        else create_request_for_new(
            clinic=clinic, target=doctor, acting_user=acting_user, request=request
        )
    )
    public_pages_changed()
    audit_event_record(
        action="clinics.doctor.added",
        acting_user=acting_user,
        target=doctor,
        request=request,
        data={"clinic": clinic.pk, "active": doctor.is_active},
    )
    return doctor, cr


@transaction.atomic
def doctor_remove(
    *, doctor: Doctor, acting_user: User | None, request: HttpRequest | None = None
) -> Doctor:
    """Take a doctor off the published team at once."""
    require_member_or_staff(acting_user, doctor.clinic)
    doctor = Doctor.objects.select_for_update().get(pk=doctor.pk)
    if doctor.is_active:
        doctor.is_active = False
        doctor.save(update_fields=["is_active", "updated_at"])
        public_pages_changed()
        audit_event_record(
            action="clinics.doctor.removed",
            acting_user=acting_user,
            target=doctor,
            request=request,
            data={"clinic": doctor.clinic_id},
        )
    return doctor
