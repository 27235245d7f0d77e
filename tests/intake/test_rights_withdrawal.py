"""Withdrawing consent stops every e-mail and every share at once, in every app.

Every notification kind of intake, consultations and follow-ups is queued about
the patient (each wanted before the withdrawal); after the patient withdraws on
their case page, the outbox sends none of them. A kind added later fails the
coverage test until it is queued here too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from consultations.models import Booking, PhaseKind, TreatmentPhase, TreatmentPlan
from core.models import Notification, NotificationStatus
from core.notifications.kinds import kind_for, registered_kinds
from core.notifications.services import notify, outbox_drain
from followups.models import CheckIn, CheckInStatus
from intake.models import ClinicShare, Proposal
from intake.services.data_export import data_export_build, data_export_request
from tests.conftest import Personas
from tests.consultations.factories import ConsultationTypeFactory

from .rights_data import MARK_EMAIL, RichPatient, rich_patient

pytestmark = pytest.mark.django_db

APPS = ("intake.", "consultations.", "followups.")
# Still sent after a withdrawal, and why.
STILL_SENT = {
    # The patient's own request to erase their data must still reach staff; it names nobody.
    "intake.erasure_requested": "the patient's erasure request",
    # A red flag the patient reported is a safety matter: the concierge on duty is still
    # told (a reference and what was reported; the clinic is not).
    "followups.adverse_event_staff": "the adverse-event alert to the concierge on duty",
}
# Never wanted for a submitted case, withdrawn or not: a draft's resume link.
DRAFTS_ONLY = {"intake.resume_link"}


def _future_booking(rich: RichPatient) -> Booking:
    kind = ConsultationTypeFactory.create()
    start = timezone.now() + dt.timedelta(days=5)
    end = start + dt.timedelta(minutes=30)
    return Booking.objects.create(
        host=kind.host,
        consultation_type=kind,
        case=rich.case,
        status="confirmed",
        start_at=start,
        end_at=end,
        blocked_start=start,
        blocked_end=end,
        modality=kind.modality,
        patient_time_zone="Europe/London",
    )


def _planned_phase(rich: RichPatient) -> TreatmentPhase:
    day = timezone.localdate() + dt.timedelta(days=20)
    plan = TreatmentPlan.objects.create(
        case=rich.case,
        clinic=rich.record.clinic,
        offering=rich.record.offering,
        arrival_date=day,
        departure_date=day + dt.timedelta(days=3),
    )
    return TreatmentPhase.objects.create(plan=plan, kind=PhaseKind.TREATMENT, planned_date=day)


def queue_every_kind(
    rich: RichPatient, personas: Personas, capture: Callable[..., Any]
) -> dict[str, Notification]:
    """One queued notification of every kind, about this patient's rows."""
    booking = _future_booking(rich)
    phase = _planned_phase(rich)
    check_in = CheckIn.objects.filter(
        schedule__case=rich.case, status=CheckInStatus.SCHEDULED
    ).first()
    with capture(execute=False):
        export = data_export_request(case=rich.case)
    data_export_build(export_id=export.pk)
    message = rich.case.messages.first()
    proposal = Proposal.objects.get(case=rich.case)
    erasure = rich.patient.erasure_requests.get()
    start = {"sequence": booking.sequence, "start": booking.start_at.isoformat()}
    staff = personas.concierge.email
    about: dict[str, tuple[Any, Any, dict[str, Any]]] = {
        "intake.acknowledgement": (rich.case, None, {}),
        "intake.resume_link": (rich.case, None, {}),
        "intake.case_link": (rich.case, None, {}),
        "intake.data_export_ready": (export, None, {}),
        "intake.proposal_ready": (proposal, None, {}),
        "intake.new_case": (rich.case, staff, {}),
        "intake.patient_message": (message, staff, {}),
        "intake.erasure_requested": (erasure, staff, {}),
        "consultations.booking_requested": (booking, None, start),
        "consultations.booking_confirmed": (booking, None, start),
        "consultations.booking_updated": (booking, None, start),
        "consultations.booking_cancelled": (booking, None, start),
        "consultations.booking_reminder": (booking, None, start),
        "consultations.pretreatment": (
            phase,
            None,
            {"planned_date": phase.planned_date.isoformat()},
        ),
        "followups.checkin_invite": (check_in, None, {}),
        "followups.checkin_reminder": (check_in, None, {}),
        "followups.adverse_event_staff": (rich.event, staff, {}),
        "followups.adverse_event_clinic": (rich.event, personas.clinic_a_staff.email, {}),
    }
    # Only what this test queues may be in the outbox.
    Notification.objects.all().delete()
    queued = {}
    for name, (obj, to, data) in about.items():
        queued[name] = notify(
            kind=name, dedupe_key=f"withdrawal-test:{name}", about=obj, to=to, data=data
        )
    return queued


@pytest.fixture
def rich(personas: Personas) -> RichPatient:
    return rich_patient(clinic=personas.clinic_a, staff=personas.concierge)


def test_every_kind_of_the_patient_facing_apps_is_exercised(
    rich: RichPatient, personas: Personas, django_capture_on_commit_callbacks: Any
) -> None:
    queued = queue_every_kind(rich, personas, django_capture_on_commit_callbacks)
    kinds = {name for name in registered_kinds() if name.startswith(APPS)}
    assert kinds == set(queued), "queue the new kind in queue_every_kind()"


def test_nothing_is_sent_after_the_patient_withdraws(
    rich: RichPatient,
    personas: Personas,
    case_client: Callable[..., Client],
    django_capture_on_commit_callbacks: Any,
    figure: Any,
) -> None:
    """
    GIVEN one queued e-mail of every kind about a patient, each wanted right now
    WHEN the patient withdraws on their case page
    THEN the outbox sends none of them (but the patient's own erasure request and an open
    adverse event's alert, both to staff),
    and no clinic can open the case any more
    """
    queued = queue_every_kind(rich, personas, django_capture_on_commit_callbacks)
    for name, notification in queued.items():
        kind = kind_for(name)
        assert kind is not None
        wanted = kind.is_wanted(notification, kind.about(notification))
        assert wanted is (name not in DRAFTS_ONLY), name
    portal = Client()
    portal.force_login(personas.clinic_a_staff)
    assert portal.get(f"/portal/cases/{rich.case.reference}/").status_code == 200

    browser = case_client(rich.case)
    response = browser.post(f"/intake/case/{rich.case.reference}/withdraw/", {"confirm": "on"})
    assert response.status_code == 200
    mail.outbox.clear()
    report = outbox_drain()

    sent = Notification.objects.filter(status=NotificationStatus.SENT)
    assert set(sent.values_list("kind", flat=True)) == set(STILL_SENT)
    cancelled = Notification.objects.filter(status=NotificationStatus.CANCELLED)
    assert cancelled.count() == len(queued) - len(STILL_SENT)
    recipients = {address for message in mail.outbox for address in message.to}
    assert MARK_EMAIL not in recipients and personas.clinic_a_staff.email not in recipients
    assert not ClinicShare.objects.active().filter(case=rich.case).exists()
    assert portal.get(f"/portal/cases/{rich.case.reference}/").status_code == 404
    figure(
        "rights.withdrawal", kinds=len(queued), sent_after=report.sent, cancelled=report.cancelled
    )
