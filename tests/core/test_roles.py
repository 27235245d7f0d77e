"""Roles by need: the back-office groups, who opens /admin/, and granting a role there."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from core.models import AuditEvent, Role, User
from core.roles import role_groups_ensure
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _codenames(group: str) -> set[str]:
    return set(Group.objects.get(name=group).permissions.values_list("codename", flat=True))


def test_the_migration_creates_each_role_with_the_least_rights_it_needs() -> None:
    # Run the migration's own function (transactional tests may have emptied the tables).
    migration = importlib.import_module("core.migrations.0005_roles_by_need")
    Group.objects.filter(name__in=["clinician", "administrator"]).delete()
    migration.create_roles(apps, None)
    migration.create_roles(apps, None)  # idempotent
    names = set(Group.objects.values_list("name", flat=True))
    assert {"concierge", "clinician", "administrator", "clinic_staff", "patient"} <= names
    # Concierge and clinician rights are checked in code (core.admin_access), not
    # granted as model permissions that could leak into other admins.
    assert _codenames("concierge") == set()
    assert _codenames("clinician") == set()
    administrator = _codenames("administrator")
    assert {"view_user", "change_user", "delete_authenticator", "delete_accessattempt"} <= (
        administrator
    )
    assert not {c for c in administrator if c.endswith(("_case", "_casedocument", "_patient"))}
    assert "view_auditevent" not in administrator
    # Seed data and tests build the same groups from core.roles.
    Group.objects.get(name="administrator").permissions.clear()
    role_groups_ensure()
    assert _codenames("administrator") == administrator


@pytest.mark.parametrize("who", ["clinic_a_staff", "clinic_b_staff"])
def test_clinic_staff_never_reach_the_admin_even_with_the_staff_flag(
    client: Client, personas: Any, who: str
) -> None:
    user = getattr(personas, who)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client.force_login(user)
    assert client.get(reverse("admin:index")).status_code in (302, 403)
    # The admin's own login page must not offer them a way to sign in as someone else.
    assert client.get(reverse("admin:login")).status_code == 403
    assert client.get(reverse("admin:intake_case_changelist")).status_code in (302, 403)
    assert client.get(reverse("core:after_login"))["Location"] == reverse("portal:home")


def test_staff_without_a_back_office_role_do_not_reach_the_admin(client: Client) -> None:
    client.force_login(UserFactory.create(is_staff=True))
    assert client.get(reverse("admin:login")).status_code == 403


@pytest.mark.parametrize("who", ["concierge", "clinician"])
def test_back_office_roles_open_the_admin(client: Client, personas: Any, who: str) -> None:
    client.force_login(getattr(personas, who))
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("core:after_login"))["Location"] == reverse("admin:index")


def test_an_administrator_grants_the_clinician_role_in_the_admin_and_it_is_audited(
    client: Client, personas: Any
) -> None:
    """
    GIVEN an administrator and a concierge without the clinician role
    WHEN the administrator adds the clinician group on the concierge's user page,
         and also tries to make them a superuser
    THEN the concierge is a clinician reviewer, not a superuser, and the grant is audited
    """
    administrator = UserFactory.create(is_staff=True, roles=[Role.ADMINISTRATOR])
    concierge: User = personas.concierge
    client.force_login(administrator)
    groups = Group.objects.filter(name__in=["concierge", "clinician"])
    response = client.post(
        reverse("admin:core_user_change", args=[concierge.pk]),
        {
            "email": concierge.email,
            "full_name": concierge.full_name,
            "time_zone": "UTC",
            "language": "en",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "groups": [g.pk for g in groups],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    concierge = User.objects.get(pk=concierge.pk)
    assert concierge.is_clinician
    assert not concierge.is_superuser
    event = AuditEvent.objects.get(action="core.user_roles_changed")
    assert event.actor == administrator
    assert event.data == {"added": ["clinician"], "removed": []}


def test_an_administrator_cannot_edit_a_superuser(client: Client) -> None:
    administrator = UserFactory.create(is_staff=True, roles=[Role.ADMINISTRATOR])
    root = User.objects.create_superuser("root@concierge.example", "a-long-root-password")
    client.force_login(administrator)
    url = reverse("admin:auth_user_password_change", args=[root.pk])
    assert client.get(reverse("admin:core_user_change", args=[root.pk])).status_code in (
        200,  # read-only view
        403,
    )
    assert client.post(url, {"password1": "x" * 20, "password2": "x" * 20}).status_code == 403
    root.refresh_from_db()
    assert root.check_password("a-long-root-password")
