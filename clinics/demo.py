"""Demo clinics and the condition taxonomy, from shared/docs/domain.md."""

from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify

from core.demo import ensure_user
from core.models import Role, User

from .models import Clinic, ClinicMembership, ClinicStatus, Condition, ConditionCategory

C = ConditionCategory
CONDITIONS: list[tuple[str, str]] = [
    (C.ORTHOPEDIC, "Knee osteoarthritis"),
    (C.ORTHOPEDIC, "Hip osteoarthritis"),
    (C.ORTHOPEDIC, "Cartilage injury"),
    (C.ORTHOPEDIC, "Tendon or ligament damage"),
    (C.ORTHOPEDIC, "Chronic back pain"),
    (C.ORTHOPEDIC, "Degenerative disc disease"),
    (C.COSMETIC, "Hair loss"),
    (C.COSMETIC, "Skin rejuvenation"),
    (C.COSMETIC, "General anti-aging"),
    (C.NEUROLOGICAL, "Parkinson's disease"),
    (C.NEUROLOGICAL, "Multiple sclerosis"),
    (C.NEUROLOGICAL, "Spinal cord injury"),
    (C.NEUROLOGICAL, "Stroke recovery"),
    (C.NEUROLOGICAL, "Alzheimer's disease"),
    (C.AUTOIMMUNE, "Rheumatoid arthritis"),
    (C.AUTOIMMUNE, "Lupus"),
    (C.AUTOIMMUNE, "Crohn's disease and inflammatory bowel disease"),
    (C.AUTOIMMUNE, "Psoriasis"),
    (C.CARDIOVASCULAR, "Heart failure"),
    (C.CARDIOVASCULAR, "After a heart attack"),
    (C.METABOLIC, "Type 1 diabetes"),
    (C.METABOLIC, "Type 2 diabetes"),
    (C.PULMONARY, "COPD"),
    (C.OTHER, "Eye disease (cornea, retina)"),
    (C.OTHER, "Hard-to-heal wounds and burns"),
]

# (name, country, city, time zone, languages)
CLINICS: list[tuple[str, str, str, str, list[str]]] = [
    ("Clínica Regenera Guadalajara", "MX", "Guadalajara", "America/Mexico_City", ["es", "en"]),
    ("Instituto Celular de Medellín", "CO", "Medellín", "America/Bogota", ["es", "en"]),
    ("Costa Rica Regenerative Institute", "CR", "San José", "America/Costa_Rica", ["es", "en"]),
    ("Panama Cell Therapy Center", "PA", "Panama City", "America/Panama", ["es", "en"]),
    ("Bangkok Regenerative Medicine Hospital", "TH", "Bangkok", "Asia/Bangkok", ["th", "en"]),
    ("Tokyo Cell Clinic", "JP", "Tokyo", "Asia/Tokyo", ["ja", "en"]),
    ("Seoul Stem Cell Orthopedics", "KR", "Seoul", "Asia/Seoul", ["ko", "en"]),
    ("Kuala Lumpur Cellular Medicine", "MY", "Kuala Lumpur", "Asia/Kuala_Lumpur", ["ms", "en"]),
    ("Dubai Regenerative Centre", "AE", "Dubai", "Asia/Dubai", ["ar", "en"]),
]


@transaction.atomic
def seed_conditions() -> int:
    for category, name in CONDITIONS:
        Condition.objects.update_or_create(
            slug=slugify(name), defaults={"name": name, "category": category}
        )
    return len(CONDITIONS)


@transaction.atomic
def seed_clinics() -> list[User]:
    """Create the demo clinics and one staff login for the first two; idempotent."""
    for name, country, city, tz, languages in CLINICS:
        Clinic.objects.update_or_create(
            slug=slugify(name),
            defaults={
                "name": name, "country": country, "city": city, "time_zone": tz,
                "languages": languages, "status": ClinicStatus.VETTED,
                "description": f"{name} is a vetted regenerative-medicine clinic in {city}.",
            },
        )
    logins = []
    for email, slug in [
        ("staff@regenera.example", slugify(CLINICS[0][0])),
        ("staff@medellin-cell.example", slugify(CLINICS[1][0])),
    ]:
        user = ensure_user(email, full_name=email.split("@")[0].title(), role=Role.CLINIC_STAFF)
        ClinicMembership.objects.get_or_create(user=user, clinic=Clinic.objects.get(slug=slug))
        logins.append(user)
    return logins
