"""The access matrix: every URL with an object in it x every actor x every object that actor
must not see x GET and POST, generated from the URL conf (``providers.routes()``).

A refused cell is a 404, 403, 405 or a redirect to a sign-in page, AND no marker the
actor may not read (``world.Marker.audience``) in the body or headers. Every other
response (the owner's own pages, public pages, pages without an object) is scanned for
markers too. A route whose parameters cannot be filled fails the test: a new URL is
covered the day it lands, or someone says why not.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.urls import reverse

from .providers import (
    ADMIN_EXCLUDED,
    ADMIN_MODELS,
    Param,
    Plan,
    Route,
    admin_model_of,
    plan,
    routes,
    zone_allowed,
)
from .world import ACTORS, BACK_OFFICE, TENANTS, World

pytestmark = pytest.mark.django_db

REFUSED = frozenset({403, 404, 405})
FORGED = "Zm9yZ2VkLXRva2VuLXRoYXQtbm8tb25lLWV2ZXItaXNzdWVk"


def _sign_in_paths() -> set[str]:
    return {reverse("account_login"), reverse("admin:login")}


def body_text(response: Any) -> str:
    """What a reader gets: the headers and the whole body (streamed downloads included)."""
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    else:
        body = response.content
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    return (headers + "\n" + body.decode("utf-8", "replace")).lower()


def refused(response: Any) -> bool:
    if response.status_code in REFUSED:
        return True
    if response.status_code in (301, 302, 303):
        return urlsplit(response["Location"]).path in _sign_in_paths()
    return False


@dataclass
class Probe:
    route: Route
    url: str
    tenants: frozenset[str]  # tenants whose objects are in the URL
    bearer: bool  # a (wrong) capability token is in the URL


@dataclass
class Outcome:
    cells: int = 0
    requests: int = 0
    failures: list[str] = field(default_factory=list)
    owner_statuses: dict[str, set[int]] = field(default_factory=dict)


def _reverse(route: Route, values: dict[str, Any]) -> str:
    if route.params and route.params[0].startswith("#"):
        return reverse(route.name, args=[values[p] for p in route.params])
    return reverse(route.name, kwargs=values)


def probes(world: World, route: Route, params: dict[str, Param]) -> list[Probe]:
    """Every way to fill ``route``: each tenant's objects, mixed tenants, wrong tokens."""
    objects = [name for name, p in params.items() if p.of is not None]
    tokens = [name for name, p in params.items() if p.token is not None]
    found: list[Probe] = []
    for assignment in itertools.product(TENANTS, repeat=len(objects)):
        chosen = dict(zip(objects, assignment, strict=True))
        base = {name: p.const for name, p in params.items() if p.of is None and p.token is None}
        for name, tenant in chosen.items():
            base[name] = params[name].of(world.tenants[tenant])  # type: ignore[misc]
        owners = frozenset(chosen.values())
        if not tokens:
            found.append(Probe(route, _reverse(route, base), owners, bearer=False))
            continue
        for tenant in TENANTS:  # another tenant's token of another kind, and a forged one
            for value in (params[tokens[0]].token(world.tenants[tenant]), FORGED):  # type: ignore[misc]
                values = {**base, **{name: value for name in tokens}}
                found.append(Probe(route, _reverse(route, values), owners, bearer=True))
    return found


def allowed_actors(probe: Probe) -> frozenset[str]:
    if probe.bearer:
        return frozenset()  # a wrong token opens nothing, for anyone
    if len(probe.tenants) > 1:
        return frozenset()  # one tenant's id under another's: nobody, staff included
    if not probe.tenants:
        return frozenset(ACTORS)
    allowed = zone_allowed(probe.route, next(iter(probe.tenants)))
    return frozenset(ACTORS) if "*" in allowed else allowed


def _check_markers(world: World, actor: str, label: str, text: str, out: Outcome) -> None:
    for marker in world.forbidden_markers(actor):
        if marker.text in text:
            out.failures.append(
                f"LEAK {label} as {actor}: {marker.kind} of tenant {marker.tenant} ({marker.text})"
            )


def _send(world: World, actor: str, method: str, url: str) -> Any:
    client = world.clients[actor]
    return client.get(url) if method == "GET" else client.post(url, {})


def run(world: World, matrix: Plan) -> Outcome:
    out = Outcome()
    cells: list[tuple[Probe, str]] = []
    for label, params in matrix.filled.items():
        route = matrix.routes[label]
        for probe in probes(world, route, params):
            allowed = allowed_actors(probe)
            for actor in ACTORS:
                if actor in allowed:
                    # The owner's own page: not a cell, but nothing foreign may show
                    # (tenant a's side is enough: b's is the same code with other rows).
                    if probe.tenants != {"a"}:
                        continue
                    response = _send(world, actor, "GET", probe.url)
                    out.requests += 1
                    out.owner_statuses.setdefault(label, set()).add(response.status_code)
                    _check_markers(world, actor, f"GET {probe.url}", body_text(response), out)
                else:
                    cells.append((probe, actor))
    # Every GET before any POST: a POST that wrongly gets through must not hide a GET leak.
    for method in ("GET", "POST"):
        for probe, actor in cells:
            response = _send(world, actor, method, probe.url)
            out.requests += 1
            out.cells += 1
            cell = f"{method} {probe.url} ({probe.route.label})"
            if not refused(response):
                out.failures.append(f"OPEN {cell} as {actor}: {response.status_code}")
            _check_markers(world, actor, cell, body_text(response), out)
    return out


def _pages_without_objects(world: World, out: Outcome) -> None:
    """Pages that name no object (lists, the wizard, the portal home) leak nothing foreign."""
    skipped = ("accounts/", "i18n/", settings.ADMIN_URL)  # the admin's lists: staff only
    for route in routes():
        if route.params or not route.name or route.path.startswith(skipped):
            continue
        url = reverse(route.name)
        for actor in ACTORS:
            response = world.clients[actor].get(url)
            out.requests += 1
            _check_markers(world, actor, f"GET {url}", body_text(response), out)


def _autocomplete_queries(world: World) -> list[dict[str, str]]:
    """Every autocomplete the admin offers, and one aimed at each private model (through
    its first foreign key), each searched with a clinic's name and a patient's."""
    sources: list[tuple[type[Any], str]] = [
        (model, name)
        for model, model_admin in admin.site._registry.items()
        for name in model_admin.get_autocomplete_fields(None)  # type: ignore[arg-type]
    ]
    for label in sorted(ADMIN_MODELS):
        try:
            model = apps.get_model(label)
        except LookupError:  # a model named for the day it lands
            continue
        # A key to an account searches accounts: administrators' own domain (core.user).
        fk = next(
            (
                f
                for f in model._meta.fields
                if f.many_to_one and f.related_model._meta.label_lower not in ADMIN_EXCLUDED
            ),
            None,
        )
        if fk is not None:
            sources.append((model, fk.name))
    # Not markers: the term itself comes back in a sign-in redirect's "next".
    terms = [t.clinic.name[:4] for t in world.tenants.values()] + ["Pat"]
    return [
        {
            "app_label": model._meta.app_label,
            "model_name": model._meta.model_name,
            "field_name": name,
            "term": term,
        }
        for model, name in sources
        for term in terms
    ]


def _autocomplete(world: World, out: Outcome) -> None:
    """The admin's autocomplete answers back-office staff only, whatever it is asked."""
    url = reverse("admin:autocomplete")
    for params in _autocomplete_queries(world):
        query = urlencode(params)
        for actor in set(ACTORS) - BACK_OFFICE:
            response = world.clients[actor].get(f"{url}?{query}")
            out.requests += 1
            out.cells += 1
            if not refused(response):
                out.failures.append(f"OPEN autocomplete {query} as {actor}: {response.status_code}")
            _check_markers(world, actor, f"autocomplete {query}", body_text(response), out)


def refused_by_design(route: Route) -> bool:
    """Pages nobody opens: patient and clinic rows are never deleted from the admin (the
    erasure service does it), and no such row has a public URL for "view on site"."""
    if route.name == "admin:view_on_site":
        return True
    found = admin_model_of(route)
    if found is None or found[1] != "delete":
        return False
    model_admin = admin.site._registry[apps.get_model(found[0])]
    return not getattr(model_admin, "allow_delete", True)


def test_no_actor_reaches_an_object_it_must_not_see(world: World, figure: Any) -> None:
    """GIVEN two clinics, two patients and every kind of record, each with a marker string
    WHEN every actor opens every URL with an object in it, with every tenant's objects
    THEN each refused cell is a 404/403/405/sign-in AND no forbidden marker shows anywhere."""
    matrix = plan(world)
    assert not matrix.unknown, (
        "routes the matrix cannot fill (add a provider or a reason): "
        + ", ".join(r.label for r in matrix.unknown)
    )
    out = run(world, matrix)
    _autocomplete(world, out)
    _pages_without_objects(world, out)
    # The owner reaches every GET page of their own (a provider that fills a URL with
    # objects its owner cannot open would make every cell trivially refused).
    blind = sorted(
        label
        for label, statuses in out.owner_statuses.items()
        if statuses and statuses <= {403, 404} and not refused_by_design(matrix.routes[label])
    )
    figure(
        "access-matrix",
        cells=out.cells,
        leaks=len(out.failures),
        requests=out.requests,
        routes=len(matrix.filled),
        excluded=len(matrix.excluded),
    )
    assert not out.failures, "\n".join(out.failures[:80])
    assert blind == [], f"the owner is refused their own object at: {blind}"
    assert settings.ADMIN_URL and out.cells > 1000
