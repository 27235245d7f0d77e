"""Demo consultations for ``seed_demo``: calendars, bookings, a two-phase plan, a treatment.

Idempotent: calendars are made once; a booking, plan or record is added only if
the demo case has none yet. Times are the first free ones some days from now,
so a fresh run always shows consultations in the next days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from clinics.models import Clinic, Offering
from core.demo import ensure_user
from core.models import Role, User
from intake.models import Case, ClinicShare

from .models import (
    AvailabilityRule,
    Booking,
    ConsultationType,
    Host,
    HostKind,
    Modality,
    TreatmentPlan,
    TreatmentRecord,
    VideoLink,
)
from .services import (
    booking_create,
    treatment_phase_book,
    treatment_plan_create,
    treatment_record_complete,
    treatment_record_save,
)
from .slots import free_slots

WEEKDAYS = range(5)
CLINIC_HOURS = ((time(9), time(13)), (time(15), time(18)))
CLINIC_SLUGS = (
    "clinica-regenera-guadalajara",
    "instituto-celular-de-medellin",
    "costa-rica-regenerative-institute",
    "panama-cell-therapy-center",
)


@dataclass
class DemoResult:
    hosts: int = 0
    bookings: int = 0
    plans: int = 0
    records: int = 0
    notes: list[str] = field(default_factory=list)


def _hours(host: Host, spans: tuple[tuple[time, time], ...]) -> None:
    if host.rules.exists():
        return
    for day in WEEKDAYS:
        for start, end in spans:
            AvailabilityRule.objects.create(host=host, weekday=day, start_time=start, end_time=end)


# English name -> (Spanish name, Arabic name, Spanish description, Arabic description):
# patients choose from these in their own language (consultations/translation.py).
TYPE_TRANSLATIONS: dict[str, tuple[str, str, str, str]] = {
    "Free first consultation": (
        "Primera consulta gratuita",
        "الاستشارة الأولى المجانية",
        "Sus preguntas, nuestra opinión sincera y qué preguntar a una clínica.",
        "أسئلتك، ورأينا الصريح، وما الذي تسأل عنه العيادة.",
    ),
    "Video consultation with a doctor": (
        "Videoconsulta con un médico",
        "استشارة بالفيديو مع طبيب",
        "El médico revisa con usted sus informes y sus imágenes.",
        "يراجع الطبيب معك سجلاتك الطبية وصورك.",
    ),
    "Treatment visit": (
        "Visita de tratamiento",
        "زيارة العلاج",
        "En la clínica: extracción o tratamiento.",
        "في العيادة: جمع الخلايا أو العلاج.",
    ),
}


def _type(host: Host, name: str, **values: object) -> ConsultationType:
    ctype, _created = ConsultationType.objects.get_or_create(
        host=host, name_en=name, defaults={"name": name, **values}
    )
    translated = TYPE_TRANSLATIONS.get(name)
    if translated:
        # Each language's column by name: plain ``name`` writes only the active language.
        ctype.name_en, ctype.description_en = name, str(values.get("description", ""))
        ctype.name_es, ctype.name_ar, ctype.description_es, ctype.description_ar = translated
        ctype.save()
    return ctype


def _concierge_host(user: User, name: str, zone: str) -> tuple[Host, ConsultationType]:
    host, _created = Host.objects.get_or_create(
        kind=HostKind.CONCIERGE, user=user, defaults={"name": name, "time_zone": zone}
    )
    _hours(host, ((time(9), time(17)),))
    call = _type(
        host,
        "Free first consultation",
        description="Your questions, our honest view, and what to ask a clinic.",
        duration_minutes=30,
        buffer_after_minutes=10,
        min_notice_hours=4,
        modality=Modality.VIDEO,
        video_link=VideoLink.GENERATED_ROOM,
    )
    return host, call


def _clinic_host(clinic: Clinic) -> tuple[Host, ConsultationType, ConsultationType]:
    host, _created = Host.objects.get_or_create(
        kind=HostKind.CLINIC,
        clinic=clinic,
        doctor=None,
        defaults={"name": clinic.name, "time_zone": str(clinic.time_zone)},
    )
    _hours(host, CLINIC_HOURS)
    call = _type(
        host,
        "Video consultation with a doctor",
        description="The doctor reviews your records and imaging with you.",
        duration_minutes=30,
        buffer_after_minutes=15,
        min_notice_hours=12,
        modality=Modality.VIDEO,
        video_link=VideoLink.GENERATED_ROOM,
    )
    visit = _type(
        host,
        "Treatment visit",
        description="At the clinic: harvest or treatment.",
        duration_minutes=120,
        buffer_before_minutes=15,
        buffer_after_minutes=15,
        min_notice_hours=48,
        horizon_days=180,
        modality=Modality.IN_PERSON,
        video_link="",
        location=f"{clinic.name}, {clinic.city}",
    )
    return host, call, visit


def _first_free(ctype: ConsultationType, days: int) -> datetime | None:
    start = timezone.now() + timedelta(days=days)
    slots = free_slots(
        consultation_type=ctype, window_start=start, window_end=start + timedelta(days=14)
    )
    return slots[0].start if slots else None


def _book(
    case: Case, ctype: ConsultationType, days: int, staff: User | None, question: str = ""
) -> int:
    if Booking.objects.filter(case=case, host=ctype.host).exists():
        return 0
    start = _first_free(ctype, days)
    if start is None:
        return 0
    booking_create(
        case=case, consultation_type=ctype, start=start, acting_user=staff, question=question
    )
    return 1


def _share(case: Case, clinic: Clinic) -> None:
    if not ClinicShare.objects.active().filter(case=case, clinic=clinic).exists():
        ClinicShare.objects.create(case=case, clinic=clinic)


@transaction.atomic
def seed_consultations() -> DemoResult:
    """Calendars for two concierge staff and four clinics, consultations in the next days,
    a two-phase plan (harvest booked) and one completed treatment."""
    result = DemoResult()
    carmen = ensure_user(
        "concierge@concierge.example",
        full_name="Carmen Concierge",
        role=Role.CONCIERGE,
        is_staff=True,
        time_zone="Europe/Madrid",
    )
    lucia = ensure_user(
        "lucia@concierge.example",
        full_name="Lucía Concierge",
        role=Role.CONCIERGE,
        is_staff=True,
        time_zone="America/New_York",
    )
    _carmen_host, carmen_call = _concierge_host(
        carmen, "Carmen (concierge, Madrid)", "Europe/Madrid"
    )
    _lucia_host, lucia_call = _concierge_host(
        lucia, "Lucía (concierge, New York)", "America/New_York"
    )
    clinics = {c.slug: c for c in Clinic.objects.filter(slug__in=CLINIC_SLUGS)}
    calendars = {slug: _clinic_host(clinic) for slug, clinic in clinics.items()}
    result.hosts = 2 + len(calendars)

    maria = Case.objects.filter(patient__email="maria.gonzalez@patients.example").first()
    olivia = Case.objects.filter(patient__email="olivia.brown@patients.example").first()
    kenji = Case.objects.filter(patient__email="kenji.sato@patients.example").first()
    if kenji is not None:
        result.bookings += _book(
            kenji, lucia_call, 1, None, "Is a tendon injury from 2019 too old to treat?"
        )
    if olivia is not None:
        result.bookings += _book(olivia, carmen_call, 2, None)
        if "costa-rica-regenerative-institute" in calendars:
            _, cr_call, _visit = calendars["costa-rica-regenerative-institute"]
            result.bookings += _book(olivia, cr_call, 4, carmen)
            result.records += _completed_treatment(
                olivia, clinics["costa-rica-regenerative-institute"], carmen
            )
    regenera = "clinica-regenera-guadalajara"
    if maria is not None and regenera in calendars:
        _share(maria, clinics[regenera])
        result.bookings += _book(maria, carmen_call, 1, None, "Which knee should go first?")
        _, regenera_call, regenera_visit = calendars[regenera]
        result.bookings += _book(maria, regenera_call, 3, None)
        result.plans += _two_phase_plan(maria, clinics[regenera], regenera_visit, carmen)
    return result


def _two_phase_plan(case: Case, clinic: Clinic, visit: ConsultationType, staff: User) -> int:
    """Autologous cultured adipose MSCs: harvest in about three weeks, treatment six later."""
    if TreatmentPlan.objects.filter(case=case, clinic=clinic).exists():
        return 0
    offering = Offering.objects.filter(
        clinic=clinic, origin="autologous", manipulation="cultured", route="joint"
    ).first()
    if offering is None:
        return 0
    harvest = timezone.localdate() + timedelta(days=21)
    treatment = harvest + timedelta(weeks=6)
    plan = treatment_plan_create(
        case=case,
        clinic=clinic,
        offering=offering,
        harvest_date=harvest,
        arrival_date=treatment - timedelta(days=1),
        departure_date=treatment + timedelta(days=3),
        treatment_date=treatment,
        minimum_stay_nights=3,
        sedation=False,
        notes="Bring your MRI on a USB stick.",
        acting_user=staff,
    )
    harvest_phase = plan.phases.get(kind="harvest")
    start = _first_free(visit, 21)
    if start is not None:
        treatment_phase_book(
            phase=harvest_phase,
            consultation_type=visit,
            start=start,
            acting_user=staff,
        )
    return 1


def _completed_treatment(case: Case, clinic: Clinic, staff: User) -> int:
    """An infusion given two days ago: the event follow-ups start from."""
    if TreatmentRecord.objects.filter(case=case, clinic=clinic).exists():
        return 0
    offering = Offering.objects.filter(clinic=clinic).order_by("pk").first()
    if offering is None:
        return 0
    treated = timezone.localdate() - timedelta(days=2)
    plan = treatment_plan_create(
        case=case,
        clinic=clinic,
        offering=offering,
        arrival_date=treated - timedelta(days=1),
        departure_date=treated + timedelta(days=2),
        treatment_date=treated,
        acting_user=staff,
    )
    record = treatment_record_save(
        record=TreatmentRecord(
            case=case,
            clinic=clinic,
            offering=offering,
            plan=plan,
            treated_on=treated,
            cell_count_millions=Decimal("100"),
            route=offering.route,
            site="IV, left forearm",
            cell_lot="CRRI-UC-2026-0412",
            notes="Infusion over 90 minutes; no reaction.",
        ),
        acting_user=staff,
    )
    treatment_record_complete(record=record, acting_user=staff)
    return 1
