"""Intake e-mails: the notification kinds the outbox sends for intake.

Registered by ``IntakeConfig.ready()``; services queue them with
``core.notifications.services.notify`` in their own transaction. Patient mail
is queued with ``to=None``: the kind finds the patient (address, language,
zone) from the case at send time, so no patient address is copied onto the
outbox row and a corrected address is honoured. A link in a message is
issued in ``context()``, at send time and for that notification, so the raw
token never passes through the broker or the database, and a retried send
revokes the link its earlier try issued. Staff notices carry a reference and
an admin link only: no health data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from core.notifications.kinds import Audience, NotificationKind, Reader, register
from core.notifications.models import Notification

from .models import (
    Case,
    CaseMessage,
    CaseStatus,
    DataExport,
    ErasureRequest,
    Proposal,
    ProposalStatus,
    TokenPurpose,
)
from .services.tokens import access_link_url, access_token_issue

STAFF_REASON = _("You get this because you work on the concierge team.")


def asked_for_since_it_ended(case: Case, asked_at: datetime) -> bool:
    """Whether the patient asked for this message after ``case`` was closed or withdrawn.

    Closing or withdrawing stops the mail queued before it; what the patient asks for
    afterwards (a new link, their data) is still sent. Never for a case not submitted.
    """
    if not case.is_submitted:
        return False
    return case.is_open or asked_at >= case.status_changed_at


def admin_case_url(case: Case) -> str:
    try:
        path = reverse("admin:intake_case_change", args=[case.pk])
    except NoReverseMatch:
        path = f"/{settings.ADMIN_URL}intake/case/{case.pk}/change/"
    return settings.SITE_URL + path


class PatientMail(NotificationKind):
    """A message to the patient of a case; ``about`` is the case (or holds it)."""

    audience = Audience.PATIENT
    reason = _("You get this because you started an assessment with us.")

    def case_of(self, about: Any) -> Case | None:
        return about if isinstance(about, Case) else None

    def about_queryset(self, model: type[models.Model]) -> models.QuerySet[Any]:
        return model._default_manager.select_related("patient", "condition")

    def reader(self, notification: Notification, about: Any) -> Reader | None:
        case = self.case_of(about)
        if case is None or not case.patient.email:
            return None
        patient = case.patient
        return Reader(patient.email, patient.language, str(patient.time_zone))

    def link(self, notification: Notification, case: Case, purpose: str) -> str:
        """A fresh link for this message; an earlier try's link for it stops working."""
        raw = access_token_issue(
            case=case, purpose=purpose, acting_user=None, notification=notification
        )
        return access_link_url(raw, purpose)

    def case_context(self, notification: Notification, case: Case, **extra: Any) -> dict[str, Any]:
        """The patient's case, a case-page link, and the footer's way to stop."""
        case_url = self.link(notification, case, TokenPurpose.CASE)
        context = {
            "case": case,
            "patient": case.patient,
            "case_url": case_url,
            "link_days": settings.INTAKE_CASE_LINK_DAYS,
            **extra,
        }
        if case.is_open:
            # A closed or withdrawn case is mailed only what the patient asks for: no way
            # to stop is offered, and its page has no "withdraw" any more.
            context["stop_url"] = case_url
            context["stop_text"] = _("To stop, withdraw on your case page")
        return context


@register
class Acknowledgement(PatientMail):
    """We have your assessment: the reference, what happens next, the case-page link."""

    name = "intake.acknowledgement"
    template = "intake-acknowledgement"

    def is_wanted(self, notification: Notification, about: Any) -> bool:
        return isinstance(about, Case) and not about.is_draft and about.is_open

    def context(self, notification: Notification, about: Any, reader: Reader) -> dict[str, Any]:
        return self.case_context(
            notification, about, clinician_review=about.status == CaseStatus.CLINICIAN_REVIEW
        )


@register
class ResumeLink(PatientMail):
    """A link to continue a draft on any device, sent because someone asked for it."""

    name = "intake.resume_link"
    template = "intake-resume-link"
    reason = _(
        "You get this because someone asked us for a link to continue an assessment with "
        "this address. We send nothing else about an unfinished assessment unless you ask."
    )

    def is_wanted(self, notification: Notification, about: Any) -> bool:
        return isinstance(about, Case) and about.is_draft

    def context(self, notification: Notification, about: Any, reader: Reader) -> dict[str, Any]:
        return {
            "case": about,
            "patient": about.patient,
            "resume_url": self.link(notification, about, TokenPurpose.RESUME),
            "link_days": settings.INTAKE_RESUME_LINK_DAYS,
        }


@register
class CaseLink(PatientMail):
    """A fresh case-page link for a patient who lost theirs.

    Also for a closed or withdrawn case when asked for after it ended: its page
    then offers only the patient's rights (a copy of their data, erasure).
    """

    name = "intake.case_link"
    template = "intake-case-link"

    def is_wanted(self, notification: Notification, about: Any) -> bool:
        return isinstance(about, Case) and asked_for_since_it_ended(about, notification.created_at)

    def context(self, notification: Notification, about: Any, reader: Reader) -> dict[str, Any]:
        return self.case_context(notification, about)


@register
class DataExportReady(PatientMail):
    """Your copy of your data is ready; ``about`` is the export. The link opens the case
    page, where the download waits (the file itself is never e-mailed or linked)."""

    name = "intake.data_export_ready"
    template = "intake-data-export-ready"

    def case_of(self, about: Any) -> Case | None:
        return about.case if isinstance(about, DataExport) else None

    def about_queryset(self, model: type[models.Model]) -> models.QuerySet[Any]:
        return model._default_manager.select_related("case__patient")

    def is_wanted(self, notification: Notification, about: Any) -> bool:
        # Asked for on a closed or withdrawn case's page: still sent (the patient asked).
        return (
            isinstance(about, DataExport)
            and about.is_downloadable
            and asked_for_since_it_ended(about.case, about.requested_at)
        )

    def context(self, notification: Notification, about: Any, reader: Reader) -> dict[str, Any]:
        return self.case_context(
            notification, about.case, export=about, hours=settings.INTAKE_EXPORT_HOURS
        )


@register
class ProposalReady(PatientMail):
    """Your clinic suggestions are ready; ``about`` is the sent proposal."""

    name = "intake.proposal_ready"
    template = "proposal-ready"

    def case_of(self, about: Any) -> Case | None:
        return about.case if isinstance(about, Proposal) else None

    def about_queryset(self, model: type[models.Model]) -> models.QuerySet[Any]:
        return model._default_manager.select_related("case__patient")

    def is_wanted(self, notification: Notification, about: Any) -> bool:
        # A proposal superseded before its e-mail left, or a closed case: say nothing.
        return (
            isinstance(about, Proposal)
            and about.status == ProposalStatus.SENT
            and about.case.is_open
        )

    def context(self, notification: Notification, about: Any, reader: Reader) -> dict[str, Any]:
        return self.case_context(notification, about.case, clinic_count=about.items.count())


class StaffNotice(NotificationKind):
    """A notice to the concierge inbox: a case reference and an admin link, nothing more."""

    audience = Audience.STAFF
    reason = STAFF_REASON

    def staff_context(self, case: Case, **extra: Any) -> dict[str, Any]:
        return {"reference": case.reference, "admin_url": admin_case_url(case), **extra}


@register
class NewCase(StaffNotice):
    name = "intake.new_case"
    template = "intake-new-case-staff"

    def is_wanted(self, notification: Notification, about: Any) -> bool:
        # A case withdrawn before the notice left needs no triage: nothing is sent.
        return isinstance(about, Case) and not about.is_draft and about.is_open

    def context(self, notification: Notification, about: Any, reader: Reader) -> dict[str, Any]:
        return self.staff_context(about, urgent=about.has_hard_contraindication)


@register
class PatientMessage(StaffNotice):
    """A patient asked a question on their case page; ``about`` is the message."""

    name = "intake.patient_message"
    template = "intake-message-staff"

    def about_queryset(self, model: type[models.Model]) -> models.QuerySet[Any]:
        return model._default_manager.select_related("case")

    def is_wanted(self, notification: Notification, about: Any) -> bool:
        return isinstance(about, CaseMessage) and about.case.is_open

    def context(self, notification: Notification, about: Any, reader: Reader) -> dict[str, Any]:
        return self.staff_context(about.case)


@register
class ErasureRequested(NotificationKind):
    """A patient asked for erasure; ``about`` is the request. No name, no reference."""

    name = "intake.erasure_requested"
    template = "intake-erasure-requested-staff"
    audience = Audience.STAFF
    reason = STAFF_REASON

    def is_wanted(self, notification: Notification, about: Any) -> bool:
        return isinstance(about, ErasureRequest) and about.is_open

    def context(self, notification: Notification, about: Any, reader: Reader) -> dict[str, Any]:
        try:
            path = reverse("admin:intake_erasurerequest_change", args=[about.pk])
        except NoReverseMatch:
            path = f"/{settings.ADMIN_URL}intake/erasurerequest/{about.pk}/change/"
        return {"erasure": about, "admin_url": settings.SITE_URL + path}
