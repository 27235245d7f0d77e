"""Two workers at once: approving one change request, running the daily expiry check."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from clinics.models import (
    ChangeRequest,
    ChangeRequestStatus,
    CredentialKind,
    CredentialNotice,
    Offering,
)
from clinics.services import (
    change_request_approve,
    change_request_submit,
    credential_expiry_sweep,
)
from core.models import AuditEvent, Notification
from core.notifications.services import outbox_drain
from tests.conftest import Personas
from tests.factories import ConditionFactory

from .factories import CredentialFactory, OfferingFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _race(call: Callable[[], Any], n: int = 2) -> list[Any]:
    """Run ``call`` in ``n`` threads released together; each result or exception."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:  # the loser's refusal is the result
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def test_two_staff_approving_the_same_request_at_once_apply_it_once(
    personas: Personas,
) -> None:
    condition = ConditionFactory.create(name="Knee race", slug="knee-race")
    offering = OfferingFactory.create(
        clinic=personas.clinic_a, conditions=[condition], price_max=Decimal("9000")
    )
    cr = change_request_submit(
        clinic=personas.clinic_a,
        target=offering,
        changes={"price_max": "9500"},
        acting_user=personas.clinic_a_staff,
    )

    results = _race(
        lambda: change_request_approve(
            change_request=ChangeRequest.objects.get(pk=cr.pk), acting_user=personas.concierge
        )
    )

    assert sum(isinstance(r, ChangeRequest) for r in results) == 1
    assert [getattr(r, "code", None) for r in results if isinstance(r, Exception)] == [
        "already_decided"
    ]
    assert ChangeRequest.objects.get(pk=cr.pk).status == ChangeRequestStatus.APPROVED
    assert Offering.objects.get(pk=offering.pk).price_max == Decimal("9500")
    assert AuditEvent.objects.filter(action="clinics.change_request.approved").count() == 1
    assert Notification.objects.filter(kind="clinics.change_decided").count() == 1


def test_two_workers_running_the_daily_check_and_the_send_at_once_mail_once(
    personas: Personas, settings: Any
) -> None:
    """GIVEN an expired licence and an insurance expiring in 10 days
    WHEN two beat workers run the daily check at once, then two mail workers drain at once
    THEN each notice exists once, the expiry is audited once, each e-mail goes out once."""
    personas.clinic_a.contact_email = "admin@alfa.example"
    personas.clinic_a.save()
    today = timezone.localdate()
    CredentialFactory.create(
        clinic=personas.clinic_a,
        kind=CredentialKind.MEDICAL_LICENCE,
        expires_on=today - dt.timedelta(days=1),
    )
    CredentialFactory.create(
        clinic=personas.clinic_a,
        kind=CredentialKind.INSURANCE,
        expires_on=today + dt.timedelta(days=10),
    )

    sweeps = _race(lambda: credential_expiry_sweep(on=today))
    assert not [s for s in sweeps if isinstance(s, Exception)], sweeps

    assert CredentialNotice.objects.count() == 2
    assert AuditEvent.objects.filter(action="clinics.credential.expired").count() == 1
    # Two notices x (the member, the contact address, the concierge), each queued once.
    assert Notification.objects.count() == 6
    reports = _race(outbox_drain)
    assert not [r for r in reports if isinstance(r, Exception)], reports
    assert sum(r.sent for r in reports) == 6
    assert len(mail.outbox) == 6
    assert len({(tuple(m.to), m.subject) for m in mail.outbox}) == 6
    assert AuditEvent.objects.filter(action="clinics.credential.notice_queued").count() == 2
