"""``make_tenant``: one tenant of the security tests' world, written to the database.

A patient with a case shared with the tenant's clinic, and under it everything the
portal holds about a patient: documents, a message, a proposal, a booking with its
e-mailed link, a treatment plan and records, a follow-up schedule with an open and an
answered check-in, an adverse event and a staff task, an imaging zip; and the clinic's
private records: calendar, days off, credential with its document, change request,
review, vetting notes. Each free-text field that matters holds the tenant's marker of
its kind (``tests/security/world.py``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import models
from django.test import Client
from django.utils import timezone

from clinics.models import Clinic, Condition, CredentialNotice, Route
from clinics.services import change_request_submit
from consultations.models import Booking, DateException, PhaseKind, RecordStatus, TreatmentRecord
from consultations.services import booking_create, booking_link_issue, treatment_plan_create
from core.models import Notification, User
from followups.models import AdverseEvent, CheckIn, CheckInAnswer, StaffTask
from followups.services import checkin_link_issue, schedule_create
from intake.models import (
    Case,
    CaseMessage,
    CaseStatus,
    ClinicShare,
    Patient,
    Proposal,
    ProposedClinic,
    StudyArchive,
    StudyArchiveStatus,
    TokenPurpose,
)
from intake.services import access_token_issue, access_token_issue_for_session
from tests.clinics.factories import (
    CredentialFactory,
    DoctorFactory,
    OfferingFactory,
    ReviewFactory,
    VettingReviewFactory,
)
from tests.consultations.factories import ClinicHostFactory, ConsultationTypeFactory, weekly_hours
from tests.intake.factories import CaseDocumentFactory, CaseFactory, PatientFactory, make_draft

from .world import Marker, Tenant, audiences


def _pdf(marker: str) -> bytes:
    # Stored as is and streamed as is: the marker travels in the bytes of a download.
    return b"%PDF-1.4\n% " + marker.encode() + b"\n%%EOF\n"


def _answer(client: Client, check_in: CheckIn) -> None:
    """Answer a check-in as the patient does, with a fever on day two (an adverse event)."""
    quiet = {
        f"se_{name}": "0"
        for name in (
            "site_pain",
            "swelling",
            "redness",
            "bruising",
            "fatigue",
            "fever",
            "headache",
            "nausea",
            "rash",
        )
    }
    fever = {**quiet, "se_fever": "2", "still_fever": "on", "fever_over_48h": "on"}
    assert client.post(f"/follow-up/c/{checkin_link_issue(check_in=check_in, notification=None)}/")
    for page, answers in (
        (1, {"pain_now": "4", "pgic": "4", "function_limit": "4"}),
        (2, fever),
        (3, {"care_visit": "none", "contact_me": "on"}),
    ):
        response = client.post(f"/follow-up/check-in/{page}/", answers)
        assert response.status_code == 302, f"check-in page {page}: {response.status_code}"


def make_tenant(t: str, clinic: Clinic, staff: User, concierge: User, knee: Condition) -> Tenant:
    markers = {
        kind: Marker(text=f"qx{t}{kind}qx", tenant=t, kind=kind, audience=audience)
        for kind, audience in audiences(t).items()
    }
    mk = {kind: m.text for kind, m in markers.items()}
    today = timezone.localdate()
    patient = PatientFactory.create(
        full_name=f"Pat {mk['patient']}", email=f"{mk['patient']}@patients.example"
    )
    clinical = {
        name: mk["clinical"]
        for name in (
            "symptoms",
            "functional_impact",
            "goals",
            "other_conditions",
            "current_medications",
        )
    }
    case = CaseFactory.create(
        patient=patient,
        condition=knee,
        status=CaseStatus.MATCHED,
        preferred_clinic=clinic,
        **clinical,
    )
    # A later edit, as the wizard saves each step: the history holds a before and after.
    case.symptoms = f"{mk['clinical']} (updated)"
    case.save()
    document = CaseDocumentFactory.create(
        case=case, data=_pdf(mk["document"]), original_name=f"{mk['document']}.pdf"
    )
    message = CaseMessage.objects.create(case=case, sender="patient", body=mk["message"])
    proposal = Proposal.objects.create(
        case=case,
        status="sent",
        sent_at=timezone.now(),
        note_to_patient=mk["proposal"],
        created_by=concierge,
    )
    ProposedClinic.objects.create(
        proposal=proposal, clinic=clinic, score=80, position=1, staff_note=mk["staffnote"]
    )
    share = ClinicShare.objects.create(case=case, clinic=clinic)
    case_token = access_token_issue_for_session(
        case=case, purpose=TokenPurpose.CASE, acting_user=None
    )
    raw_case_link = access_token_issue(case=case, purpose=TokenPurpose.CASE, acting_user=None)

    host = ClinicHostFactory.create(clinic=clinic, time_zone=str(clinic.time_zone))
    rules = weekly_hours(host, dt.time(8), dt.time(20))
    ctype = ConsultationTypeFactory.create(host=host, name=f"Call {t.upper()}")
    start = dt.datetime.combine(today + dt.timedelta(days=4), dt.time(10), tzinfo=host.zone)
    booking = booking_create(
        case=case,
        consultation_type=ctype,
        start=start,
        acting_user=concierge,
        question=mk["booking"],
    )
    day_off = DateException.objects.create(
        host=host, date=today + dt.timedelta(days=60), reason=mk["dayoff"]
    )
    offering = OfferingFactory.create(clinic=clinic, conditions=[knee])
    doctor = DoctorFactory.create(clinic=clinic)
    plan = treatment_plan_create(
        case=case,
        clinic=clinic,
        offering=offering,
        harvest_date=today + dt.timedelta(days=20),
        arrival_date=today + dt.timedelta(days=60),
        treatment_date=today + dt.timedelta(days=62),
        departure_date=today + dt.timedelta(days=65),
        notes=mk["plan"],
        acting_user=staff,
    )
    record = TreatmentRecord.objects.create(
        case=case,
        clinic=clinic,
        offering=offering,
        plan=plan,
        kind=PhaseKind.TREATMENT,
        status=RecordStatus.DRAFT,
        treated_on=today,
        cell_count_millions=Decimal("50"),
        route=Route.JOINT,
        site="left knee",
        cell_lot="LOT-1",
        notes=mk["record"],
    )
    treated = TreatmentRecord.objects.create(
        case=case,
        clinic=clinic,
        offering=offering,
        kind=PhaseKind.TREATMENT,
        status=RecordStatus.COMPLETED,
        completed_at=timezone.now(),
        treated_on=today - dt.timedelta(days=8),
        cell_count_millions=Decimal("50"),
        route=Route.JOINT,
        site="right knee",
        cell_lot="LOT-2",
        notes=mk["record"],
    )
    schedule = schedule_create(treatment=treated, acting_user=None)
    assert schedule is not None
    open_one, answered = list(schedule.check_ins.order_by("due_at")[:2])
    _answer(Client(), answered)
    CheckInAnswer.objects.filter(check_in=answered).update(anything_else=mk["answer"])
    event = AdverseEvent.objects.get(check_in=answered)
    AdverseEvent.objects.filter(pk=event.pk).update(action_taken=mk["event"])
    task = StaffTask.objects.filter(check_in=answered).first()
    assert task is not None, "asking to be contacted opens a staff task"
    StaffTask.objects.filter(pk=task.pk).update(note=mk["task"])
    archive = StudyArchive.objects.create(
        case=case,
        clinic=clinic,
        requested_by=staff,
        status=StudyArchiveStatus.READY,
        ready_at=timezone.now(),
        expires_at=timezone.now() + dt.timedelta(hours=2),
        file=ContentFile(b"PK\x03\x04 " + mk["imagingzip"].encode(), name="intake/test/x.zip"),
        file_count=1,
    )
    draft = make_draft(condition=knee, symptoms=mk["draft"])
    draft_document = CaseDocumentFactory.create(case=draft, data=_pdf(mk["draft"]))

    credential = CredentialFactory.create(
        clinic=clinic,
        decision_note=mk["credential"],
        document=ContentFile(_pdf(mk["credential"]), name="credential.pdf"),
    )
    notice = CredentialNotice.objects.create(credential=credential, kind="expiring")
    change = change_request_submit(
        clinic=clinic, target=offering, changes={"price_max": "9500"}, acting_user=staff
    )
    review = ReviewFactory.create(clinic=clinic, moderation_note=mk["moderation"])
    vetting = VettingReviewFactory.create(clinic=clinic, notes=mk["vetting"])
    notification = Notification.objects.filter(
        about_type=ContentType.objects.get_for_model(Booking), about_id=str(booking.pk)
    ).first()
    assert notification is not None, "a booking queues its confirmation"
    return Tenant(
        key=t,
        clinic=clinic,
        staff=staff,
        markers=markers,
        patient=patient,
        case=case,
        case_token=case_token,
        document=document,
        message=message,
        proposal=proposal,
        share=share,
        host=host,
        rule_pk=rules[0].pk,
        doctor_pk=doctor.pk,
        ctype_pk=ctype.pk,
        booking=booking,
        booking_token=booking_link_issue(booking=booking),
        day_off=day_off,
        offering=offering,
        plan=plan,
        phase=plan.phases.order_by("pk").first(),  # type: ignore[arg-type]
        record=record,
        schedule=schedule,
        check_in=open_one,
        answered=answered,
        checkin_token=checkin_link_issue(check_in=open_one, notification=None),
        event=event,
        task=task,
        archive=archive,
        draft=draft,
        draft_document=draft_document,
        credential=credential,
        notice=notice,
        change=change,
        review=review,
        vetting=vetting,
        notification=notification,
        raw_case_link=raw_case_link,
        extra=_rights_rows(patient, case),
    )


def _rights_rows(patient: Patient, case: Case) -> dict[str, models.Model]:
    """An export and an erasure request, where the patients' rights models exist."""
    rows: dict[str, models.Model] = {}
    try:
        export_model = apps.get_model("intake", "DataExport")
        erasure_model = apps.get_model("intake", "ErasureRequest")
    except LookupError:
        return rows
    export = export_model.objects.create(
        patient=patient, case=case, expires_at=timezone.now() + dt.timedelta(days=1)
    )
    erasure = erasure_model.objects.create(patient=patient)
    return {str(row._meta.label): row for row in (export, erasure)}
