"""Factories shared by every app's tests."""

from __future__ import annotations

import factory
from django.contrib.auth.models import Group
from factory.django import DjangoModelFactory

from clinics.models import Clinic, ClinicMembership, ClinicStatus, Condition, ConditionCategory
from core.demo import ensure_role_groups
from core.models import Role, User


def add_roles(user: User, roles: list[Role]) -> None:
    ensure_role_groups()
    user.groups.add(*Group.objects.filter(name__in=[r.value for r in roles]))


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    full_name = factory.Faker("name")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def roles(obj: User, create: bool, extracted: list[Role] | None, **kwargs: object) -> None:  # type: ignore[misc]
        if create and extracted:
            add_roles(obj, extracted)


class ConciergeFactory(UserFactory):
    is_staff = True

    @factory.post_generation
    def roles(obj: User, create: bool, extracted: list[Role] | None, **kwargs: object) -> None:  # type: ignore[misc]
        if create:
            add_roles(obj, extracted or [Role.CONCIERGE])


class ClinicianFactory(ConciergeFactory):
    """Concierge staff who also review cases clinically (documents, clinical answers)."""

    @factory.post_generation
    def roles(obj: User, create: bool, extracted: list[Role] | None, **kwargs: object) -> None:  # type: ignore[misc]
        if create:
            add_roles(obj, extracted or [Role.CONCIERGE, Role.CLINICIAN])


class ConditionFactory(DjangoModelFactory[Condition]):
    class Meta:
        model = Condition
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Condition {n}")
    slug = factory.Sequence(lambda n: f"condition-{n}")
    category = ConditionCategory.ORTHOPEDIC


class ClinicFactory(DjangoModelFactory[Clinic]):
    class Meta:
        model = Clinic

    name = factory.Sequence(lambda n: f"Clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic-{n}")
    country = "MX"
    city = "Guadalajara"
    time_zone = "America/Mexico_City"
    languages = factory.LazyFunction(lambda: ["es", "en"])
    status = ClinicStatus.VETTED


class ClinicMembershipFactory(DjangoModelFactory[ClinicMembership]):
    class Meta:
        model = ClinicMembership

    user = factory.SubFactory(UserFactory)
    clinic = factory.SubFactory(ClinicFactory)
