"""The security tests' world: its actors, its markers and the shape of its data.

``tests/security/builder.py`` fills a ``World``: two tenants, clinic A and clinic B, each a
``Tenant`` holding everything the portal keeps about one patient and one clinic, and a
browser (``Client``) per actor.

Every free-text field that matters holds a *marker*: a short unique string such as
``qxaclinicalqx`` (tenant ``a``, kind ``clinical``). ``Marker.audience`` names the
actors who may ever read it (``audiences``); the access matrix fails if any other actor's
response contains it, and the audit-coverage test fails if an audit row does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.test import Client

from clinics.models import (
    ChangeRequest,
    Clinic,
    Credential,
    CredentialNotice,
    Offering,
    Review,
    VettingReview,
)
from consultations.models import (
    Booking,
    DateException,
    Host,
    TreatmentPhase,
    TreatmentPlan,
    TreatmentRecord,
)
from core.models import Notification, User
from followups.models import AdverseEvent, CheckIn, FollowUpSchedule, StaffTask
from intake.models import (
    AccessToken,
    Case,
    CaseDocument,
    CaseMessage,
    ClinicShare,
    Patient,
    Proposal,
    StudyArchive,
)

# Actors: who sends a request.
ANONYMOUS, CONCIERGE, CLINICIAN, ADMINISTRATOR = (
    "anonymous",
    "concierge",
    "clinician",
    "administrator",
)
TENANTS = ("a", "b")


def patient_actor(tenant: str) -> str:
    return f"patient_{tenant}"


def clinic_actor(tenant: str) -> str:
    return f"clinic_{tenant}"


ACTORS = (
    ANONYMOUS,
    patient_actor("a"),
    patient_actor("b"),
    clinic_actor("a"),
    clinic_actor("b"),
    CONCIERGE,
    CLINICIAN,
    ADMINISTRATOR,
)
BACK_OFFICE = frozenset({CONCIERGE, CLINICIAN})


@dataclass(frozen=True)
class Marker:
    text: str
    tenant: str
    kind: str
    audience: frozenset[str]


def audiences(t: str) -> dict[str, frozenset[str]]:
    """Who may ever read each kind of tenant ``t``'s data (docs/architecture.md, "Who sees
    what"): the clinic a case is shared with sees the clinical answers, documents and,
    once a consultation is booked, the patient's contact; concierge staff see the case
    without its clinical answers and documents; clinicians see those too."""
    patient, clinic = patient_actor(t), clinic_actor(t)
    return {
        "patient": frozenset({patient, clinic, CONCIERGE, CLINICIAN}),
        "clinical": frozenset({patient, clinic, CLINICIAN}),
        "document": frozenset({patient, clinic, CLINICIAN}),
        "imagingzip": frozenset({clinic, CLINICIAN}),
        "message": frozenset({patient, CONCIERGE, CLINICIAN}),
        "proposal": frozenset({patient, CONCIERGE, CLINICIAN}),
        "staffnote": frozenset({patient, CONCIERGE, CLINICIAN}),
        "booking": frozenset({patient, clinic, CONCIERGE, CLINICIAN}),
        "plan": frozenset({patient, clinic, CONCIERGE, CLINICIAN}),
        "record": frozenset({patient, clinic, CONCIERGE, CLINICIAN}),
        "answer": frozenset({patient, clinic, CONCIERGE, CLINICIAN}),
        "event": frozenset({patient, clinic, CONCIERGE, CLINICIAN}),
        "task": frozenset({CONCIERGE, CLINICIAN}),
        "draft": frozenset({patient, CONCIERGE, CLINICIAN}),
        "dayoff": frozenset({clinic, CONCIERGE, CLINICIAN}),
        "credential": frozenset({clinic, CONCIERGE, CLINICIAN}),
        "moderation": frozenset({clinic, CONCIERGE, CLINICIAN}),
        "vetting": frozenset({CONCIERGE, CLINICIAN}),
    }


@dataclass
class Tenant:
    key: str
    clinic: Clinic
    staff: User
    markers: dict[str, Marker]
    patient: Patient
    case: Case
    case_token: AccessToken  # the session-bound case link patient A's browser holds
    document: CaseDocument
    message: CaseMessage
    proposal: Proposal
    share: ClinicShare
    host: Host
    rule_pk: int
    doctor_pk: int
    ctype_pk: int
    booking: Booking
    booking_token: str
    day_off: DateException
    offering: Offering
    plan: TreatmentPlan
    phase: TreatmentPhase
    record: TreatmentRecord  # a draft: the portal can complete it
    schedule: FollowUpSchedule
    check_in: CheckIn  # open: the patient's session holds it
    answered: CheckIn
    checkin_token: str
    event: AdverseEvent
    task: StaffTask
    archive: StudyArchive
    draft: Case
    draft_document: CaseDocument
    credential: Credential
    notice: CredentialNotice
    change: ChangeRequest
    review: Review
    vetting: VettingReview
    notification: Notification
    raw_case_link: str
    extra: dict[str, models.Model] = field(default_factory=dict)

    def marker(self, kind: str) -> str:
        return self.markers[kind].text

    def instances(self) -> dict[str, models.Model]:
        """One row of each model the admin shows, by label (for admin URLs)."""
        rows: list[models.Model] = [
            self.case,
            self.patient,
            self.share,
            self.case_token,
            self.proposal,
            self.booking,
            self.host,
            self.plan,
            self.record,
            self.event,
            self.task,
            self.check_in,
            self.schedule,
            self.clinic,
            self.vetting,
            self.notice,
            self.offering,
            self.credential,
            self.review,
            self.change,
            self.notification,
            self.document,
            self.message,
            self.archive,
            *self.extra.values(),
        ]
        return {str(row._meta.label): row for row in rows}


@dataclass
class World:
    tenants: dict[str, Tenant]
    clients: dict[str, Client]
    users: dict[str, User] = field(default_factory=dict)

    def markers(self) -> list[Marker]:
        return [m for t in self.tenants.values() for m in t.markers.values()]

    def forbidden_markers(self, actor: str) -> list[Marker]:
        return [m for m in self.markers() if actor not in m.audience]
