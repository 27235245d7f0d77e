"""A vetted clinic's public profile (/clinics/<slug>/)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django_countries import countries

from core.public_cache import public_page

from ..forms import language_name
from ..models import Clinic
from ..profile_sections import profile_sections_render, profile_sections_valid_until
from ..public_cache import PUBLIC_PAGES
from ..querysets import current_kinds, offering_badge_in_python
from ..selectors import public_clinic_profile
from .directory import badges_for
from .passport import passport

# The intake wizard reads ?clinic=<slug> to pre-select this clinic (intake-api.md).
INTAKE_PATH = "/intake/"


@require_GET
def profile(request: HttpRequest, slug: str) -> HttpResponse:
    """Team, offerings in plain words, verified credentials, reviews; 404 unless vetted.

    The same for every anonymous visitor: served from the public-page cache until a
    service changes a clinic, or until a section's figures move with the clock.
    """
    shown: list[Clinic] = []

    def render_page() -> HttpResponse:
        response, clinic = _profile(request, slug)
        shown.append(clinic)
        return response

    return public_page(
        request,
        PUBLIC_PAGES,
        render_page,
        valid_until=lambda: profile_sections_valid_until(shown[0]),
    )


def _profile(request: HttpRequest, slug: str) -> tuple[HttpResponse, Clinic]:
    clinic = public_clinic_profile(slug)
    country_name = str(countries.name(clinic.country) or clinic.country)
    credentials = clinic.current_credentials  # type: ignore[attr-defined]
    kinds = current_kinds(credentials)
    for offering in clinic.live_offerings:  # type: ignore[attr-defined]
        offering.has_verified_badge = offering_badge_in_python(offering, kinds)
    context: dict[str, Any] = {
        "clinic": clinic,
        "country_name": country_name,
        "clinic_languages": [language_name(code) for code in clinic.languages or []],
        "team": clinic.team,  # type: ignore[attr-defined]
        "passports": [
            passport(o, country_name=country_name)
            for o in clinic.live_offerings  # type: ignore[attr-defined]
        ],
        "badges": badges_for(credentials),
        "reviews": clinic.public_reviews,  # type: ignore[attr-defined]
        "intake_url": f"{INTAKE_PATH}?{urlencode({'clinic': clinic.slug})}",
        # Sections other apps add (patient-reported outcomes), before the reviews.
        "extra_sections": profile_sections_render(clinic, request),
    }
    return render(request, "clinics/profile.html", context), clinic
