"""Links in e-mails that let a patient reschedule or cancel one booking.

Only the SHA-256 of a token is stored. A link is issued when its e-mail is
rendered (the raw token never passes through the database or the broker), one
per notification: a retried send revokes what the earlier try issued. It works
until it expires, is revoked, or the booking is no longer active.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ..models import Booking, BookingLink, hash_link_token

TOKEN_MIN_LEN = 32
TOKEN_MAX_LEN = 64


@transaction.atomic
def booking_link_issue(*, booking: Booking, notification_id: int | None = None) -> str:
    """A new link for ``booking``; returns the raw token (never stored)."""
    now = timezone.now()
    if notification_id is not None:
        BookingLink.objects.filter(
            booking=booking, notification_id=notification_id, revoked_at__isnull=True
        ).update(revoked_at=now)
    raw = secrets.token_urlsafe(32)
    link = BookingLink(
        booking=booking,
        token_hash=hash_link_token(raw),
        notification_id=notification_id,
        created_at=now,
        expires_at=now + timedelta(days=settings.CONSULTATIONS_LINK_DAYS),
    )
    link.full_clean()
    link.save()
    return raw


def booking_link_url(raw: str) -> str:
    return settings.SITE_URL + reverse("consultations:manage", kwargs={"token": raw})


def booking_link_lookup(*, raw_token: str) -> BookingLink | None:
    """The live link behind ``raw_token``, else None. Every failure looks the same:
    unknown or tampered, expired, revoked, a booking that is over or no longer active,
    or a case that was closed."""
    if not raw_token or not TOKEN_MIN_LEN <= len(raw_token) <= TOKEN_MAX_LEN:
        return None
    link = (
        BookingLink.objects.select_related(
            "booking__host__clinic", "booking__consultation_type", "booking__case__patient"
        )
        .filter(token_hash=hash_link_token(raw_token))
        .first()
    )
    if link is None or not link.is_usable():
        return None
    booking = link.booking
    if not booking.is_active or booking.start_at <= timezone.now() or not booking.case.is_open:
        return None
    return link


@transaction.atomic
def booking_links_revoke(*, booking: Booking) -> int:
    return BookingLink.objects.filter(booking=booking, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
