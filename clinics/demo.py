"""Demo clinics and the condition taxonomy, from shared/docs/domain.md. Idempotent.

``seed_clinics`` builds 12 vetted clinics and one under review, with offerings,
doctors, credentials (real small PDFs), the legality table, vetting reviews,
patient reviews good and bad, and a change request waiting for staff.

This module keeps the public entry points and the order they run in; the
builders live in ``demo_catalogue`` (clinics, offerings), ``demo_files``
(credential documents) and ``demo_vetting`` (vetting, reviews, change requests).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from core.demo import ensure_user
from core.models import Role, User

from .demo_catalogue import clinic_slug, upsert_clinic, upsert_offering
from .demo_data import (
    CLINICS,
    ISSUERS,
    OFFERINGS,
    PENDING_OFFERINGS,
    REFERENCE_RATES_ON,
    REFERENCE_USD_PER_UNIT,
)
from .demo_files import seed_credentials
from .demo_vetting import seed_pending_change, seed_reviews, seed_vetting
from .models import (
    ChangeRequest,
    ChangeRequestKind,
    Clinic,
    ClinicMembership,
    ClinicStatus,
    Condition,
    ConditionCategory,
    Doctor,
    Legality,
    LegalityRule,
    Offering,
    OfferingStatus,
    ReviewQueueReason,
)
from .money import STAFF_BACKEND, current_rates

C = ConditionCategory
# (category, English, Spanish, Arabic): patients pick their illness from this list.
CONDITIONS: list[tuple[str, str, str, str]] = [
    (C.ORTHOPEDIC, "Knee osteoarthritis", "Artrosis de rodilla", "خشونة مفصل الركبة"),
    (C.ORTHOPEDIC, "Hip osteoarthritis", "Artrosis de cadera", "خشونة مفصل الورك"),
    (C.ORTHOPEDIC, "Cartilage injury", "Lesión de cartílago", "إصابة الغضروف"),
    (
        C.ORTHOPEDIC,
        "Tendon or ligament damage",
        "Lesión de tendón o ligamento",
        "إصابة الأوتار أو الأربطة",
    ),
    (C.ORTHOPEDIC, "Chronic back pain", "Dolor de espalda crónico", "آلام الظهر المزمنة"),
    (
        C.ORTHOPEDIC,
        "Degenerative disc disease",
        "Enfermedad degenerativa del disco",
        "تنكس الأقراص الفقرية",
    ),
    (C.COSMETIC, "Hair loss", "Caída del cabello", "تساقط الشعر"),
    (C.COSMETIC, "Skin rejuvenation", "Rejuvenecimiento de la piel", "تجديد شباب البشرة"),
    (C.COSMETIC, "General anti-aging", "Antienvejecimiento general", "مكافحة الشيخوخة عمومًا"),
    (C.NEUROLOGICAL, "Parkinson's disease", "Enfermedad de Parkinson", "مرض باركنسون"),
    (C.NEUROLOGICAL, "Multiple sclerosis", "Esclerosis múltiple", "التصلب المتعدد"),
    (C.NEUROLOGICAL, "Spinal cord injury", "Lesión de la médula espinal", "إصابة الحبل الشوكي"),
    (
        C.NEUROLOGICAL,
        "Stroke recovery",
        "Recuperación tras un ictus",
        "التعافي بعد السكتة الدماغية",
    ),
    (C.NEUROLOGICAL, "Alzheimer's disease", "Enfermedad de Alzheimer", "مرض ألزهايمر"),
    (C.AUTOIMMUNE, "Rheumatoid arthritis", "Artritis reumatoide", "التهاب المفاصل الروماتويدي"),
    (C.AUTOIMMUNE, "Lupus", "Lupus eritematoso sistémico", "الذئبة الحمراء"),
    (
        C.AUTOIMMUNE,
        "Crohn's disease and inflammatory bowel disease",
        "Enfermedad de Crohn y enfermedad inflamatoria intestinal",
        "داء كرون وأمراض الأمعاء الالتهابية",
    ),
    (C.AUTOIMMUNE, "Psoriasis", "Psoriasis", "الصدفية"),
    (C.CARDIOVASCULAR, "Heart failure", "Insuficiencia cardíaca", "قصور القلب"),
    (C.CARDIOVASCULAR, "After a heart attack", "Después de un infarto", "بعد النوبة القلبية"),
    (C.METABOLIC, "Type 1 diabetes", "Diabetes tipo 1", "السكري من النوع الأول"),
    (C.METABOLIC, "Type 2 diabetes", "Diabetes tipo 2", "السكري من النوع الثاني"),
    (
        C.PULMONARY,
        "COPD",
        "EPOC (enfermedad pulmonar obstructiva crónica)",
        "مرض الانسداد الرئوي المزمن",
    ),
    (
        C.OTHER,
        "Eye disease (cornea, retina)",
        "Enfermedad ocular (córnea, retina)",
        "أمراض العين (القرنية، الشبكية)",
    ),
    (
        C.OTHER,
        "Hard-to-heal wounds and burns",
        "Heridas y quemaduras de difícil cicatrización",
        "الجروح والحروق بطيئة الالتئام",
    ),
]

# (country, cell type, origin, source, legality, note); "" = any.
LEGALITY: list[tuple[str, str, str, str, str, str]] = [
    (
        "JP",
        "",
        "",
        "",
        Legality.RESTRICTED,
        "Clinics need a treatment plan filed under the Act on the Safety of Regenerative Medicine.",
    ),
    (
        "JP",
        "msc",
        "allogeneic",
        "umbilical_cord",
        Legality.NOT_ALLOWED,
        "Donor umbilical-cord MSCs are not allowed in clinics in Japan.",
    ),
    ("KR", "", "", "", Legality.RESTRICTED, "Allowed in designated institutions (MFDS)."),
    ("CR", "", "", "", Legality.RESTRICTED, "Legal framework; Ministry of Health authorisation."),
    ("AE", "", "", "", Legality.RESTRICTED, "Dubai Health Authority licence required."),
    ("MX", "", "", "", Legality.RESTRICTED, "COFEPRIS licence for cell processing required."),
    (
        "DE",
        "msc",
        "allogeneic",
        "umbilical_cord",
        Legality.NOT_ALLOWED,
        "Not allowed in clinics (EU advanced-therapy rules).",
    ),
    (
        "FR",
        "msc",
        "allogeneic",
        "umbilical_cord",
        Legality.NOT_ALLOWED,
        "Not allowed in clinics (EU advanced-therapy rules).",
    ),
    (
        "ES",
        "msc",
        "allogeneic",
        "umbilical_cord",
        Legality.NOT_ALLOWED,
        "Not allowed in clinics (EU advanced-therapy rules).",
    ),
]

DOCTORS: dict[str, list[tuple[str, str, str]]] = {
    "regenera": [
        ("Dr. Alejandro Torres", "Orthopaedic surgery", "CED-4412871"),
        ("Dra. Sofía Medina", "Haematology", "CED-5120934"),
    ],
    "medellin": [("Dr. Felipe Restrepo", "Physical medicine and rehabilitation", "RM-05-88213")],
    "costarica": [("Dra. Daniela Vargas", "Rheumatology", "MED-11892")],
    "panama": [("Dr. Ricardo Pérez", "Neurology", "IDN-8-774")],
    "bangkok": [("Dr. Kittipong S.", "Cardiology", "TMC-28841")],
    "tokyo": [("Dr. Kenji Watanabe", "Orthopaedic surgery", "MHLW-472910")],
    "seoul": [("Dr. Ji-ho Lee", "Orthopaedic surgery", "KMA-90312")],
    "kualalumpur": [("Dr. Farid Rahman", "Neurology", "MMC-55102")],
    "dubai": [("Dr. Layla Al Mansouri", "Sports medicine", "DHA-P-0091283")],
    "cancun": [("Dr. Eduardo Salas", "Orthopaedic surgery", "CED-7731208")],
    "osaka": [("Dr. Aiko Nakamura", "Dermatology", "MHLW-518224")],
    "chiangmai": [("Dr. Preecha W.", "Pain medicine", "TMC-31907")],
    "cartagena": [("Dr. Mauricio Castro", "General medicine", "RM-13-40021")],
}

STAFF_LOGINS: list[tuple[str, str]] = [
    ("staff@regenera.example", "regenera"),
    ("staff@medellin-cell.example", "medellin"),
]


@transaction.atomic
def seed_conditions() -> int:
    for category, english, spanish, arabic in CONDITIONS:
        # Each language's column by name: plain ``name`` would write only the active language.
        Condition.objects.update_or_create(
            slug=slugify(english),
            defaults={
                "name": english,
                "name_en": english,
                "name_es": spanish,
                "name_ar": arabic,
                "category": category,
            },
        )
    return len(CONDITIONS)


def seed_exchange_rates() -> int:
    """The reference rates as staff rates dated REFERENCE_RATES_ON, unless staff have some.

    Idempotent: rates already on file (entered by staff, or an earlier seed) stay.
    """
    from djmoney.contrib.exchange.models import Rate

    from .services.rates import exchange_rates_set

    if Rate.objects.filter(backend_id=STAFF_BACKEND).exists():
        return 0
    values = {
        code: (Decimal(1) / Decimal(usd)).quantize(Decimal("0.000001"))
        for code, usd in REFERENCE_USD_PER_UNIT.items()
    }
    as_of = dt.datetime.combine(REFERENCE_RATES_ON, dt.time(12), tzinfo=dt.UTC)
    exchange_rates_set(values=values, acting_user=None, as_of=as_of)
    return len(values)


@transaction.atomic
def seed_legality(staff: User | None = None) -> int:
    for country, cell_type, origin, source, legality, note in LEGALITY:
        LegalityRule.objects.update_or_create(
            country=country,
            cell_type=cell_type,
            origin=origin,
            cell_source=source,
            defaults={"legality": legality, "note": note, "updated_by": staff},
        )
    return len(LEGALITY)


@transaction.atomic
def seed_clinics() -> list[User]:
    """Create the demo clinics, their register and reviews, and two staff logins."""
    staff = ensure_user(
        "concierge@concierge.example",
        full_name="Carmen Concierge",
        role=Role.CONCIERGE,
        is_staff=True,
        time_zone="Europe/Madrid",
    )
    seed_legality(staff)
    seed_exchange_rates()
    rates = current_rates()
    for spec in CLINICS:
        clinic = upsert_clinic(spec)
        vetted = clinic.status == ClinicStatus.VETTED
        live = [
            upsert_offering(clinic, title, facts, slugs, OfferingStatus.LIVE, rates)
            for key, title, facts, slugs in OFFERINGS
            if key == spec["key"]
        ]
        for name, speciality, number in DOCTORS.get(spec["key"], []):
            Doctor.objects.update_or_create(
                clinic=clinic,
                licence_number=number,
                defaults={
                    "full_name": name,
                    "speciality": speciality,
                    "is_active": vetted,
                    "licence_authority": ISSUERS.get(str(clinic.country), ("",))[0],
                    "verified_at": timezone.now() if vetted else None,
                    "verified_by": staff if vetted else None,
                },
            )
        if spec["key"] in ISSUERS or str(clinic.country) in ISSUERS:
            seed_credentials(spec["key"], clinic, live, staff)
        seed_vetting(clinic, staff, decided=vetted)
    for key, title, facts, slugs in PENDING_OFFERINGS:
        clinic = Clinic.objects.get(slug=clinic_slug(key))
        offering = upsert_offering(clinic, title, facts, slugs, OfferingStatus.PENDING, rates)
        if not ChangeRequest.objects.filter(target_id=offering.pk, kind="create").exists():
            ChangeRequest.objects.create(
                clinic=clinic,
                kind=ChangeRequestKind.CREATE,
                target=offering,
                changes={
                    "cell_type": "msc",
                    "origin": "allogeneic",
                    "cell_source": "umbilical_cord",
                },
                original={},
            )
    # What the daily credential check does for Panama's expired insurance, without e-mail.
    Clinic.objects.filter(slug=clinic_slug("panama"), review_requested_at__isnull=True).update(
        review_requested_at=timezone.now(), review_reason=ReviewQueueReason.CREDENTIAL_EXPIRED
    )
    seed_reviews(staff)

    logins = []
    for email, key in STAFF_LOGINS:
        user = ensure_user(email, full_name=email.split("@")[0].title(), role=Role.CLINIC_STAFF)
        clinic = Clinic.objects.get(slug=clinic_slug(key))
        ClinicMembership.objects.get_or_create(user=user, clinic=clinic)
        logins.append(user)
    regenera_knee = Offering.objects.get(
        clinic__slug=clinic_slug("regenera"), title__startswith="Cultured adipose"
    )
    seed_pending_change(regenera_knee, logins[0])
    return logins
