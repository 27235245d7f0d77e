"""Every page a patient or clinic can open, generated from the URL conf.

The accessibility walk (test_axe.py), the translation check (test_i18n_pages.py) and the
phone checks read their page list from here, so a route added anywhere is covered the
day it lands: ``visits()`` iterates the resolver, and a route that is neither excluded
(with a reason) nor given a parameter source is reported as *unknown*, which fails the
tests until someone says how to open it.

To cover a new route, add its name to ``SOURCES`` with a function that returns the
keyword arguments for ``reverse()`` (one dict per page to visit), built from the
``Demo`` objects (the seed plus a few rows made here). A route without parameters needs
nothing. Routes under ``portal/`` are opened signed in as clinic staff; every other
route with the patient's session (a draft in progress, a submitted case bound by its
link, a finished assessment).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

PATIENT, CLINIC_STAFF = "patient", "clinic_staff"

# Path prefixes (as in config/urls.py) that are not pages of ours, and why.
EXCLUDED_PREFIXES: dict[str, str] = {
    settings.ADMIN_URL: "the concierge admin: Django's own staff UI, behind a second factor",
    "accounts/": "sign-in, password reset and MFA pages: allauth's, with their own axe test",
    "i18n/": "the language switch: a POST that redirects back",
}
# Single routes that are not pages, and why.
EXCLUDED_NAMES: dict[str, str] = {
    "core:healthz": "a health probe for the load balancer (JSON)",
    "core:robots_txt": "robots.txt (plain text)",
    "core:after_login": "redirects each role to its home after sign-in",
    "core:session_keepalive": "a POST the session-timeout warning sends (JSON)",
    "portal_cases:study_archive_download": "a prepared imaging zip (an attachment, not a page)",
    "intake:case_export_download": "a patient's prepared data export (an attachment, not a page)",
}


@dataclass(frozen=True)
class Route:
    name: str  # "intake:step"
    path: str  # "intake/step/<slug:step>/"
    params: tuple[str, ...]


@dataclass(frozen=True)
class Visit:
    route: Route
    url: str
    role: str

    @property
    def label(self) -> str:
        return f"{self.route.name} {self.url}"


@dataclass
class Demo:
    """The demo objects the parameter sources read (tests/reach/demo.py builds it)."""

    public_slug: str
    staff_slug: str
    offering_pk: int
    doctor_pk: int
    change_pk: int
    review_pk: int
    draft_pk: int
    case_reference: str
    shared_reference: str
    resume_token: str
    case_token: str
    extra: dict[str, Any] = field(default_factory=dict)


def _steps(demo: Demo) -> list[dict[str, Any]]:
    from intake.steps import STEP_NAMES

    return [{"step": step} for step in STEP_NAMES]


def _booking(demo: Demo) -> dict[str, Any]:
    return {"reference": demo.case_reference, "pk": demo.extra["booking_pk"]}


def _clinic_pk(demo: Demo, key: str) -> dict[str, Any]:
    return {"slug": demo.staff_slug, "pk": demo.extra[key]}


Source = Callable[[Demo], list[dict[str, Any]]]

SOURCES: dict[str, Source] = {
    "clinics:profile": lambda d: [{"slug": d.public_slug}],
    "portal:clinic": lambda d: [{"slug": d.staff_slug}],
    "portal:profile": lambda d: [{"slug": d.staff_slug}],
    "portal:offerings": lambda d: [{"slug": d.staff_slug}],
    "portal:offering_new": lambda d: [{"slug": d.staff_slug}],
    "portal:offering": lambda d: [{"slug": d.staff_slug, "pk": d.offering_pk}],
    "portal:offering_withdraw": lambda d: [{"slug": d.staff_slug, "pk": d.offering_pk}],
    "portal:team": lambda d: [{"slug": d.staff_slug}],
    "portal:doctor_new": lambda d: [{"slug": d.staff_slug}],
    "portal:doctor": lambda d: [{"slug": d.staff_slug, "pk": d.doctor_pk}],
    "portal:doctor_remove": lambda d: [{"slug": d.staff_slug, "pk": d.doctor_pk}],
    "portal:credentials": lambda d: [{"slug": d.staff_slug}],
    "portal:credential_new": lambda d: [{"slug": d.staff_slug}],
    "portal:credential_document": lambda d: [{"pk": d.extra["credential_pk"]}],
    "portal:changes": lambda d: [{"slug": d.staff_slug}],
    "portal:change": lambda d: [{"slug": d.staff_slug, "pk": d.change_pk}],
    "portal:reviews": lambda d: [{"slug": d.staff_slug}],
    "portal:review_reply": lambda d: [{"slug": d.staff_slug, "pk": d.review_pk}],
    "portal_cases:detail": lambda d: [{"reference": d.shared_reference}],
    "portal_cases:document": lambda d: [
        {"reference": d.shared_reference, "document_id": d.extra["shared_document_id"]}
    ],
    "portal_cases:study_archive_request": lambda d: [{"reference": d.shared_reference}],
    "intake:step": _steps,
    "intake:wizard_document": lambda d: [{"document_id": d.extra["draft_document_id"]}],
    "intake:wizard_document_remove": lambda d: [{"document_id": d.extra["draft_document_id"]}],
    "intake:resume_link": lambda d: [{"token": d.resume_token}],
    "intake:case_link": lambda d: [{"token": d.case_token}],
    "intake:case": lambda d: [{"reference": d.case_reference}],
    "intake:case_upload": lambda d: [{"reference": d.case_reference}],
    "intake:case_document": lambda d: [
        {"reference": d.case_reference, "document_id": d.extra["case_document_id"]}
    ],
    "intake:case_share": lambda d: [{"reference": d.case_reference}],
    "intake:case_message": lambda d: [{"reference": d.case_reference}],
    "intake:case_withdraw": lambda d: [{"reference": d.case_reference}],
    "intake:case_export": lambda d: [{"reference": d.case_reference}],
    "intake:case_erasure": lambda d: [{"reference": d.case_reference}],
    "followups:start": lambda d: [{"token": d.extra["checkin_token"]}],
    "followups:page": lambda d: [{"page": page} for page in (1, 2, 3)],
    "followups:stop": lambda d: [{"token": d.extra["stop_token"]}],
    "followups:unsubscribe": lambda d: [{"token": d.extra["stop_token"]}],
    "followups_portal:event": lambda d: [{"pk": d.extra["event_pk"]}],
    "followups_portal:clinic_events": lambda d: [{"slug": d.staff_slug}],
    "consultations:book": lambda d: [{"reference": d.case_reference}],
    "consultations:book_slot": lambda d: [
        {"reference": d.case_reference, "type_id": d.extra["concierge_type_pk"]}
    ],
    "consultations:case_booking": lambda d: [_booking(d)],
    "consultations:case_reschedule": lambda d: [_booking(d)],
    "consultations:case_cancel": lambda d: [_booking(d)],
    "consultations:manage": lambda d: [{"token": d.extra["booking_token"]}],
    "consultations:manage_reschedule": lambda d: [{"token": d.extra["booking_token"]}],
    "consultations:manage_cancel": lambda d: [{"token": d.extra["booking_token"]}],
    "consultations_portal:bookings": lambda d: [{"slug": d.staff_slug}],
    "consultations_portal:booking": lambda d: [_clinic_pk(d, "clinic_booking_pk")],
    "consultations_portal:booking_action": lambda d: [
        {**_clinic_pk(d, "clinic_booking_pk"), "action": "confirm"}
    ],
    "consultations_portal:availability": lambda d: [{"slug": d.staff_slug}],
    "consultations_portal:rule_new": lambda d: [{"slug": d.staff_slug}],
    "consultations_portal:rule_delete": lambda d: [_clinic_pk(d, "rule_pk")],
    "consultations_portal:exception_new": lambda d: [{"slug": d.staff_slug}],
    "consultations_portal:exception_delete": lambda d: [_clinic_pk(d, "day_off_pk")],
    "consultations_portal:type_new": lambda d: [{"slug": d.staff_slug}],
    "consultations_portal:type_edit": lambda d: [_clinic_pk(d, "type_pk")],
    "consultations_portal:treatments": lambda d: [{"slug": d.staff_slug}],
    "consultations_portal:plan_new": lambda d: [
        {"slug": d.staff_slug, "reference": d.extra["plan_reference"]}
    ],
    "consultations_portal:phase_book": lambda d: [_clinic_pk(d, "phase_pk")],
    "consultations_portal:record_new": lambda d: [
        {"slug": d.staff_slug, "reference": d.extra["plan_reference"]}
    ],
    "consultations_portal:record_complete": lambda d: [_clinic_pk(d, "record_pk")],
}


def _walk(
    patterns: list[Any], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            yield from _walk(
                entry.url_patterns,
                prefix + str(entry.pattern),
                f"{namespace}:{ns}" if namespace and ns else (ns or namespace),
            )
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            converters = getattr(entry.pattern, "converters", {})
            yield name, prefix + str(entry.pattern), tuple(converters)


def routes() -> list[Route]:
    """Every named route in the URL conf, in URL-conf order."""
    seen: dict[str, Route] = {}
    for name, path, params in _walk(get_resolver().url_patterns):
        seen.setdefault(name, Route(name=name, path=path, params=params))
    return list(seen.values())


def exclusion(route: Route) -> str | None:
    """Why ``route`` is not a page we check, or None when it is."""
    for prefix, reason in EXCLUDED_PREFIXES.items():
        if route.path.startswith(prefix):
            return reason
    return EXCLUDED_NAMES.get(route.name)


@dataclass
class Plan:
    visits: list[Visit]
    excluded: dict[str, str]
    unknown: list[Route]


def plan(demo: Demo) -> Plan:
    """The pages to open, the routes left out with their reason, and the unknown routes."""
    visits: list[Visit] = []
    excluded: dict[str, str] = {}
    unknown: list[Route] = []
    for route in routes():
        reason = exclusion(route)
        if reason:
            excluded[route.name] = reason
            continue
        role = CLINIC_STAFF if route.path.startswith("portal/") else PATIENT
        if not route.params:
            visits.append(Visit(route, reverse(route.name), role))
            continue
        source = SOURCES.get(route.name)
        if source is None:
            unknown.append(route)
            continue
        visits.extend(Visit(route, reverse(route.name, kwargs=kw), role) for kw in source(demo))
    return Plan(visits=visits, excluded=excluded, unknown=unknown)


@dataclass
class Classified:
    """What each visit turned out to be when opened with a GET."""

    pages: list[Visit]
    commands: list[Visit]  # POST only (405 on GET)
    downloads: list[Visit]  # attachments
    redirects: list[Visit]  # pages that send the reader elsewhere (their target is a page)
    broken: list[tuple[Visit, int]]


def classify(visits: list[Visit], clients: dict[str, Client]) -> Classified:
    """Open every visit with the role's client: pages, commands, downloads, or broken."""
    out = Classified([], [], [], [], [])
    for visit in visits:
        response = clients[visit.role].get(visit.url)
        disposition = response.headers.get("Content-Disposition", "")
        if response.status_code == 405:
            out.commands.append(visit)
        elif response.status_code == 200 and disposition.startswith("attachment"):
            out.downloads.append(visit)
        elif response.status_code == 200 and "text/html" in response.headers["Content-Type"]:
            out.pages.append(visit)
        elif response.status_code in (301, 302, 303):
            out.redirects.append(visit)
        else:
            out.broken.append((visit, response.status_code))
    return out
