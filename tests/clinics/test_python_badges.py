"""The public pages derive badges in Python from one credential prefetch; the SQL
annotations remain the reference. These tests hold the two to the same answers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from clinics.models import (
    CellOrigin,
    CellSource,
    Credential,
    CredentialKind,
    Manipulation,
    Offering,
)
from clinics.querysets import current_kinds, drop_renewed, offering_badge_in_python
from tests.factories import ClinicFactory

from .factories import CredentialFactory, OfferingFactory

pytestmark = pytest.mark.django_db

ALL_KINDS = (
    CredentialKind.MEDICAL_LICENCE,
    CredentialKind.INSURANCE,
    CredentialKind.LAB_CERTIFICATE,
    CredentialKind.CELL_QUALITY,
    CredentialKind.DONOR_SCREENING,
)


@pytest.mark.parametrize("missing", [None, *ALL_KINDS])
def test_python_offering_badges_match_the_sql_annotation(missing: str | None) -> None:
    """
    GIVEN a clinic holding every credential kind but one (or all), one of them expired
    WHEN offerings of every origin and manipulation are checked in SQL and in Python
    THEN both say the same for every offering, today and on an earlier day
    """
    clinic: Any = ClinicFactory.create()
    today = timezone.localdate()
    for kind in ALL_KINDS:
        if kind != missing:
            CredentialFactory.create(clinic=clinic, kind=kind)
    CredentialFactory.create(  # expired: must count on neither side
        clinic=clinic,
        kind=missing or CredentialKind.INSURANCE,
        expires_on=today - dt.timedelta(days=1),
    )
    for origin in (CellOrigin.AUTOLOGOUS, CellOrigin.ALLOGENEIC):
        OfferingFactory.create(clinic=clinic, origin=origin)
        OfferingFactory.create(
            clinic=clinic,
            origin=origin,
            manipulation=Manipulation.MINIMAL,
            cell_count_millions=None,
            volume_ml=Decimal("60"),
            cell_source=CellSource.BONE_MARROW,
        )
    for day in (today, today - dt.timedelta(days=2)):
        kinds = current_kinds(Credential.objects.current(day).filter(clinic=clinic))
        sql = dict(Offering.objects.with_badge(day).values_list("pk", "has_verified_badge"))
        python = {o.pk: offering_badge_in_python(o, kinds) for o in Offering.objects.all()}
        assert python == sql and len(sql) == 4


def test_dropping_renewed_credentials_in_python_matches_the_sql_filter() -> None:
    """
    GIVEN licences replaced by later ones, two without expiry, and an insurance of the same day
    WHEN current credentials are filtered in SQL (not_renewed) and in Python (drop_renewed)
    THEN the same credentials are left
    """
    today = timezone.localdate()
    clinic: Any = ClinicFactory.create()
    other: Any = ClinicFactory.create()
    for days in (30, 400):
        CredentialFactory.create(clinic=clinic, expires_on=today + dt.timedelta(days=days))
    CredentialFactory.create(clinic=clinic, kind=CredentialKind.LAB_CERTIFICATE, expires_on=None)
    CredentialFactory.create(clinic=clinic, kind=CredentialKind.LAB_CERTIFICATE, expires_on=None)
    CredentialFactory.create(clinic=clinic, kind=CredentialKind.CELL_QUALITY, expires_on=None)
    CredentialFactory.create(
        clinic=clinic, kind=CredentialKind.CELL_QUALITY, expires_on=today + dt.timedelta(days=9)
    )
    for _ in range(2):
        CredentialFactory.create(
            clinic=clinic, kind=CredentialKind.INSURANCE, expires_on=today + dt.timedelta(days=5)
        )
    CredentialFactory.create(clinic=other, expires_on=today + dt.timedelta(days=1))
    current = Credential.objects.current(today).order_by("kind", "-verified_at")
    sql = list(current.not_renewed().values_list("pk", flat=True))
    python = [c.pk for c in drop_renewed(current)]
    assert python == sql
    assert len(python) == 5  # newest licence, no-expiry cell quality, both insurances, other's
