"""Follow-up e-mails (outbox kinds), registered in ``FollowupsConfig.ready``.

A check-in invitation or reminder is still wanted only while the check-in is
open, the patient has not paused or stopped follow-ups, and the case is not
withdrawn; the question is asked at send time, so a stop is honoured at once.
Every patient message carries a one-click ``List-Unsubscribe`` (RFC 8058).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.notifications.kinds import Audience, Extras, NotificationKind, Reader, register
from core.notifications.models import Notification
from intake.models import CaseStatus

from .escalation import REASON_LABELS
from .instruments import (
    EXPECTATIONS,
    EXPERIENCE_REVIEW_AT,
    OFFSET_DAYS,
    OUTCOME_REVIEW_AT,
    TimePoint,
)
from .links import stop_token
from .models import CheckIn, CheckInStatus, FollowUpSchedule, ScheduleStatus
from .services.checkins import checkin_link_issue, checkin_links_issue

WANTED_CHECKIN = (CheckInStatus.SCHEDULED, CheckInStatus.INVITED)
ENDED_CASE = (CaseStatus.WITHDRAWN, CaseStatus.CLOSED)
ISSUED_LINK = "_checkin_link"  # the raw token prepare_chunk issued for this message
CHECKIN_MAIL_FIELDS = (
    *(field.name for field in CheckIn._meta.concrete_fields),
    *(f"schedule__{field.name}" for field in FollowUpSchedule._meta.concrete_fields),
    "schedule__case__status",
    "schedule__case__patient__email",
    "schedule__case__patient__full_name",
    "schedule__case__patient__language",
    "schedule__case__patient__time_zone",
    "schedule__clinic__name",
)


class _CheckInMail(NotificationKind):
    audience = Audience.PATIENT
    reason = _(
        "You get this because you were treated through our concierge service and agreed to "
        "follow-up check-ins."
    )

    def about_queryset(self, model: type[Any]) -> QuerySet[Any]:
        # The case (58 columns) and the clinic (its description) only for the few fields a
        # check-in mail reads: a worker loads a chunk's hundred of them at once.
        # tests/followups/test_dispatch_queries.py fails if a template starts reading another.
        return CheckIn.objects.select_related("schedule__case__patient", "schedule__clinic").only(
            *CHECKIN_MAIL_FIELDS
        )

    def is_wanted(self, notification: Notification, about: Any) -> bool:
        if about is None:
            return False
        schedule = about.schedule
        return (
            about.status in self.wanted_statuses
            and schedule.status == ScheduleStatus.ACTIVE
            and schedule.case.status not in ENDED_CASE
        )

    wanted_statuses: tuple[str, ...] = WANTED_CHECKIN

    def prepare_chunk(self, notifications: list[Notification]) -> None:
        # The chunk's links in two queries rather than two per message. Only for messages
        # still wanted now: a link is never issued for one that will be cancelled.
        wanted = [
            (about, notification)
            for notification in notifications
            if self.is_wanted(notification, about := self.about(notification))
        ]
        issued = checkin_links_issue(messages=wanted)
        for _about, notification in wanted:
            setattr(notification, ISSUED_LINK, issued[notification.pk])

    def reader(self, notification: Notification, about: Any) -> Reader | None:
        patient = about.schedule.case.patient
        return Reader(patient.email, patient.language, str(patient.time_zone))

    def _stop_token(self, about: Any) -> str:
        # Signed once per message: the page link and the List-Unsubscribe header carry the
        # same token (two signings a second apart would differ).
        token: str | None = getattr(about, "_stop_token", None)
        if token is None:
            token = about._stop_token = stop_token(about.schedule)
        return token

    def context(self, notification: Notification, about: Any, reader: Reader) -> dict[str, Any]:
        raw = getattr(notification, ISSUED_LINK, None) or checkin_link_issue(
            check_in=about, notification=notification
        )
        expectation = EXPECTATIONS[about.time_point]
        stop_url = settings.SITE_URL + reverse("followups:stop", args=[self._stop_token(about)])
        return {
            "check_in": about,
            # The label alone: get_time_point_display() translates every time point's label
            # to look one up (Django hashes the choices), six translations per message.
            "time_point": TimePoint(about.time_point).label,
            "patient": about.schedule.case.patient,
            "clinic": about.schedule.clinic,
            "checkin_url": settings.SITE_URL + reverse("followups:start", args=[raw]),
            "expectation": expectation,
            "days_after": OFFSET_DAYS[about.time_point],
            "stop_url": stop_url,
            "stop_text": _("Pause or stop follow-up e-mails"),
            "invites_review": about.time_point in (EXPERIENCE_REVIEW_AT, OUTCOME_REVIEW_AT)
            and not about.side_effects_only,
        }

    def extras(self, notification: Notification, about: Any, reader: Reader) -> Extras:
        one_click = settings.SITE_URL + reverse(
            "followups:unsubscribe", args=[self._stop_token(about)]
        )
        return Extras(
            headers={
                "List-Unsubscribe": f"<{one_click}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            }
        )


@register
class CheckInInvite(_CheckInMail):
    name = "followups.checkin_invite"
    template = "followups-checkin-invite"


@register
class CheckInReminder(_CheckInMail):
    name = "followups.checkin_reminder"
    template = "followups-checkin-reminder"
    wanted_statuses = (CheckInStatus.INVITED, CheckInStatus.SCHEDULED)


class _EventMail(NotificationKind):
    def about_queryset(self, model: type[Any]) -> QuerySet[Any]:
        return model._default_manager.select_related("clinic", "check_in__schedule__case")

    def is_wanted(self, notification: Notification, about: Any) -> bool:
        # A withdrawal ends sharing with the clinic at once. The concierge on duty is
        # still told (AdverseEventStaff): a red flag the patient reported is a matter of
        # their safety, and that message carries a reference, not their data.
        return about is not None and about.check_in.schedule.case.status != CaseStatus.WITHDRAWN

    def context(self, notification: Notification, about: Any, reader: Reader) -> dict[str, Any]:
        return {
            "event": about,
            "reference": about.check_in.schedule.case.reference,
            "reasons": [REASON_LABELS.get(r, r) for r in about.reasons],
            "time_point": about.check_in.get_time_point_display(),
            "admin_url": settings.SITE_URL
            + reverse("admin:followups_adverseevent_change", args=[about.pk]),
        }


@register
class AdverseEventStaff(_EventMail):
    """To the concierge on duty: reference, what was reported, the admin link; no name."""

    name = "followups.adverse_event_staff"
    template = "followups-adverse-event-staff"
    audience = Audience.STAFF
    reason = _("You get this because you are the concierge on duty.")

    def is_wanted(self, notification: Notification, about: Any) -> bool:
        return about is not None


@register
class AdverseEventClinic(_EventMail):
    """To the clinic: a patient it treated reported a red flag; rate relatedness by the deadline."""

    name = "followups.adverse_event_clinic"
    template = "followups-adverse-event-clinic"
    audience = Audience.CLINIC
    reason = _("You get this because your clinic treated this patient.")

    def context(self, notification: Notification, about: Any, reader: Reader) -> dict[str, Any]:
        ctx = super().context(notification, about, reader)
        ctx["portal_url"] = settings.SITE_URL + reverse("followups_portal:event", args=[about.pk])
        return ctx
