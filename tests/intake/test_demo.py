from __future__ import annotations

import pytest
from django.core.management import call_command

from intake.demo import seed_cases
from intake.models import Case, CaseStatus, ClinicShare, Proposal


@pytest.mark.django_db
def test_seed_cases_covers_the_statuses_staff_meet_and_is_idempotent() -> None:
    call_command("seed_demo", verbosity=0)
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {
        CaseStatus.DRAFT,
        CaseStatus.NEW,
        CaseStatus.IN_REVIEW,
        CaseStatus.CLINICIAN_REVIEW,
        CaseStatus.READY_FOR_CLINIC,
        CaseStatus.MATCHED,
    } <= statuses
    hard = Case.objects.get(has_hard_contraindication=True)
    assert hard.status == CaseStatus.CLINICIAN_REVIEW and "cancer_recent" in hard.triage_flags
    no_imaging = Case.objects.get(patient__email="aisha.rahman@patients.example")
    assert not no_imaging.documents.exists() and "no_imaging" in no_imaging.triage_flags
    ready = Case.objects.get(status=CaseStatus.READY_FOR_CLINIC)
    assert ready.has_imaging_or_records()
    assert Proposal.objects.filter(status="sent").exists() and ClinicShare.objects.active().exists()
    count = Case.objects.count()
    assert seed_cases() == []
    assert Case.objects.count() == count
