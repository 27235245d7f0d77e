"""The clinic portal's forms as the browser posts them, shared by the portal view tests."""

from __future__ import annotations

from typing import Any

from clinics.models import Clinic, Doctor, Offering


def offering_post(offering: Offering, /, **overrides: Any) -> dict[str, Any]:
    """The offering form as the browser posts it, with the published values."""
    data: dict[str, Any] = {
        "title": offering.title,
        "summary": offering.summary,
        "conditions": [c.pk for c in offering.conditions.all()],
        "cell_type": offering.cell_type,
        "cell_source": offering.cell_source,
        "origin": offering.origin,
        "manipulation": offering.manipulation,
        "cell_count_millions": offering.cell_count_millions or "",
        "volume_ml": offering.volume_ml or "",
        "viability_percent": offering.viability_percent or "",
        "route": offering.route,
        "sessions": offering.sessions,
        "typical_stay_nights": offering.typical_stay_nights,
        "price_currency": offering.price_currency,
        "price_min": offering.price_min,
        "price_max": offering.price_max,
        "included": offering.included,
    }
    data.update(overrides)
    return data


def profile_post(clinic: Clinic, /, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": clinic.name,
        "city": clinic.city,
        "country": str(clinic.country),
        "accreditation_notes": clinic.accreditation_notes,
        "description": clinic.description,
        "website": clinic.website,
        "languages": clinic.languages,
        "time_zone": str(clinic.time_zone),
        "contact_name": clinic.contact_name,
        "contact_email": clinic.contact_email,
        "contact_phone": str(clinic.contact_phone or ""),
    }
    data.update(overrides)
    return data


def doctor_post(doctor: Doctor | None = None, /, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "full_name": doctor.full_name if doctor else "Dr. New Person",
        "speciality": doctor.speciality if doctor else "Sports medicine",
        "licence_number": doctor.licence_number if doctor else "NEW-12345",
        "licence_authority": doctor.licence_authority if doctor else "Colegio Médico",
        "bio": doctor.bio if doctor else "",
        "display_order": doctor.display_order if doctor else 1,
    }
    data.update(overrides)
    return data
