"""allauth's e-mails leave through the outbox, in the shared layout and the reader's language."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import Client

from core.models import Notification
from core.notifications.services import outbox_drain

pytestmark = pytest.mark.django_db


def test_a_password_reset_is_an_outbox_message_whose_link_works_once(
    client: Client, personas: Any
) -> None:
    user = personas.clinic_a_staff
    user.set_password("old-password-2026")
    user.language = "ar"
    user.save()
    client.post("/accounts/password/reset/", {"email": user.email})
    assert mail.outbox == []  # nothing left directly
    row = Notification.objects.get(kind="core.account_password_reset")
    assert row.recipient_user == user and row.data == {}
    assert outbox_drain().sent == 1
    message = mail.outbox[0]
    assert isinstance(message, EmailMultiAlternatives)
    assert message.to == [user.email]
    html = str(message.alternatives[0][0])
    assert 'lang="ar" dir="rtl"' in html
    link = re.search(r"http://[^\s\"]+/accounts/password/reset/key/[^\s\"]+/", str(message.body))
    assert link is not None
    path = link.group(0).split("://", 1)[1].split("/", 1)[1]
    form_page = client.get("/" + path, follow=True)
    assert form_page.status_code == 200 and b"password1" in form_page.content
    done = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else "/" + path,
        {"password1": "A-new-long-pass-2026!", "password2": "A-new-long-pass-2026!"},
    )
    assert done.status_code in (200, 302)
    user.refresh_from_db()
    assert user.check_password("A-new-long-pass-2026!")
    # The same link is dead once the password changed.
    again = Client().get("/" + path, follow=True)
    assert b"password1" not in again.content


def test_an_unknown_address_gets_a_message_that_reveals_nothing(client: Client, db: None) -> None:
    client.post("/accounts/password/reset/", {"email": "stranger@example.org"})
    row = Notification.objects.get(kind="core.account_unknown")
    assert row.recipient_address == "stranger@example.org" and row.about_type is None
    outbox_drain()
    assert "no such account" in mail.outbox[0].body


def test_a_password_change_tells_the_user_through_the_outbox(client: Client, personas: Any) -> None:
    user = personas.clinic_a_staff
    user.set_password("old-password-2026")
    user.save()
    client.force_login(user)
    response = client.post(
        "/accounts/password/change/",
        {
            "oldpassword": "old-password-2026",
            "password1": "A-new-long-pass-2026!",
            "password2": "A-new-long-pass-2026!",
        },
    )
    assert response.status_code in (200, 302)
    row = Notification.objects.get(kind="core.account_notice")
    assert row.data == {"notice": "account/email/password_changed"}
    outbox_drain()
    assert "The password of your account was changed." in mail.outbox[0].body
