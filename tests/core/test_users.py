from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from core.models import Role, User
from tests.factories import ConciergeFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_it_logs_users_in_by_email_not_username() -> None:
    user = User.objects.create_user("Maria@Example.TEST", password="a-long-password-1")
    assert user.email == "maria@example.test"
    assert User.USERNAME_FIELD == "email"
    assert User.objects.get_by_natural_key("MARIA@example.test") == user


def test_it_refuses_the_same_email_in_another_case() -> None:
    UserFactory.create(email="dup@example.test")
    with pytest.raises((IntegrityError, ValidationError)):
        User.objects.create(email="DUP@example.test")


def test_roles_come_from_groups() -> None:
    concierge = ConciergeFactory.create()
    patient = UserFactory.create(roles=[Role.PATIENT])
    assert concierge.is_concierge
    assert concierge.has_role(Role.CONCIERGE)
    assert not patient.is_concierge
    assert patient.has_role(Role.PATIENT)


def test_an_inactive_user_has_no_role() -> None:
    user = UserFactory.create(roles=[Role.CLINIC_STAFF], is_active=False)
    assert not user.has_role(Role.CLINIC_STAFF)


def test_staff_without_the_concierge_group_is_not_concierge() -> None:
    assert not UserFactory.create(is_staff=True).is_concierge
