"""Reads of follow-up data, each scoped to who may see it."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from clinics.models import ClinicMembership
from core.models import User

from .instruments import SideEffect
from .models import AdverseEvent, CheckIn, CheckInAnswer, CheckInStatus, ScheduleStatus

_CHECKIN = CheckIn.objects.select_related(
    "schedule__case__patient", "schedule__case__condition", "schedule__clinic", "answer"
)


def open_checkin(pk: int) -> CheckIn | None:
    """The check-in bound to this browser's session, while it can still be answered."""
    check_in = _CHECKIN.filter(pk=pk).first()
    if check_in is None or not check_in.is_open:
        return None
    if check_in.schedule.status == ScheduleStatus.ENDED:
        return None
    return check_in


def answered_checkin(pk: int) -> CheckIn | None:
    return _CHECKIN.filter(pk=pk, status=CheckInStatus.ANSWERED).first()


def answer_initial(answer: CheckInAnswer | None) -> dict[str, Any]:
    """Saved answers back into the forms, so going back never loses anything."""
    if answer is None:
        return {}
    initial: dict[str, Any] = {
        name: getattr(answer, name)
        for name in (
            "pain_now",
            "pgic",
            "function_limit",
            "fever_over_48h",
            "spreading_redness",
            "pus_or_discharge",
            "anything_else",
            "contact_me",
            "sane_score",
        )
        if getattr(answer, name) not in (None, "")
    }
    if answer.care_visit:
        initial["care_visit"] = answer.care_visit
    for effect in SideEffect:
        initial[f"se_{effect.value}"] = (answer.side_effects or {}).get(effect.value, 0)
        initial[f"still_{effect.value}"] = effect.value in (answer.still_present or [])
    return initial


def clinic_events(*, user: User) -> QuerySet[AdverseEvent]:
    """Adverse events of the clinics ``user`` belongs to; nothing for anyone else."""
    return (
        AdverseEvent.objects.filter(
            clinic__memberships__user=user, clinic__memberships__user__is_active=True
        )
        .select_related("clinic", "check_in__schedule__case")
        .order_by("-reported_at")
        .distinct()
    )


def clinic_event_or_none(*, pk: int, user: User) -> AdverseEvent | None:
    return clinic_events(user=user).filter(pk=pk).first()


def is_member(*, user: User, slug: str) -> bool:
    return ClinicMembership.objects.filter(
        user=user, user__is_active=True, clinic__slug=slug
    ).exists()
