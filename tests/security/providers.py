"""How the access matrix fills each URL pattern's parameters: a registry, by route name.

``routes()`` walks the whole URL conf (named and unnamed patterns, regex or path). A
pattern with parameters must be either

* in ``PROVIDERS`` (route name -> one ``Param`` per parameter), or covered by the
  generic admin provider (``admin:<app>_<model>_change|history|delete|simple_history``
  of a model in ``ADMIN_MODELS``), or
* excluded with a reason (``EXCLUDED_PREFIXES``, ``EXCLUDED_NAMES``, ``ADMIN_EXCLUDED``,
  or the admin's bare ``<id>/`` redirect);

anything else is *unknown* and fails the matrix, so a new URL is never silently left out.

A ``Param`` reads an object of one tenant (``of``), is a constant that names no object
(``const``), or is a capability token (``token``): the matrix then sends a wrong token
(another tenant's token of another kind, and a forged one), which every actor must be
refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from .world import BACK_OFFICE, CLINICIAN, Tenant, World, clinic_actor, patient_actor

Getter = Callable[[Tenant], Any]


@dataclass(frozen=True)
class Param:
    of: Getter | None = None  # an object of the tenant
    const: Any = None  # a value that names no object
    token: Getter | None = None  # a capability: the matrix sends a wrong one


def of(getter: Getter) -> Param:
    return Param(of=getter)


def const(value: Any) -> Param:
    return Param(const=value)


def token(getter: Getter) -> Param:
    return Param(token=getter)


@dataclass(frozen=True)
class Route:
    name: str  # "" for an unnamed pattern
    path: str
    params: tuple[str, ...]  # keyword names, or "#0", "#1" for positional regex groups

    @property
    def label(self) -> str:
        return self.name or self.path


# --- Exclusions, each with its reason ------------------------------------------------------
EXCLUDED_PREFIXES: dict[str, str] = {
    "accounts/": "allauth's sign-in, reset and e-mail keys: accounts, not patient or clinic data",
    "i18n/": "the language switch",
}
EXCLUDED_NAMES: dict[str, str] = {
    "admin:app_list": "an app's model list in the admin: names no object",
    "admin:auth_user_password_change": "an account's password: administrators' domain",
}
# Admin models that hold neither patient nor clinic-private data, and why.
ADMIN_EXCLUDED: dict[str, str] = {
    "auth.group": "roles: administrators' domain, no patient data",
    "sites.site": "the site's domain name",
    "account.emailaddress": "sign-in addresses: administrators' domain",
    "mfa.authenticator": "second factors: administrators' domain",
    "axes.accessattempt": "lock-outs: administrators' domain",
    "axes.accesslog": "sign-ins: administrators' domain",
    "axes.accessfailurelog": "failed sign-ins: administrators' domain",
    "django_celery_beat.periodictask": "the beat schedule",
    "django_celery_beat.clockedschedule": "the beat schedule",
    "django_celery_beat.crontabschedule": "the beat schedule",
    "django_celery_beat.solarschedule": "the beat schedule",
    "django_celery_beat.intervalschedule": "the beat schedule",
    "core.user": "accounts: administrators' domain (their own test: tests/core/test_roles.py)",
    "core.auditevent": "the trail: ids and field names only (tests/core/test_audit_trail.py)",
    "core.heartbeat": "worker canaries",
    "clinics.condition": "the public condition taxonomy",
    "clinics.legalityrule": "the public legality table",
    "clinics.exchangeratesource": "exchange rates",
    "followups.scheduletemplate": "follow-up time points per category",
}


def _tenant_row(label: str) -> Getter:
    return lambda t: t.instances()[label].pk


def _latest_history(label: str) -> Getter:
    def get(t: Tenant) -> Any:
        row = t.instances()[label]
        return row.history.order_by("-history_id").first().history_id  # type: ignore[attr-defined]

    return get


# Admin models holding patient or clinic-private data: the matrix opens their change,
# history and delete pages (and simple-history's version page) for each tenant's row.
ADMIN_MODELS: frozenset[str] = frozenset(
    {
        "intake.case",
        "intake.patient",
        "intake.clinicshare",
        "intake.accesstoken",
        "intake.proposal",
        "consultations.booking",
        "consultations.host",
        "consultations.treatmentplan",
        "consultations.treatmentrecord",
        "followups.adverseevent",
        "followups.stafftask",
        "followups.checkin",
        "followups.followupschedule",
        "clinics.changerequest",
        "clinics.clinic",
        "clinics.vettingreview",
        "clinics.credentialnotice",
        "clinics.offering",
        "clinics.credential",
        "clinics.review",
        "core.notification",
        # The patients' rights (export and erasure), where they exist.
        "intake.dataexport",
        "intake.erasurerequest",
    }
)

ref = of(lambda t: t.case.reference)
slug = of(lambda t: t.clinic.slug)

PROVIDERS: dict[str, dict[str, Param]] = {
    # The patient's pages (their case link, bound to the browser session).
    "intake:case": {"reference": ref},
    "intake:case_upload": {"reference": ref},
    "intake:case_document": {"reference": ref, "document_id": of(lambda t: t.document.pk)},
    "intake:case_share": {"reference": ref},
    "intake:case_message": {"reference": ref},
    "intake:case_withdraw": {"reference": ref},
    "intake:case_export": {"reference": ref},
    "intake:case_erasure": {"reference": ref},
    "intake:case_export_download": {"reference": ref, "token": token(lambda t: t.booking_token)},
    "intake:wizard_document": {"document_id": of(lambda t: t.draft_document.pk)},
    "intake:wizard_document_remove": {"document_id": of(lambda t: t.draft_document.pk)},
    "intake:step": {"step": const("condition")},
    "intake:resume_link": {"token": token(lambda t: t.raw_case_link)},
    "intake:case_link": {"token": token(lambda t: t.booking_token)},
    "consultations:book": {"reference": ref},
    "consultations:book_slot": {"reference": ref, "type_id": of(lambda t: t.ctype_pk)},
    "consultations:case_booking": {"reference": ref, "pk": of(lambda t: t.booking.pk)},
    "consultations:case_reschedule": {"reference": ref, "pk": of(lambda t: t.booking.pk)},
    "consultations:case_cancel": {"reference": ref, "pk": of(lambda t: t.booking.pk)},
    "consultations:manage": {"token": token(lambda t: t.raw_case_link)},
    "consultations:manage_reschedule": {"token": token(lambda t: t.raw_case_link)},
    "consultations:manage_cancel": {"token": token(lambda t: t.raw_case_link)},
    "followups:start": {"token": token(lambda t: t.booking_token)},
    "followups:stop": {"token": token(lambda t: t.checkin_token)},
    "followups:unsubscribe": {"token": token(lambda t: t.checkin_token)},
    "followups:page": {"page": const(1)},
    # The public directory: everyone may read a profile; private fields must not show.
    "clinics:profile": {"slug": slug},
    # The clinic portal (signed-in members of the clinic).
    "portal_cases:detail": {"reference": ref},
    "portal_cases:document": {"reference": ref, "document_id": of(lambda t: t.document.pk)},
    "portal_cases:study_archive_request": {"reference": ref},
    "portal_cases:study_archive_download": {
        "reference": ref,
        "archive_id": of(lambda t: t.archive.pk),
    },
    "followups_portal:clinic_events": {"slug": slug},
    "followups_portal:event": {"pk": of(lambda t: t.event.pk)},
    "consultations_portal:bookings": {"slug": slug},
    "consultations_portal:booking": {"slug": slug, "pk": of(lambda t: t.booking.pk)},
    "consultations_portal:booking_action": {
        "slug": slug,
        "pk": of(lambda t: t.booking.pk),
        "action": const("confirm"),
    },
    "consultations_portal:availability": {"slug": slug},
    "consultations_portal:rule_new": {"slug": slug},
    "consultations_portal:rule_delete": {"slug": slug, "pk": of(lambda t: t.rule_pk)},
    "consultations_portal:exception_new": {"slug": slug},
    "consultations_portal:exception_delete": {"slug": slug, "pk": of(lambda t: t.day_off.pk)},
    "consultations_portal:type_new": {"slug": slug},
    "consultations_portal:type_edit": {"slug": slug, "pk": of(lambda t: t.ctype_pk)},
    "consultations_portal:treatments": {"slug": slug},
    "consultations_portal:plan_new": {"slug": slug, "reference": ref},
    "consultations_portal:phase_book": {"slug": slug, "pk": of(lambda t: t.phase.pk)},
    "consultations_portal:record_new": {"slug": slug, "reference": ref},
    "consultations_portal:record_complete": {"slug": slug, "pk": of(lambda t: t.record.pk)},
    "portal:credential_document": {"pk": of(lambda t: t.credential.pk)},
    "portal:clinic": {"slug": slug},
    "portal:profile": {"slug": slug},
    "portal:offerings": {"slug": slug},
    "portal:offering_new": {"slug": slug},
    "portal:offering": {"slug": slug, "pk": of(lambda t: t.offering.pk)},
    "portal:offering_withdraw": {"slug": slug, "pk": of(lambda t: t.offering.pk)},
    "portal:team": {"slug": slug},
    "portal:doctor_new": {"slug": slug},
    "portal:doctor": {"slug": slug, "pk": of(lambda t: t.doctor_pk)},
    "portal:doctor_remove": {"slug": slug, "pk": of(lambda t: t.doctor_pk)},
    "portal:credentials": {"slug": slug},
    "portal:credential_new": {"slug": slug},
    "portal:changes": {"slug": slug},
    "portal:change": {"slug": slug, "pk": of(lambda t: t.change.pk)},
    "portal:reviews": {"slug": slug},
    "portal:review_reply": {"slug": slug, "pk": of(lambda t: t.review.pk)},
    # The admin's own views beyond change/history/delete.
    "admin:intake_case_document": {
        "object_id": of(lambda t: t.case.pk),
        "document_id": of(lambda t: t.document.pk),
    },
    "admin:intake_case_triage": {"object_id": of(lambda t: t.case.pk)},
    "admin:intake_proposal_send": {"object_id": of(lambda t: t.proposal.pk)},
    "admin:clinics_changerequest_decide": {"pk": of(lambda t: t.change.pk)},
    "admin:clinics_credential_document": {"pk": of(lambda t: t.credential.pk)},
    "admin:consultations_booking_act": {
        "pk": of(lambda t: t.booking.pk),
        "action": const("confirm"),
    },
    "admin:view_on_site": {
        "content_type_id": const(None),  # filled below: the case's content type
        "object_id": of(lambda t: t.case.pk),
    },
}

# Who, besides the zone's owner, may open a pattern (and, for the admin, who may not).
EXTRA_ALLOWED: dict[str, frozenset[str]] = {
    # Credential documents: the clinic's own members and concierge staff.
    "portal:credential_document": BACK_OFFICE,
}
# Admin views only clinician reviewers may use (the documents and clinical answers).
CLINICIAN_ONLY: frozenset[str] = frozenset({"admin:intake_case_document"})
# Everyone may open these (the public directory).
PUBLIC: frozenset[str] = frozenset({"clinics:profile"})


# --- Walking the URL conf ------------------------------------------------------------------
def _params(entry: URLPattern) -> tuple[str, ...]:
    pattern = entry.pattern
    if isinstance(pattern, RoutePattern):
        return tuple(pattern.converters)
    regex = pattern.regex  # type: ignore[attr-defined]
    return tuple(regex.groupindex) or tuple(f"#{i}" for i in range(regex.groups))


def _walk(patterns: list[Any], prefix: str = "", ns: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = entry.namespace or ""
            yield from _walk(
                entry.url_patterns,
                prefix + str(entry.pattern),
                f"{ns}:{inner}" if ns and inner else (inner or ns),
            )
        elif isinstance(entry, URLPattern):
            name = f"{ns}:{entry.name}" if ns and entry.name else (entry.name or "")
            yield Route(name=name, path=prefix + str(entry.pattern), params=_params(entry))


def routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns))


def admin_model_of(route: Route) -> tuple[str, str] | None:
    """(``app.model``, view) for the admin's generic object views, else None."""
    if not route.name.startswith("admin:"):
        return None
    for view in ("simple_history", "change", "history", "delete"):
        suffix = f"_{view}"
        if route.name.endswith(suffix):
            parts = route.path[len(settings.ADMIN_URL) :].split("/")
            if len(parts) >= 2:
                return f"{parts[0]}.{parts[1]}", view
    return None


def _is_admin_bare_redirect(route: Route) -> bool:
    # Django's admin adds an unnamed "<app>/<model>/<path:object_id>/" that redirects
    # to the change page (which the matrix opens).
    rest = route.path[len(settings.ADMIN_URL) :]
    return (
        not route.name
        and route.path.startswith(settings.ADMIN_URL)
        and route.params == ("object_id",)
        and rest.count("/") == 3
    )


@dataclass(frozen=True)
class Plan:
    filled: dict[str, dict[str, Param]]  # route label -> its parameters
    routes: dict[str, Route]
    excluded: dict[str, str]
    unknown: list[Route]


def plan(world: World) -> Plan:
    """Every route with parameters: filled, excluded with a reason, or unknown."""
    filled: dict[str, dict[str, Param]] = {}
    by_label: dict[str, Route] = {}
    excluded: dict[str, str] = {}
    unknown: list[Route] = []
    case_type = ContentType.objects.get_for_model(world.tenants["a"].case).pk
    for route in routes():
        if not route.params:
            continue
        reason = next(
            (why for prefix, why in EXCLUDED_PREFIXES.items() if route.path.startswith(prefix)),
            None,
        )
        reason = reason or EXCLUDED_NAMES.get(route.name)
        if reason is None and route.path == f"{settings.ADMIN_URL}(?P<url>.*)$":
            reason = "the admin's catch-all: a 404 for anything unknown"
        if reason is None and _is_admin_bare_redirect(route):
            reason = "the admin's bare <id>/ URL: a redirect to the change page"
        admin_model = admin_model_of(route)
        if reason is None and admin_model and admin_model[0] in ADMIN_EXCLUDED:
            reason = ADMIN_EXCLUDED[admin_model[0]]
        if reason is not None:
            excluded[route.label] = reason
            continue
        by_label[route.label] = route
        if route.name in PROVIDERS:
            params = dict(PROVIDERS[route.name])
            if route.name == "admin:view_on_site":
                params["content_type_id"] = const(case_type)
            filled[route.label] = params
        elif admin_model and admin_model[0] in ADMIN_MODELS:
            label = _label(admin_model[0])
            if admin_model[1] == "simple_history":
                filled[route.label] = {
                    "#0": of(_tenant_row(label)),
                    "#1": of(_latest_history(label)),
                }
            else:
                filled[route.label] = {"object_id": of(_tenant_row(label))}
        else:
            unknown.append(route)
    return Plan(filled=filled, routes=by_label, excluded=excluded, unknown=unknown)


def _label(app_model: str) -> str:
    from django.apps import apps

    return str(apps.get_model(app_model)._meta.label)


def zone_allowed(route: Route, tenant: str) -> frozenset[str]:
    """Who may open ``route`` with tenant ``tenant``'s own objects in it."""
    if route.name in PUBLIC:
        return frozenset({"*"})
    if route.path.startswith(settings.ADMIN_URL):
        return frozenset({CLINICIAN}) if route.name in CLINICIAN_ONLY else BACK_OFFICE
    extra = EXTRA_ALLOWED.get(route.name, frozenset())
    if route.path.startswith("portal/"):
        return frozenset({clinic_actor(tenant)}) | extra
    return frozenset({patient_actor(tenant)}) | extra
