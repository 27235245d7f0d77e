from __future__ import annotations

import pytest
from django.test import RequestFactory

from core.audit import audit_event_record
from core.models import AuditEvent
from tests.conftest import Personas

pytestmark = pytest.mark.django_db


def test_it_records_who_did_what_to_which_object(personas: Personas) -> None:
    request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.9")
    event = audit_event_record(
        action="clinic.status_changed",
        acting_user=personas.concierge,
        target=personas.clinic_a,
        request=request,
        data={"to": "vetted"},
    )
    event.refresh_from_db()
    assert event.actor == personas.concierge
    assert event.actor_label == "carmen@concierge.example"
    assert event.target_id == str(personas.clinic_a.pk)
    assert event.target_type is not None and event.target_type.model == "clinic"
    assert event.ip_address == "203.0.113.9"
    assert event.data == {"to": "vetted"}


def test_a_system_action_is_labelled_system() -> None:
    event = audit_event_record(action="credentials.expiry_checked", acting_user=None)
    assert event.actor is None and event.actor_label == "system"


def test_the_audit_trail_cannot_be_edited_in_the_admin(client, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    personas.concierge.is_superuser = True
    personas.concierge.save()
    event = audit_event_record(action="x.y", acting_user=None)
    client.force_login(personas.concierge)
    page = client.get(f"/admin/core/auditevent/{event.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert client.post(f"/admin/core/auditevent/{event.pk}/delete/").status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
