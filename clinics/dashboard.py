"""The clinics' tiles on the staff dashboard: the vetting register in numbers."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Count, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.dashboard import Tile, Tone

from .models import ChangeRequest, ChangeRequestStatus, Clinic, Credential


def clinics_tiles(request: HttpRequest) -> list[Tile]:
    """Credentials expiring or expired (not renewed), the review queue, pending changes."""
    today = timezone.localdate()
    warn = settings.CLINIC_CREDENTIAL_WARN_DAYS
    register = Credential.objects.not_renewed().aggregate(
        expiring=Count(
            "pk",
            filter=Q(
                status="verified",
                expires_on__gte=today,
                expires_on__lte=today + dt.timedelta(days=warn),
            ),
        ),
        expired=Count("pk", filter=Q(status="verified", expires_on__lt=today)),
        pending=Count("pk", filter=Q(status="pending")),
    )
    queued = Clinic.objects.filter(review_requested_at__isnull=False).count()
    changes = ChangeRequest.objects.filter(status=ChangeRequestStatus.PENDING).count()
    credentials = reverse("admin:clinics_credential_changelist")
    group = _("Clinics")
    return [
        Tile(
            _("Credentials expired, not renewed"),
            register["expired"] or 0,
            f"{credentials}?expiry=expired",
            Tone.URGENT,
            group,
        ),
        Tile(
            _("Credentials expiring in %(days)s days") % {"days": warn},
            register["expiring"] or 0,
            f"{credentials}?expiry=soon",
            Tone.ATTENTION,
            group,
        ),
        Tile(
            _("Credentials awaiting verification"),
            register["pending"] or 0,
            f"{credentials}?status__exact=pending",
            Tone.ATTENTION,
            group,
        ),
        Tile(
            _("Clinics in the review queue"),
            queued,
            reverse("admin:clinics_clinic_changelist") + "?queue=yes",
            Tone.ATTENTION,
            group,
        ),
        Tile(
            _("Change requests to decide"),
            changes,
            reverse("admin:clinics_changerequest_changelist") + "?state=pending",
            Tone.ATTENTION,
            group,
        ),
    ]
