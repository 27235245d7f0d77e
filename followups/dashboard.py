"""Follow-ups on the staff dashboard: adverse events first, then what is overdue."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.dashboard import Tile, Tone

from .models import AdverseEvent, CheckIn, CheckInStatus, EventStatus, StaffTask, TaskStatus


def followups_tiles(request: HttpRequest) -> list[Tile]:
    now = timezone.now()
    events = AdverseEvent.objects.filter(status=EventStatus.OPEN).count()
    tasks = StaffTask.objects.filter(status=TaskStatus.OPEN).aggregate(
        due=Count("pk", filter=Q(due_at__lte=now)), open=Count("pk")
    )
    checkins = CheckIn.objects.aggregate(
        failed=Count("pk", filter=Q(status=CheckInStatus.FAILED)),
        waiting=Count("pk", filter=Q(status=CheckInStatus.INVITED)),
    )
    group = _("Follow-ups")
    return [
        Tile(
            _("Adverse events open"),
            events,
            reverse("admin:followups_adverseevent_changelist") + "?status__exact=open",
            Tone.URGENT,
            group,
        ),
        Tile(
            _("Follow-up tasks overdue"),
            tasks["due"] or 0,
            reverse("admin:followups_stafftask_changelist") + "?due=overdue",
            Tone.URGENT,
            group,
        ),
        Tile(
            _("Follow-up tasks open"),
            tasks["open"] or 0,
            reverse("admin:followups_stafftask_changelist") + "?status__exact=open",
            Tone.ATTENTION,
            group,
        ),
        Tile(
            _("Check-ins awaiting an answer"),
            checkins["waiting"] or 0,
            reverse("admin:followups_checkin_changelist") + "?status__exact=invited",
            Tone.INFO,
            group,
        ),
        Tile(
            _("Check-ins that could not be delivered"),
            checkins["failed"] or 0,
            reverse("admin:followups_checkin_changelist") + "?status__exact=failed",
            Tone.ATTENTION,
            group,
        ),
    ]
