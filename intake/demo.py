"""Demo patients and cases for ``seed_demo``: several statuses, realistic answers.

Idempotent: a patient whose email already exists is left alone. No email is
sent (nothing goes through intake_submit); documents go through the real
upload service, so they are sanitized and stored privately like any other.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from clinics.models import Clinic, Condition

from .models import (
    Case,
    CaseStatus,
    ClinicShare,
    DocumentType,
    Patient,
    PrivacyConsent,
    Proposal,
    ProposalStatus,
    ProposedClinic,
    UploadChannel,
)
from .services import case_documents_add, case_transition, case_triage_refresh


def _pdf(text: str) -> bytes:
    """A one-page PDF with a correct cross-reference table."""
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def _jpeg() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("L", (480, 360), 20)
    draw = ImageDraw.Draw(image)
    draw.ellipse((140, 60, 340, 300), outline=210, width=18)  # a very abstract knee
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=85)
    return buf.getvalue()


@dataclass
class DemoCase:
    patient: dict[str, Any]
    answers: dict[str, Any]
    condition_slug: str
    status: str
    documents: list[tuple[str, str, bytes]] = field(default_factory=list)
    preferred_clinic: str = ""
    propose: list[str] = field(default_factory=list)
    shared_with: list[str] = field(default_factory=list)


NO_RISKS: dict[str, Any] = {
    "takes_nsaids": False,
    "takes_immunosuppressants": False,
    "takes_anticoagulants": False,
    "had_cell_therapy": False,
    "active_infection": False,
    "cancer": "never",
    "immune_compromise": "none",
    "pregnant": False,
    "bleeding_disorder": False,
    "smoking": "never",
    "alcohol": "light",
    "diagnosis_confirmed": True,
    "travel_companion": True,
    "needs_travel_help": False,
}

DEMO_CASES: list[DemoCase] = [
    DemoCase(
        patient={
            "full_name": "María González",
            "email": "maria.gonzalez@patients.example",
            "date_of_birth": datetime.date(1958, 3, 14),
            "sex": "female",
            "country": "US",
            "time_zone": "America/Los_Angeles",
            "language": "es",
            "spoken_languages": ["es", "en"],
            "phone": "+13105550142",
        },
        condition_slug="knee-osteoarthritis",
        status=CaseStatus.NEW,
        answers={
            **NO_RISKS,
            "duration": "3y_10y",
            "severity": 7,
            "functional_impact": "Cannot climb stairs; stopped gardening.",
            "symptoms": "Pain and swelling in both knees, worse in the morning.",
            "goals": "Walk to the market without a cane.",
            "takes_nsaids": True,
            "nsaids_details": "Naproxen 250 mg twice a day",
            "budget_min_usd": 4000,
            "budget_max_usd": 12000,
            "countries_accepted": ["MX", "CO", "CR"],
            "travel_window": "3m",
        },
        documents=[
            (DocumentType.MRI, "knee-mri-report.pdf", _pdf("MRI right knee: grade III OA")),
            (DocumentType.XRAY, "knee-xray.jpg", _jpeg()),
        ],
        preferred_clinic="clinica-regenera-guadalajara",
    ),
    DemoCase(
        patient={
            "full_name": "James Whitfield",
            "email": "james.whitfield@patients.example",
            "date_of_birth": datetime.date(1951, 11, 2),
            "sex": "male",
            "country": "GB",
            "time_zone": "Europe/London",
            "language": "en",
            "spoken_languages": ["en"],
        },
        condition_slug="parkinsons-disease",
        status=CaseStatus.CLINICIAN_REVIEW,
        answers={
            **NO_RISKS,
            "duration": "3y_10y",
            "severity": 6,
            "functional_impact": "Tremor makes writing and buttoning shirts hard.",
            "symptoms": "Resting tremor in the right hand, slow movements.",
            "goals": "Slow the progression.",
            "cancer": "past",
            "cancer_which": "Prostate",
            "cancer_year": timezone.now().year - 2,
            "budget_max_usd": 30000,
            "countries_accepted": ["JP", "KR"],
            "travel_window": "6m",
        },
        documents=[(DocumentType.RECORD, "neurology-letter.pdf", _pdf("Neurology clinic letter"))],
    ),
    DemoCase(
        patient={
            "full_name": "Aisha Rahman",
            "email": "aisha.rahman@patients.example",
            "date_of_birth": datetime.date(1974, 6, 30),
            "sex": "female",
            "country": "AE",
            "time_zone": "Asia/Dubai",
            "language": "ar",
            "spoken_languages": ["ar", "en"],
        },
        condition_slug="type-2-diabetes",
        status=CaseStatus.IN_REVIEW,
        answers={
            **NO_RISKS,
            "duration": "gt10y",
            "severity": 5,
            "functional_impact": "Tired most afternoons; neuropathy in the feet.",
            "symptoms": "High sugar despite metformin and insulin.",
            "goals": "Need less insulin.",
            "records_later": True,
            "budget_max_usd": 20000,
            "any_country": True,
            "travel_window": "12m",
        },
    ),
    DemoCase(
        patient={
            "full_name": "Kenji Sato",
            "email": "kenji.sato@patients.example",
            "date_of_birth": datetime.date(1986, 1, 19),
            "sex": "male",
            "country": "AU",
            "time_zone": "Australia/Sydney",
            "language": "en",
            "spoken_languages": ["en", "ja"],
        },
        condition_slug="tendon-or-ligament-damage",
        status=CaseStatus.READY_FOR_CLINIC,
        answers={
            **NO_RISKS,
            "duration": "6m_1y",
            "severity": 4,
            "functional_impact": "Cannot run; climbing is off.",
            "symptoms": "Achilles pain after more than 2 km.",
            "goals": "Run a half marathon again.",
            "budget_min_usd": 2000,
            "budget_max_usd": 8000,
            "countries_accepted": ["TH", "MY", "KR"],
            "travel_window": "asap",
            "smoking": "current",
        },
        documents=[
            (DocumentType.ULTRASOUND, "achilles-ultrasound.jpg", _jpeg()),
            (DocumentType.LAB, "bloods.pdf", _pdf("Full blood count: normal")),
        ],
    ),
    DemoCase(
        patient={
            "full_name": "Olivia Brown",
            "email": "olivia.brown@patients.example",
            "date_of_birth": datetime.date(1979, 9, 8),
            "sex": "female",
            "country": "CA",
            "time_zone": "America/Toronto",
            "language": "en",
            "spoken_languages": ["en", "fr"],
        },
        condition_slug="chronic-back-pain",
        status=CaseStatus.MATCHED,
        answers={
            **NO_RISKS,
            "duration": "1y_3y",
            "severity": 8,
            "functional_impact": "Off work for two months.",
            "symptoms": "Low back pain radiating to the left leg.",
            "goals": "Return to work.",
            "budget_max_usd": 15000,
            "countries_accepted": ["MX", "PA", "CR"],
            "travel_window": "3m",
            "had_cell_therapy": True,
            "cell_therapy_where": "PRP, local clinic, Toronto",
            "cell_therapy_when": "2023",
            "cell_therapy_result": "Two weeks of relief",
            "cell_therapy_adverse": False,
        },
        documents=[(DocumentType.MRI, "lumbar-mri.pdf", _pdf("MRI L4-L5 disc protrusion"))],
        propose=["costa-rica-regenerative-institute", "panama-cell-therapy-center"],
        shared_with=["costa-rica-regenerative-institute"],
    ),
]

DRAFT = DemoCase(
    patient={
        "full_name": "Lucas Ferreira",
        "email": "lucas.ferreira@patients.example",
        "date_of_birth": datetime.date(1990, 4, 1),
        "sex": "male",
        "country": "BR",
        "time_zone": "America/Sao_Paulo",
        "language": "es",
        "spoken_languages": ["pt", "es"],
    },
    condition_slug="cartilage-injury",
    status=CaseStatus.DRAFT,
    answers={"duration": "lt6m", "severity": 5},
)

# The path each status takes from "new" through the transition table.
PATHS: dict[str, list[str]] = {
    CaseStatus.NEW: [],
    CaseStatus.IN_REVIEW: [CaseStatus.IN_REVIEW],
    CaseStatus.CLINICIAN_REVIEW: [],
    CaseStatus.READY_FOR_CLINIC: [CaseStatus.IN_REVIEW, CaseStatus.READY_FOR_CLINIC],
    CaseStatus.MATCHED: [CaseStatus.IN_REVIEW, CaseStatus.READY_FOR_CLINIC, CaseStatus.MATCHED],
}


def _clinic(slug: str) -> Clinic | None:
    return Clinic.objects.public().filter(slug=slug).first()


def _create(demo: DemoCase) -> Case | None:
    if Patient.objects.filter(email=demo.patient["email"]).exists():
        return None
    condition = Condition.objects.filter(slug=demo.condition_slug).first()
    patient = Patient(**demo.patient)
    patient.full_clean()
    patient.save()
    submitted = demo.status != CaseStatus.DRAFT
    case = Case(
        patient=patient,
        condition=condition,
        condition_other="" if condition else demo.condition_slug.replace("-", " "),
        preferred_clinic=_clinic(demo.preferred_clinic) if demo.preferred_clinic else None,
        status=CaseStatus.NEW if submitted else CaseStatus.DRAFT,
        submitted_at=timezone.now() if submitted else None,
        draft_step="" if submitted else "history",
        **demo.answers,
    )
    case.full_clean()
    case.save()
    if not submitted:
        return case
    PrivacyConsent.objects.create(
        case=case,
        notice_version="2026-11",
        share_with_chosen_clinics=True,
        ip_address="203.0.113.10",
    )
    if demo.documents:
        case_documents_add(
            case=case,
            channel=UploadChannel.STAFF,
            uploads=[
                (SimpleUploadedFile(name, data), doc_type)
                for doc_type, name, data in demo.documents
            ],
        )
    case = case_triage_refresh(case=case, acting_user=None)
    if case.has_hard_contraindication:
        case = case_transition(case=case, to_status=CaseStatus.CLINICIAN_REVIEW, acting_user=None)
    for status in PATHS.get(demo.status, []):
        case = case_transition(case=case, to_status=status, acting_user=None)
    clinics = [c for c in (_clinic(s) for s in demo.propose) if c is not None]
    if clinics:
        proposal = Proposal.objects.create(
            case=case,
            status=ProposalStatus.SENT,
            sent_at=timezone.now(),
            note_to_patient="Both clinics treat back pain with cultured MSCs.",
        )
        for position, clinic in enumerate(clinics):
            ProposedClinic.objects.create(
                proposal=proposal,
                clinic=clinic,
                position=position,
                score=85 - position * 7,
                reasons=[{"code": "country", "label": "In a country you accept", "ok": True}],
            )
        for clinic in clinics:
            if clinic.slug in demo.shared_with:
                ClinicShare.objects.create(case=case, clinic=clinic)
    return case


@transaction.atomic
def seed_cases() -> list[Case]:
    """Create the demo cases (one per status, one hard contraindication, one without imaging)."""
    created = [_create(demo) for demo in [*DEMO_CASES, DRAFT]]
    return [case for case in created if case is not None]
