"""The daily credential check: warn once, expire once, queue the clinic, never send twice."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clinics.models import (
    CellOrigin,
    CellSource,
    CellType,
    Clinic,
    CredentialKind,
    CredentialNotice,
    Legality,
    Manipulation,
    NoticeKind,
    Offering,
    ReviewQueueReason,
)
from clinics.services import credential_expiry_sweep
from clinics.tasks import credential_expiry_check
from core.models import AuditEvent, Notification, NotificationStatus
from core.notifications.services import outbox_drain
from tests.conftest import Personas, SmtpSink

from .factories import CredentialFactory, LegalityRuleFactory, OfferingFactory, give_badge

TODAY = timezone.localdate


def _days(n: int) -> dt.date:
    return TODAY() + dt.timedelta(days=n)


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Tasks enqueued on commit run in-process (the worker test covers the broker)."""
    from config.celery_app import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = previous


def _make_due() -> None:
    """Skip the backoff a transient failure set, so the next drain tries again now."""
    Notification.objects.filter(status=NotificationStatus.QUEUED).update(due_at=timezone.now())


@pytest.mark.django_db
class TestSweep:
    def test_a_credential_expiring_within_30_days_warns_the_clinic_and_the_concierge_once(
        self,
        personas: Personas,
        settings: Any,
        django_capture_on_commit_callbacks: Callable[..., Any],
    ) -> None:
        """
        GIVEN Clínica Alfa's insurance expires in 12 days
        WHEN the daily check runs, and runs again
        THEN one warning is queued per reader (the clinic's staff, its contact address, the
             concierge), each goes once, and the second run creates and queues nothing
        """
        personas.clinic_a.contact_email = "admin@alfa.example"
        personas.clinic_a.save()
        credential = CredentialFactory.create(
            clinic=personas.clinic_a, kind=CredentialKind.INSURANCE, expires_on=_days(12)
        )
        CredentialFactory.create(clinic=personas.clinic_b, expires_on=_days(31))  # not yet due
        with django_capture_on_commit_callbacks() as callbacks:
            result = credential_expiry_sweep()
        assert len(result.expiring_notices) == 1
        assert result.queued == 3
        assert len(callbacks) == 1  # one nudge to the outbox dispatcher, after commit
        [notice_id] = result.expiring_notices
        assert sorted(Notification.objects.values_list("dedupe_key", flat=True)) == sorted(
            f"clinics.credential_notice:{notice_id}:{address}"
            for address in (
                personas.clinic_a_staff.email.lower(),
                "admin@alfa.example",
                settings.CONCIERGE_EMAIL.lower(),
            )
        )
        assert outbox_drain().sent == 3

        recipients = sorted(m.to[0] for m in mail.outbox)
        assert recipients == sorted(
            [
                personas.clinic_a_staff.email,
                "admin@alfa.example",
                settings.CONCIERGE_EMAIL,
            ]
        )
        for message in mail.outbox:
            assert "expires" in message.subject
            assert credential.issuer not in message.subject
        clinic_mail = next(m for m in mail.outbox if m.to == [personas.clinic_a_staff.email])
        assert "12 days" in clinic_mail.body
        assert "/portal/" in clinic_mail.body

        assert "You get this because you are on this clinic's team" in clinic_mail.body
        staff_mail = next(m for m in mail.outbox if m.to == [settings.CONCIERGE_EMAIL])
        assert "You get this because you work on the concierge team." in staff_mail.body

        with django_capture_on_commit_callbacks() as callbacks:
            again = credential_expiry_sweep()
        assert (again.expiring_notices, again.queued, callbacks) == ([], 0, [])
        assert outbox_drain().sent == 0
        assert len(mail.outbox) == 3

    def test_an_expired_required_credential_removes_the_badge_and_queues_the_clinic(
        self, personas: Personas
    ) -> None:
        """
        GIVEN a vetted clinic whose medical licence expired yesterday
        WHEN the daily check runs
        THEN the clinic is in the staff review queue, its badge is gone, it stays public,
             and an 'expired' notice is due
        """
        clinic = personas.clinic_a
        licence, _insurance = give_badge(clinic)
        licence.expires_on = _days(-1)
        licence.save()
        result = credential_expiry_sweep()
        clinic.refresh_from_db()
        assert clinic.review_requested_at is not None
        assert clinic.review_reason == ReviewQueueReason.CREDENTIAL_EXPIRED
        assert result.clinics_queued == [clinic.pk]
        assert not Clinic.objects.with_badge().get(pk=clinic.pk).has_verified_badge
        assert Clinic.objects.public().filter(pk=clinic.pk).exists()
        assert CredentialNotice.objects.get(credential=licence).kind == NoticeKind.EXPIRED
        assert AuditEvent.objects.filter(action="clinics.clinic.review_queued").count() == 1
        assert clinic.history.first().history_change_reason == "credential_expired"

        credential_expiry_sweep()
        assert AuditEvent.objects.filter(action="clinics.clinic.review_queued").count() == 1
        assert CredentialNotice.objects.count() == 1

    def test_an_expired_credential_nothing_depends_on_does_not_queue_the_clinic(
        self, personas: Personas
    ) -> None:
        clinic = personas.clinic_a
        give_badge(clinic)
        OfferingFactory.create(
            clinic=clinic,
            manipulation=Manipulation.MINIMAL,
            cell_count_millions=None,
            volume_ml=Decimal("8"),
            cell_source=CellSource.BONE_MARROW,
        )
        CredentialFactory.create(
            clinic=clinic, kind=CredentialKind.LAB_CERTIFICATE, expires_on=_days(-3)
        )
        result = credential_expiry_sweep()
        clinic.refresh_from_db()
        assert len(result.expired_notices) == 1
        assert clinic.review_requested_at is None

    def test_a_lab_certificate_is_required_once_the_clinic_offers_cultured_cells(
        self, personas: Personas
    ) -> None:
        clinic = personas.clinic_a
        give_badge(clinic)
        OfferingFactory.create(clinic=clinic)  # cultured
        CredentialFactory.create(
            clinic=clinic, kind=CredentialKind.LAB_CERTIFICATE, expires_on=_days(-1)
        )
        assert credential_expiry_sweep().clinics_queued == [clinic.pk]

    def test_a_renewed_credential_silences_the_old_one(self, personas: Personas) -> None:
        CredentialFactory.create(clinic=personas.clinic_a, expires_on=_days(5))
        CredentialFactory.create(clinic=personas.clinic_a, expires_on=_days(400))
        result = credential_expiry_sweep()
        assert result.expiring_notices == []

    def test_unverified_credentials_are_not_in_the_register_yet(self, personas: Personas) -> None:
        CredentialFactory.create(
            clinic=personas.clinic_a, expires_on=_days(-5), status="pending", verified_at=None
        )
        assert credential_expiry_sweep().expired_notices == []

    def test_a_live_offering_that_conflicts_with_the_legality_table_is_flagged(
        self, personas: Personas
    ) -> None:
        LegalityRuleFactory.create(
            country="MX",
            cell_type=CellType.MSC,
            origin=CellOrigin.ALLOGENEIC,
            legality=Legality.NOT_ALLOWED,
        )
        CredentialFactory.create(clinic=personas.clinic_a, kind=CredentialKind.DONOR_SCREENING)
        offering = OfferingFactory.create(
            clinic=personas.clinic_a,
            origin=CellOrigin.ALLOGENEIC,
            cell_source=CellSource.UMBILICAL_CORD,
        )
        result = credential_expiry_sweep()
        personas.clinic_a.refresh_from_db()
        assert personas.clinic_a.review_reason == ReviewQueueReason.LEGALITY_CONFLICT
        assert result.clinics_queued == [personas.clinic_a.pk]
        assert Offering.objects.with_compliance().get(pk=offering.pk).compliance == "conflict"

    def test_a_reader_whose_server_says_later_never_makes_the_others_get_it_twice(
        self, personas: Personas, settings: Any
    ) -> None:
        """
        GIVEN an expiring credential and a clinic contact address whose server answers 451
        WHEN the outbox sends, and tries again once that server accepts
        THEN the clinic's staff and the concierge get it once, and the contact gets it once
        """
        settings.EMAIL_BACKEND = "tests.core.outbox_kinds.CodeBackend"  # ...+451@ is a 4xx
        personas.clinic_a.contact_email = "desk+451@alfa.example"
        personas.clinic_a.save()
        CredentialFactory.create(clinic=personas.clinic_a, expires_on=_days(3))
        assert credential_expiry_sweep().queued == 3
        report = outbox_drain()
        # A 4xx hands the rest of the chunk back too (the server is busy): none fails.
        assert report.retried >= 1 and report.sent + report.retried == 3
        contact = Notification.objects.get(recipient_address="desk+451@alfa.example")
        assert (contact.status, contact.last_error) == ("queued", "SMTP 451 recipient refused")
        others = Notification.objects.filter(status="queued").exclude(pk=contact.pk)
        others.update(due_at=timezone.now())
        outbox_drain()  # the others go now; the contact waits for its backoff
        assert len(mail.outbox) == 2

        Notification.objects.filter(pk=contact.pk).update(recipient_address="desk@alfa.example")
        _make_due()
        assert outbox_drain().sent == 1
        recipients = sorted(m.to[0] for m in mail.outbox)
        assert recipients == sorted(
            [personas.clinic_a_staff.email, settings.CONCIERGE_EMAIL, "desk@alfa.example"]
        )

    def test_the_admin_shows_how_each_notices_e_mails_fared_from_the_outbox(
        self,
        personas: Personas,
        settings: Any,
        client: Client,
        django_assert_max_num_queries: Callable[..., Any],
    ) -> None:
        settings.EMAIL_BACKEND = "tests.core.outbox_kinds.CodeBackend"  # ...+550@ is refused
        personas.clinic_a.contact_email = "gone+550@alfa.example"
        personas.clinic_a.save()
        CredentialFactory.create(clinic=personas.clinic_a, expires_on=_days(3))
        CredentialFactory.create(clinic=personas.clinic_b, expires_on=_days(4))
        assert len(credential_expiry_sweep().expiring_notices) == 2
        outbox_drain()
        first = CredentialNotice.objects.get(credential__clinic=personas.clinic_a).pk
        client.force_login(personas.concierge)
        url = reverse("admin:clinics_credentialnotice_changelist")
        with django_assert_max_num_queries(20):
            page = client.get(url).content.decode()
        assert "2 of 3 sent, 1 failed" in page and "2 of 2 sent" in page
        assert f"?q=clinics.credential_notice:{first}:" in page
        failed = client.get(url, {"delivery": "failed"}).content.decode()
        assert "2 of 3 sent, 1 failed" in failed and "2 of 2 sent" not in failed
        search = client.get(
            reverse("admin:core_notification_changelist"),
            {"q": f"clinics.credential_notice:{first}:"},
        )
        assert search.context["cl"].result_count == 3

    def test_a_notice_renewed_before_it_went_is_cancelled(self, personas: Personas) -> None:
        CredentialFactory.create(clinic=personas.clinic_a, expires_on=_days(5))
        assert credential_expiry_sweep().queued == 2  # the member and the concierge
        CredentialFactory.create(clinic=personas.clinic_a, expires_on=_days(400))
        assert outbox_drain().cancelled == 2
        assert mail.outbox == []

    def test_a_member_who_left_the_clinic_is_not_told(self, personas: Personas) -> None:
        CredentialFactory.create(clinic=personas.clinic_a, expires_on=_days(5))
        credential_expiry_sweep()
        personas.clinic_a.memberships.filter(user=personas.clinic_a_staff).delete()
        report = outbox_drain()
        assert (report.sent, report.cancelled) == (1, 1)
        assert [m.to for m in mail.outbox] == [["concierge@concierge.example"]]


@pytest.mark.services
@pytest.mark.django_db
def test_the_daily_check_through_a_real_smtp_server_sends_each_notice_once(
    personas: Personas,
    smtp_sink: SmtpSink,
    eager_celery: None,
    settings: Any,
    django_capture_on_commit_callbacks: Callable[..., Any],
    figure: Callable[..., None],
) -> None:
    """
    GIVEN one credential expiring in 20 days and one required credential expired
    WHEN the beat task runs twice (tasks executed after commit: the outbox's nudge,
         dispatcher and send run in-process)
    THEN the SMTP server receives one message per reader per notice, and nothing more
    """
    CredentialFactory.create(
        clinic=personas.clinic_a, kind=CredentialKind.INSURANCE, expires_on=_days(20)
    )
    CredentialFactory.create(
        clinic=personas.clinic_b, kind=CredentialKind.MEDICAL_LICENCE, expires_on=_days(-2)
    )
    with django_capture_on_commit_callbacks(execute=True):
        credential_expiry_check()
    expected = 4  # (clinic staff + concierge) x 2 notices
    received = smtp_sink.wait_for(expected)
    assert len(received) == expected
    with django_capture_on_commit_callbacks(execute=True):
        credential_expiry_check()
    time.sleep(0.5)
    assert len(smtp_sink.messages) == expected
    rcpts = sorted(e.rcpt_tos[0] for e in smtp_sink.envelopes)
    assert rcpts == sorted(
        [
            personas.clinic_a_staff.email,
            personas.clinic_b_staff.email,
            settings.CONCIERGE_EMAIL,
            settings.CONCIERGE_EMAIL,
        ]
    )
    assert all(m.is_multipart() for m in received)
    figure("credential_check_smtp", runs=2, messages=len(smtp_sink.messages))


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_beat_task_and_delivers_through_smtp(
    celery_worker: object,
    smtp_sink: SmtpSink,
    settings: Any,
    figure: Callable[..., None],
) -> None:
    """
    GIVEN a credential expiring in 7 days and a worker on the real broker
    WHEN beat's task is sent twice through the broker
    THEN the outbox sends the warning once to the clinic and once to the concierge
    """
    from tests.factories import ClinicFactory, ClinicMembershipFactory, UserFactory

    clinic = ClinicFactory.create()
    staff = UserFactory.create(email="ops@worker-clinic.example")
    ClinicMembershipFactory.create(user=staff, clinic=clinic)
    CredentialFactory.create(clinic=clinic, expires_on=_days(7))
    started = time.monotonic()
    credential_expiry_check.delay()
    received = smtp_sink.wait_for(2, timeout=30)
    elapsed = time.monotonic() - started
    assert len(received) == 2
    credential_expiry_check.delay()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(smtp_sink.messages) == 2
    assert list(Notification.objects.values_list("status", flat=True)) == ["sent", "sent"]
    figure("credential_check_worker_roundtrip", seconds=f"{elapsed:.2f}")
