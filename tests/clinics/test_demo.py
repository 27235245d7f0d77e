"""seed_clinics: realistic, idempotent, and its documents pass the upload checks."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Max, Min

from clinics import demo
from clinics.models import (
    ChangeRequest,
    Clinic,
    ClinicStatus,
    Credential,
    Offering,
    Review,
)
from core.uploads import FileKind, sanitize_upload

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, ...]:
    return (
        Clinic.objects.count(),
        Offering.objects.count(),
        Credential.objects.count(),
        Review.objects.count(),
        ChangeRequest.objects.count(),
    )


def test_the_demo_is_realistic_and_idempotent() -> None:
    demo.seed_conditions()
    logins = demo.seed_clinics()
    first = _counts()
    demo.seed_conditions()
    demo.seed_clinics()
    assert _counts() == first
    assert len(logins) == 2

    public = Clinic.objects.public()
    assert public.count() == 12
    assert set(public.values_list("country", flat=True)) == {
        "MX",
        "CO",
        "CR",
        "PA",
        "TH",
        "JP",
        "KR",
        "MY",
        "AE",
    }
    assert Clinic.objects.get(status=ClinicStatus.UNDER_REVIEW).name.startswith("Cartagena")

    prices = Offering.objects.live().aggregate(lo=Min("price_min_usd"), hi=Max("price_max_usd"))
    assert prices["lo"] >= Decimal("1320") and prices["hi"] <= Decimal("50000")
    assert Credential.objects.expiring_within(30).count() >= 2
    assert Credential.objects.expired().count() == 1
    ratings = set(Review.objects.filter(status="published").values_list("rating", flat=True))
    assert min(ratings) <= 2 and max(ratings) == 5
    assert Offering.objects.conflicting().exists()
    assert Clinic.objects.in_review_queue().exists()
    assert ChangeRequest.objects.filter(status="pending").count() >= 2
    for offering in Offering.objects.all():
        offering.full_clean()


def test_demo_credential_documents_are_real_pdfs() -> None:
    demo.seed_conditions()
    demo.seed_clinics()
    credential = Credential.objects.first()
    assert credential is not None
    with credential.document.open("rb") as handle:
        body = handle.read()
    sanitized = sanitize_upload(
        SimpleUploadedFile("c.pdf", body), allowed=frozenset({FileKind.PDF}), max_bytes=1_000_000
    )
    with sanitized:
        assert sanitized.kind == FileKind.PDF
