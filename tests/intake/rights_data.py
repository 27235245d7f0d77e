"""A patient with a row in every model that refers to a patient, each carrying marker strings.

Used by the export walk (every such model must reach the export) and the
erasure scan (no marker may survive anywhere). A new model that refers to a
patient needs a row here too: the walk says so when it is missing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.mfa.models import Authenticator
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

from clinics.models import Clinic, Route
from clinics.services.reviews import review_submit
from consultations.models import (
    Booking,
    BookingEvent,
    PhaseKind,
    RecordStatus,
    TreatmentPhase,
    TreatmentPlan,
    TreatmentRecord,
)
from consultations.services.links import booking_link_issue
from core.models import Role, User
from followups.models import AdverseEvent, CheckIn, EventStatus, StaffTask, TaskKind
from followups.services import schedule_create
from followups.services.checkins import checkin_link_issue, checkin_page_save, checkin_submit
from intake.models import (
    Case,
    CaseDocument,
    CaseMessage,
    CaseStatus,
    DocumentType,
    MessageSender,
    Patient,
    StudyArchive,
    StudyArchiveStatus,
    TokenPurpose,
)
from intake.selectors import SESSION_CASES, SESSION_STASH
from intake.services import access_token_issue, clinic_share_grant
from intake.services.erasure import erasure_request
from tests.clinics.factories import OfferingFactory
from tests.consultations.factories import ConsultationTypeFactory
from tests.factories import UserFactory

from .factories import make_case, make_document, make_patient, make_proposal, make_proposed_clinic
from .files import pdf_bytes

MARK_NAME = "Zanzibar Quokkaface"
MARK_EMAIL = "quokka.marker@patients.example"
MARK_TEXT = "QUOKKA-FREE-TEXT-7Q3"
MARK_FILE = "QUOKKA-FILE-BYTES-9Z1"
MARKERS = (MARK_NAME, MARK_EMAIL, MARK_TEXT, MARK_FILE)


@dataclass
class RichPatient:
    patient: Patient
    case: Case
    user: User
    document: CaseDocument
    record: TreatmentRecord
    event: AdverseEvent
    session_key: str


def rich_patient(*, clinic: Clinic, staff: User) -> RichPatient:
    """Alice-like, but with everything: login, review, booking, treatment, check-ins."""
    user = UserFactory.create(email=MARK_EMAIL, full_name=MARK_NAME, roles=[Role.PATIENT])
    patient = make_patient(user=user, full_name=MARK_NAME, email=MARK_EMAIL, phone="+442079460001")
    case = make_case(
        patient=patient, status=CaseStatus.MATCHED, symptoms=MARK_TEXT, preferred_clinic=clinic
    )
    document = make_document(
        case=case,
        doc_type=DocumentType.MRI,
        data=pdf_bytes(MARK_FILE),
        original_name=f"{MARK_TEXT}.pdf",
    )
    CaseMessage.objects.create(case=case, sender=MessageSender.PATIENT, body=MARK_TEXT)
    access_token_issue(case=case, purpose=TokenPurpose.CASE, acting_user=None)
    proposal = make_proposal(case=case, note_to_patient=MARK_TEXT)
    make_proposed_clinic(proposal=proposal, clinic=clinic, staff_note=MARK_TEXT)
    clinic_share_grant(case=case, clinic=clinic)
    StudyArchive.objects.create(
        case=case,
        clinic=clinic,
        status=StudyArchiveStatus.FAILED,
        failure="build_error",
        expires_at=timezone.now() + dt.timedelta(hours=1),
    )
    _login_rows(user)
    record = _consultation_rows(case, clinic, document)
    event = _followup_rows(record)
    review_submit(
        clinic=clinic,
        author=user,
        rating=4,
        body=MARK_TEXT,
        author_display_name=MARK_NAME,
        acting_user=user,
        treatment_ref=record.treatment_ref,
    )
    LogEntry.objects.create(
        user=staff,
        content_type=ContentType.objects.get_for_model(Patient),
        object_id=str(patient.pk),
        object_repr=MARK_NAME,
        action_flag=CHANGE,
        change_message="[]",
    )
    erasure_request(case=case)
    session = SessionStore()
    session[SESSION_CASES] = {case.reference: case.access_tokens.latest("pk").pk}
    session[SESSION_STASH] = {f"{case.pk}:about": {"full_name": [MARK_NAME]}}
    session.create()
    return RichPatient(patient, case, user, document, record, event, session.session_key or "")


def _login_rows(user: User) -> None:
    address = EmailAddress.objects.create(user=user, email=MARK_EMAIL, verified=True, primary=True)
    EmailConfirmation.objects.create(email_address=address, key="k" * 64, sent=timezone.now())
    Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
    )


def _consultation_rows(case: Case, clinic: Clinic, document: CaseDocument) -> TreatmentRecord:
    kind = ConsultationTypeFactory.create()
    start = timezone.now() - dt.timedelta(days=40)
    booking = Booking.objects.create(
        host=kind.host,
        consultation_type=kind,
        case=case,
        status="completed",
        start_at=start,
        end_at=start + dt.timedelta(minutes=30),
        blocked_start=start,
        blocked_end=start + dt.timedelta(minutes=30),
        question=MARK_TEXT,
        document=document,
        modality=kind.modality,
        patient_time_zone="Europe/London",
    )
    BookingEvent.objects.create(
        booking=booking, action="booked", actor_label="patient", reason=MARK_TEXT
    )
    booking_link_issue(booking=booking)
    offering = OfferingFactory.create(clinic=clinic)
    treated_on = timezone.localdate() - dt.timedelta(days=30)
    plan = TreatmentPlan.objects.create(
        case=case,
        clinic=clinic,
        offering=offering,
        status="completed",
        arrival_date=treated_on - dt.timedelta(days=1),
        departure_date=treated_on + dt.timedelta(days=2),
        notes=MARK_TEXT,
    )
    TreatmentPhase.objects.create(
        plan=plan, kind=PhaseKind.TREATMENT, planned_date=treated_on, booking=booking
    )
    return TreatmentRecord.objects.create(
        case=case,
        clinic=clinic,
        offering=offering,
        plan=plan,
        status=RecordStatus.COMPLETED,
        completed_at=timezone.now(),
        treated_on=treated_on,
        cell_count_millions=Decimal("50"),
        route=Route.JOINT,
        site="right knee",
        cell_lot="LOT-7",
        notes=MARK_TEXT,
    )


def _followup_rows(record: TreatmentRecord) -> AdverseEvent:
    schedule = schedule_create(treatment=record, acting_user=None)
    assert schedule is not None
    check_in = schedule.check_ins.order_by("due_at").first()
    assert check_in is not None
    CheckIn.objects.filter(pk=check_in.pk).update(status="invited", invited_at=timezone.now())
    checkin_link_issue(check_in=check_in, notification=None)
    values: dict[str, Any] = {
        "pain_now": 6,
        "fever_over_48h": True,
        "anything_else": MARK_TEXT,
        "contact_me": True,
    }
    checkin_page_save(check_in=check_in, page=3, values=values)
    checkin_submit(check_in=check_in)
    StaffTask.objects.filter(check_in=check_in).update(note=MARK_TEXT)
    event = AdverseEvent.objects.get(check_in=check_in)
    # Graded and closed: no legal hold stands in the erasure's way.
    AdverseEvent.objects.filter(pk=event.pk).update(
        status=EventStatus.CLOSED,
        ctcae_grade=1,
        relatedness="possible",
        outcome="recovered",
        action_taken=MARK_TEXT,
        graded_at=timezone.now(),
        closed_at=timezone.now(),
    )
    assert StaffTask.objects.filter(check_in=check_in, kind=TaskKind.CONTACT_REQUEST).exists()
    event.refresh_from_db()
    return event
