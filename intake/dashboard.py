"""The intake's tiles on the staff dashboard: the triage queue in numbers (one query)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.dashboard import Tile, Tone

from .models import Case, CaseStatus
from .models.case import CLOSED_STATUSES

S = CaseStatus


def intake_tiles(request: HttpRequest) -> list[Tile]:
    """Open cases by status, what a doctor must see, and what nobody owns yet."""
    counts = Case.objects.exclude(status__in=[*CLOSED_STATUSES, S.DRAFT]).aggregate(
        open=Count("pk"),
        new=Count("pk", filter=Q(status=S.NEW)),
        in_review=Count("pk", filter=Q(status=S.IN_REVIEW)),
        clinician=Count("pk", filter=Q(status=S.CLINICIAN_REVIEW)),
        ready=Count("pk", filter=Q(status=S.READY_FOR_CLINIC)),
        matched=Count("pk", filter=Q(status=S.MATCHED)),
        hard=Count("pk", filter=Q(has_hard_contraindication=True)),
        unassigned=Count("pk", filter=Q(owner__isnull=True)),
    )
    base = reverse("admin:intake_case_changelist")
    group = _("Cases")

    def tile(label: object, key: str, query: str, tone: Tone = Tone.INFO) -> Tile:
        return Tile(
            label=label, count=counts[key] or 0, url=f"{base}?{query}", tone=tone, group=group
        )

    return [
        tile(_("Open cases"), "open", "queue=open"),
        tile(
            _("Awaiting clinician review"), "clinician", f"queue={S.CLINICIAN_REVIEW}", Tone.URGENT
        ),
        tile(_("Hard contraindication, still open"), "hard", "queue=open&flags=hard", Tone.URGENT),
        tile(_("New, not yet read"), "new", f"queue={S.NEW}", Tone.ATTENTION),
        tile(_("Open and unassigned"), "unassigned", "queue=open&owner=unassigned", Tone.ATTENTION),
        tile(_("In review"), "in_review", f"queue={S.IN_REVIEW}"),
        tile(_("Ready for clinics"), "ready", f"queue={S.READY_FOR_CLINIC}"),
        tile(_("Matched"), "matched", f"queue={S.MATCHED}"),
    ]
