"""The demo the page walks open: the seed, plus a patient's draft and signed-in sessions.

``build_demo()`` seeds conditions, clinics and cases as ``make run`` does, then adds what
a walk needs that the seed does not make: a draft at its last step with a document, a
clinic-staff login that manages two clinics (so the portal asks which), a case shared
with one of them, and fresh magic links. ``sessions()`` returns a Django test client per
role, signed in or holding the patient's links, whose cookie a browser can carry too.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.test import Client
from django.utils import translation

from clinics import demo as clinics_demo
from clinics.models import ChangeRequest, ChangeRequestStatus, Clinic, ClinicMembership, Review
from core.models import User
from followups.views import SESSION_CHECKIN
from intake import demo as intake_demo
from intake.models import Case, CaseStatus, TokenPurpose
from intake.selectors import SESSION_CASES, SESSION_DONE, SESSION_DRAFT
from intake.services import access_token_issue, access_token_issue_for_session
from tests.intake.factories import make_document, make_draft
from tests.intake.staff_factories import PdfRecordFactory, shared_case

from .routes import CLINIC_STAFF, PATIENT, Demo

STAFF_EMAIL = "staff@regenera.example"  # a seeded clinic-staff login
QUIET = {
    f"se_{effect}": "0"
    for effect in (
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
FEVER = {**QUIET, "se_fever": "2", "still_fever": "on", "fever_over_48h": "on"}


@dataclass
class Seeded:
    demo: Demo
    staff: User
    draft: Case
    case: Case
    check_in_pk: int
    answered_pk: int


def _consultations(clinic: Clinic, case: Case) -> dict[str, object]:
    """The consultations demo (calendars, bookings, plans) and what its pages need."""
    import datetime as dt

    from django.utils import timezone

    from consultations import demo as consultations_demo
    from consultations.models import (
        Booking,
        ConsultationType,
        DateException,
        Host,
        TreatmentPlan,
        TreatmentRecord,
    )
    from consultations.services.links import booking_link_issue

    consultations_demo.seed_consultations()
    booking = Booking.objects.filter(case=case).order_by("start_at").first()
    concierge_call = ConsultationType.objects.filter(host__clinic__isnull=True).first()
    host = Host.objects.filter(clinic=clinic).first()
    plan = TreatmentPlan.objects.filter(clinic=clinic).first()
    assert booking and concierge_call and host and plan, "the consultations demo"
    day_off, _created = DateException.objects.get_or_create(
        host=host,
        date=timezone.localdate() + dt.timedelta(days=40),
        defaults={"reason": "Conference"},
    )
    record = TreatmentRecord.objects.filter(clinic=clinic).first()
    return {
        "booking_pk": booking.pk,
        "booking_token": booking_link_issue(booking=booking),
        "concierge_type_pk": concierge_call.pk,
        "clinic_booking_pk": Booking.objects.filter(host__clinic=clinic).first().pk,  # type: ignore[union-attr]
        "rule_pk": host.rules.first().pk,  # type: ignore[union-attr]
        "day_off_pk": day_off.pk,
        "type_pk": host.types.first().pk,  # type: ignore[union-attr]
        "plan_reference": plan.case.reference,
        "phase_pk": plan.phases.first().pk,  # type: ignore[union-attr]
        "record_pk": record.pk if record else plan.pk,
    }


def _follow_ups(clinic: Clinic) -> tuple[dict[str, object], int, int]:
    """Two treated patients of ``clinic``: one check-in open, one answered with a fever
    (an adverse event for the clinic to rate)."""
    import datetime as dt

    from django.utils import timezone

    from followups.instruments import TimePoint
    from followups.links import stop_token
    from followups.models import AdverseEvent
    from followups.services.checkins import checkin_link_issue
    from tests.followups.factories import first_checkin, scheduled

    # Treated with the clinic's own seeded offering: a factory offering would add a
    # "Condition 3" to its public profile.
    offering = clinic.offerings.first()
    assert offering is not None
    condition = offering.conditions.first()
    open_one = first_checkin(scheduled(clinic, offering=offering, condition=condition))
    # The one-week check-in, answered: its "done" page invites a review of the clinic.
    week_ago = timezone.localdate() - dt.timedelta(days=8)
    answered = scheduled(
        clinic, offering=offering, condition=condition, treated_on=week_ago
    ).check_ins.get(time_point=TimePoint.WEEK_1)
    patient = Client()
    assert patient.post(f"/follow-up/c/{checkin_link_issue(check_in=answered, notification=None)}/")
    for page, answers in (
        (1, {"pain_now": "4", "pgic": "4", "function_limit": "4"}),
        (2, FEVER),
        (3, {"care_visit": "none"}),
    ):
        response = patient.post(f"/follow-up/check-in/{page}/", answers)
        assert response.status_code == 302, f"check-in page {page}: {response.status_code}"
    event = AdverseEvent.objects.filter(clinic=clinic).first()
    assert event is not None, "a fever on day two is an adverse event"
    sources = {
        "checkin_token": checkin_link_issue(check_in=open_one, notification=None),
        "stop_token": stop_token(open_one.schedule),
        "event_pk": event.pk,
    }
    return sources, open_one.pk, answered.pk


def build_demo() -> Seeded:
    """Seed the demo (as ``make run`` does) and add a draft, a share and magic links."""
    with translation.override(settings.LANGUAGE_CODE):
        clinics_demo.seed_conditions()
        clinics_demo.seed_clinics()
        intake_demo.seed_cases()
    staff = User.objects.get(email=STAFF_EMAIL)
    own = Clinic.objects.get(memberships__user=staff)
    second = Clinic.objects.get(slug="costa-rica-regenerative-institute")
    ClinicMembership.objects.get_or_create(user=staff, clinic=second)
    shared = shared_case(second, condition=own.offerings.first().conditions.first())  # type: ignore[union-attr]

    case = Case.objects.filter(status=CaseStatus.MATCHED).order_by("submitted_at").first()
    assert case is not None, "the seed makes a matched case with proposed clinics"
    case_document = case.documents.first() or PdfRecordFactory.create(case=case)
    draft = make_draft(condition=case.condition)
    draft_document = make_document(case=draft)

    change = ChangeRequest.objects.filter(clinic=own, status=ChangeRequestStatus.PENDING).first()
    review = Review.objects.filter(clinic=own, reply_body="").first()
    credential = own.credentials.first()
    assert change and review and credential, "the seed gives the clinic a change, a review"
    follow_ups, check_in_pk, answered_pk = _follow_ups(own)
    consultations = _consultations(own, case)
    demo = Demo(
        public_slug=own.slug,
        staff_slug=own.slug,
        offering_pk=own.offerings.first().pk,  # type: ignore[union-attr]
        doctor_pk=own.doctors.first().pk,  # type: ignore[union-attr]
        change_pk=change.pk,
        review_pk=review.pk,
        draft_pk=draft.pk,
        case_reference=case.reference,
        shared_reference=shared.reference,
        resume_token=access_token_issue(case=draft, purpose=TokenPurpose.RESUME, acting_user=None),
        case_token=access_token_issue(case=case, purpose=TokenPurpose.CASE, acting_user=None),
        extra={
            "credential_pk": credential.pk,
            "shared_document_id": shared.documents.first().pk,  # type: ignore[union-attr]
            "case_document_id": case_document.pk,
            "draft_document_id": draft_document.pk,
            **follow_ups,
            **consultations,
        },
    )
    return Seeded(
        demo=demo,
        staff=staff,
        draft=draft,
        case=case,
        check_in_pk=check_in_pk,
        answered_pk=answered_pk,
    )


def sessions(seeded: Seeded) -> dict[str, Client]:
    """A client per role: the patient's (draft, case link, finished assessment) and staff's."""
    patient = Client()
    session = patient.session
    token = access_token_issue_for_session(
        case=seeded.case, purpose=TokenPurpose.CASE, acting_user=None
    )
    session[SESSION_DRAFT] = seeded.draft.pk
    session[SESSION_CASES] = {seeded.case.reference: token.pk}
    session[SESSION_DONE] = seeded.case.reference
    # A check-in in progress and one just sent, as the follow-up pages keep them.
    session[SESSION_CHECKIN] = seeded.check_in_pk
    session["followups_done"] = seeded.answered_pk
    session.save()
    staff = Client()
    staff.force_login(seeded.staff)
    return {PATIENT: patient, CLINIC_STAFF: staff}


def session_cookie(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def with_language(client: Client, language: str) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client
