"""Magic links: issue, resolve, revoke. Only hashes are stored."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.audit import audit_event_record
from core.models import Notification, User

from ..models import AccessToken, Case, TokenPurpose
from ..models.access import hash_token

# A token_urlsafe(32) is 43 characters; anything far off that is not ours.
TOKEN_MIN_LEN = 32
TOKEN_MAX_LEN = 64


def _ttl(purpose: str) -> timedelta:
    if purpose == TokenPurpose.RESUME:
        return timedelta(days=settings.INTAKE_RESUME_LINK_DAYS)
    return timedelta(days=settings.INTAKE_CASE_LINK_DAYS)


def _issue(
    *,
    case: Case,
    purpose: str,
    acting_user: User | None,
    notification: Notification | None = None,
) -> tuple[AccessToken, str]:
    if purpose not in TokenPurpose.values:
        raise ValueError(f"unknown token purpose {purpose!r}")
    raw = secrets.token_urlsafe(32)
    now = timezone.now()
    token = AccessToken(
        case=case,
        purpose=purpose,
        token_hash=hash_token(raw),
        created_at=now,
        expires_at=now + _ttl(purpose),
        notification=notification,
    )
    token.full_clean()
    token.save()
    data: dict[str, object] = {"token_id": token.pk, "purpose": purpose}
    if notification is not None:
        data["notification"] = notification.pk
    audit_event_record(action="intake.link_issued", acting_user=acting_user, target=case, data=data)
    return token, raw


@transaction.atomic
def access_token_issue(
    *,
    case: Case,
    purpose: str,
    acting_user: User | None,
    notification: Notification | None = None,
) -> str:
    """Create a link for ``case``; returns the raw token, which is never stored.

    Call it where the link is used (the e-mail kind's ``context()``, at send
    time), so the raw token never travels through the broker or the database.
    With ``notification``, the live links issued for that same message by an
    earlier try are revoked first (the row lock orders two tries of one
    message): however often a send is retried, one link per message works.
    """
    if notification is not None:
        Notification.objects.select_for_update().filter(pk=notification.pk).first()
        earlier = AccessToken.objects.filter(notification=notification, revoked_at__isnull=True)
        revoked = earlier.update(revoked_at=timezone.now())
        if revoked:
            audit_event_record(
                action="intake.links_revoked",
                acting_user=acting_user,
                target=case,
                data={"count": revoked, "purpose": purpose, "notification": notification.pk},
            )
    return _issue(case=case, purpose=purpose, acting_user=acting_user, notification=notification)[1]


@transaction.atomic
def access_token_issue_for_session(
    *, case: Case, purpose: str, acting_user: User | None
) -> AccessToken:
    """A link bound to this browser session only: the raw token is thrown away.

    Used right after submission, so the patient can open their case page
    without waiting for the email.
    """
    return _issue(case=case, purpose=purpose, acting_user=acting_user)[0]


def access_link_url(raw: str, purpose: str) -> str:
    name = "intake:resume_link" if purpose == TokenPurpose.RESUME else "intake:case_link"
    return settings.SITE_URL + reverse(name, kwargs={"token": raw})


def access_token_lookup(*, raw_token: str, purpose: str) -> AccessToken | None:
    """The usable token behind ``raw_token`` for ``purpose``, else None.

    Every failure (unknown, wrong purpose, expired, revoked, a resume link for a
    case that is no longer a draft, a case link for a case never submitted) looks
    the same to the caller. A case link still works for a closed or withdrawn case: it opens
    only the patient's rights there (a copy of their data, erasure), and a
    withdrawal revokes every link issued before it.
    """
    if not raw_token or not TOKEN_MIN_LEN <= len(raw_token) <= TOKEN_MAX_LEN:
        return None
    token = (
        AccessToken.objects.select_related("case", "case__patient")
        .filter(token_hash=hash_token(raw_token), purpose=purpose)
        .first()
    )
    if token is None or not token.is_usable():
        return None
    if purpose == TokenPurpose.RESUME and not token.case.is_draft:
        return None  # submitted, closed or withdrawn: there is no draft to continue
    if purpose == TokenPurpose.CASE and not token.case.is_submitted:
        return None
    return token


def access_token_touch(*, token: AccessToken) -> None:
    """Record use without consuming it (a conditional UPDATE; no race, no history)."""
    AccessToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())


@transaction.atomic
def access_tokens_revoke(
    *, case: Case, acting_user: User | None, purpose: str | None = None
) -> int:
    """Revoke every live link of ``case`` (of one purpose, if given)."""
    tokens = AccessToken.objects.filter(case=case, revoked_at__isnull=True)
    if purpose is not None:
        tokens = tokens.filter(purpose=purpose)
    count = tokens.update(revoked_at=timezone.now())
    if count:
        audit_event_record(
            action="intake.links_revoked",
            acting_user=acting_user,
            target=case,
            data={"count": count, "purpose": purpose or "all"},
        )
    return count
