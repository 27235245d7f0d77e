"""``build_world(personas)``: the security tests' two tenants and a browser per actor.

Clinic A and clinic B each get a tenant's worth of data (``tests/security/tenant.py``);
each patient's browser holds their magic-link session (case link, wizard draft, open
check-in), each staff member's is signed in, and the anonymous one is neither.
"""

from __future__ import annotations

from typing import Any

from django.test import Client

from core.models import Role, User
from followups.views import SESSION_CHECKIN
from intake.selectors import SESSION_CASES, SESSION_DRAFT
from tests.conftest import Personas
from tests.factories import ConditionFactory, UserFactory

from .tenant import make_tenant
from .world import (
    ADMINISTRATOR,
    ANONYMOUS,
    CLINICIAN,
    CONCIERGE,
    Tenant,
    World,
    clinic_actor,
    patient_actor,
)


def _patient_client(tenant: Tenant) -> Client:
    """The patient's browser: their case link, their wizard draft, their open check-in."""
    client = Client()
    session = client.session
    session[SESSION_CASES] = {tenant.case.reference: tenant.case_token.pk}
    session[SESSION_DRAFT] = tenant.draft.pk
    session[SESSION_CHECKIN] = tenant.check_in.pk
    session.save()
    return client


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def build_world(personas: Personas) -> World:
    knee = ConditionFactory.create(name="Knee osteoarthritis", slug="knee-osteoarthritis")
    tenants = {
        "a": make_tenant("a", personas.clinic_a, personas.clinic_a_staff, personas.concierge, knee),
        "b": make_tenant("b", personas.clinic_b, personas.clinic_b_staff, personas.concierge, knee),
    }
    administrator = UserFactory.create(
        email="adam@concierge.example", is_staff=True, roles=[Role.ADMINISTRATOR]
    )
    users = {
        clinic_actor("a"): personas.clinic_a_staff,
        clinic_actor("b"): personas.clinic_b_staff,
        CONCIERGE: personas.concierge,
        CLINICIAN: personas.clinician,
        ADMINISTRATOR: administrator,
    }
    clients: dict[str, Any] = {ANONYMOUS: Client()}
    clients.update({patient_actor(t): _patient_client(tenant) for t, tenant in tenants.items()})
    clients.update({actor: _signed_in(user) for actor, user in users.items()})
    return World(tenants=tenants, clients=clients, users=users)
