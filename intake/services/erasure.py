"""Erasure: the patient asks, staff confirm, and their data goes from every app.

``erasure_request`` records the patient's request (case page) and tells the
concierge. ``erasure_carry_out`` (the admin action) refuses while a legal hold
applies (each source names its holds; docs/intake.md "Patients' rights") and
otherwise, in one transaction: every source deletes its rows (higher apps
first), the simple-history versions of those rows are purged, the outbox rows
about them are cancelled and their recipients blanked, the admin log entries
about them go, the patient's stored sessions go; the files are deleted after
commit. What stays is the request itself as an anonymous tombstone and the
audit rows, which carry ids and actions only.
"""

from __future__ import annotations

import logging

from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Max, Min, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from core.audit import audit_event_record
from core.exceptions import DomainError
from core.models import Notification, NotificationStatus, User
from core.notifications.services import notify

from ..models import (
    OPEN_ERASURE_STATUSES,
    Case,
    ErasureRequest,
    ErasureStatus,
    Patient,
)
from ..patient_data import Erasure, LegalHold, model_label, patient_data_sources
from .export_content import historical_models, history_filter
from .retention import _delete_files

log = logging.getLogger(__name__)

REQUESTED_KIND = "intake.erasure_requested"
_HASH_SALT = "intake.erasure.reference"


def reference_hash(reference: str) -> str:
    """A keyed hash of a case reference: checkable, not reversible."""
    return salted_hmac(_HASH_SALT, reference.upper(), algorithm="sha256").hexdigest()


def erasure_holds(*, patient: Patient) -> list[LegalHold]:
    """Every legal hold that stops erasing ``patient`` today, from every source."""
    return [hold for source in patient_data_sources() for hold in source.holds(patient)]


@transaction.atomic(durable=True)
def erasure_request(*, case: Case, request: HttpRequest | None = None) -> ErasureRequest:
    """The patient of ``case`` asks us to erase their data; the concierge is told.

    Asking again while a request is open returns that request. Audit
    ``intake.erasure_requested``; a staff notice (reference only) is queued.
    """
    patient = Patient.objects.select_for_update().get(pk=case.patient_id)
    current = ErasureRequest.objects.filter(
        patient=patient, status__in=OPEN_ERASURE_STATUSES
    ).first()
    if current is not None:
        return current
    erasure = ErasureRequest(patient=patient)
    erasure.full_clean()
    erasure.save()
    audit_event_record(
        action="intake.erasure_requested",
        acting_user=None,
        actor_label="patient",
        target=erasure,
        request=request,
        data={"reference": case.reference, "erasure_id": erasure.pk},
    )
    notify(
        kind=REQUESTED_KIND,
        dedupe_key=f"{REQUESTED_KIND}:{erasure.pk}",
        about=erasure,
        to=settings.CONCIERGE_EMAIL,
    )
    return erasure


@transaction.atomic(durable=True)
def erasure_cancel(
    *, erasure: ErasureRequest, acting_user: User, request: HttpRequest | None = None
) -> ErasureRequest:
    """Staff close an open request without erasing (the patient changed their mind)."""
    locked = ErasureRequest.objects.select_for_update().get(pk=erasure.pk)
    old = locked.transition_to(ErasureStatus.CANCELLED)
    locked.decided_at = timezone.now()
    locked.decided_by = acting_user
    locked.save(update_fields=["status", "decided_at", "decided_by"])
    audit_event_record(
        action="intake.erasure_cancelled",
        acting_user=acting_user,
        target=locked,
        request=request,
        data={"erasure_id": locked.pk, "from": old},
    )
    return locked


@transaction.atomic(durable=True)
def erasure_carry_out(
    *, erasure: ErasureRequest, acting_user: User, request: HttpRequest | None = None
) -> ErasureRequest:
    """Staff confirm an erasure: refused (status ``held``) while a legal hold applies,
    otherwise the patient's data goes from every app and the request becomes the tombstone.

    Audit ``intake.erasure_held`` or ``intake.erasure_completed`` (ids and counts only).
    """
    locked = ErasureRequest.objects.select_for_update().get(pk=erasure.pk)
    if not locked.is_open or locked.patient_id is None:
        raise DomainError(_("This erasure request is not open."), code="not_open")
    patient = Patient.objects.select_for_update().get(pk=locked.patient_id)
    now = timezone.now()
    locked.decided_at = now
    locked.decided_by = acting_user
    holds = erasure_holds(patient=patient)
    if holds:
        if locked.status != ErasureStatus.HELD:
            locked.transition_to(ErasureStatus.HELD)
        locked.holds = [hold.as_data() for hold in holds]
        locked.save(update_fields=["status", "holds", "decided_at", "decided_by"])
        audit_event_record(
            action="intake.erasure_held",
            acting_user=acting_user,
            target=locked,
            request=request,
            data={"erasure_id": locked.pk, "holds": locked.holds},
        )
        return locked
    _tombstone(locked, patient)
    done = _erase_everywhere(patient)
    locked.transition_to(ErasureStatus.COMPLETED)
    locked.patient = None
    locked.holds = []
    locked.completed_at = timezone.now()
    locked.counts = {**done.counts(), "files": len(done.files), "bytes": done.bytes}
    locked.full_clean()
    locked.save()
    files = list(done.files)
    transaction.on_commit(lambda: _delete_files(files))
    audit_event_record(
        action="intake.erasure_completed",
        acting_user=acting_user,
        target=locked,
        request=request,
        data={"erasure_id": locked.pk, "counts": locked.counts},
    )
    return locked


def _tombstone(erasure: ErasureRequest, patient: Patient) -> None:
    cases = Case.objects.filter(patient=patient)
    references = cases.values_list("reference", flat=True)
    erasure.reference_hashes = [reference_hash(r) for r in references]
    span = cases.aggregate(first=Min("created_at"), last=Max("created_at"))
    erasure.first_case_on = span["first"].date() if span["first"] else None
    erasure.last_case_on = span["last"].date() if span["last"] else None


def _erase_everywhere(patient: Patient) -> Erasure:
    # Read before the sources erase them: the outbox is searched by these too.
    emails = {patient.email.lower()}
    if patient.user_id is not None:
        emails.add(User.objects.get(pk=patient.user_id).email.lower())
    user_id = patient.user_id
    erasure = Erasure(patient=patient)
    for source in patient_data_sources():
        source.erase(patient, erasure)
    _purge_history(erasure)
    _silence_outbox(erasure, emails=emails, user_id=user_id)
    _purge_admin_log(erasure)
    return erasure


def _purge_history(erasure: Erasure) -> None:
    """simple-history copies of the erased rows (every version, and the one a delete wrote)."""
    case_ids = list(erasure.rows.get(model_label(Case), ()))
    patient_ids = list(erasure.rows.get(model_label(Patient), ()))
    for model in historical_models():
        base = model_label(model.instance_type)  # type: ignore[attr-defined]
        query = history_filter(model, list(erasure.rows.get(base, ())), case_ids, patient_ids)
        if query is not None:
            erasure.delete(model._default_manager.filter(query))


def _refs(erasure: Erasure, type_field: str, id_field: str) -> Q:
    query = Q(pk__in=[])
    for label, pks in erasure.rows.items():
        model = apps.get_model(label)
        if hasattr(model, "instance_type") or not pks:
            continue
        content_type = ContentType.objects.get_for_model(model)
        query |= Q(**{type_field: content_type, f"{id_field}__in": [str(pk) for pk in pks]})
    return query


def _silence_outbox(erasure: Erasure, *, emails: set[str], user_id: int | None) -> None:
    """Cancel what is still to be sent about the patient; blank every recipient."""
    about = _refs(erasure, "about_type", "about_id")
    for email in emails:
        about |= Q(recipient_address__iexact=email)
    if user_id is not None:
        about |= Q(recipient_user_id=user_id)
    rows = Notification.objects.filter(about)
    S = NotificationStatus
    now = timezone.now()
    # An in-flight send finds its row no longer "sending" and does not mark it sent.
    rows.filter(status__in=(S.QUEUED, S.FAILED, S.SENDING)).update(
        status=S.CANCELLED,
        status_changed_at=now,
        lease_token="",
        lease_expires_at=None,
        last_error="erased",
    )
    ids = list(rows.values_list("pk", flat=True))
    Notification.objects.filter(pk__in=ids).update(
        recipient_address="", recipient_user=None, language="", time_zone=""
    )
    erasure.note(Notification, ids)


def _purge_admin_log(erasure: Erasure) -> None:
    # Django's admin log keeps each object's str() (a patient's name) with every change.
    erasure.delete(LogEntry.objects.filter(_refs(erasure, "content_type", "object_id")))
