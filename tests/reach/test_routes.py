"""The page list is generated from the URL conf: every route is opened or left out with a reason."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from .demo import build_demo, sessions
from .routes import classify, plan, routes

pytestmark = pytest.mark.django_db


def test_every_route_in_the_url_conf_has_a_way_to_be_opened_or_a_reason_not_to(
    figure: Callable[..., None],
) -> None:
    """
    GIVEN the URL conf and the demo data
    WHEN the page list is generated
    THEN each route is excluded with a reason or opens (as a page, a download, a POST-only
         command or a redirect), and no route lacks a way to fill in its parameters
    """
    seeded = build_demo()
    pages = plan(seeded.demo)
    result = classify(pages.visits, sessions(seeded))
    print("\n".join(f"{v.label} -> {status}" for v, status in result.broken))
    print("\n".join(f"{r.name}" for r in pages.unknown))
    assert not pages.unknown, (
        "routes with parameters but no source in tests/reach/routes.py SOURCES: "
        + ", ".join(f"{r.name} ({r.path})" for r in pages.unknown)
    )
    assert not result.broken, "routes that do not open: " + ", ".join(
        f"{visit.label} -> {status}" for visit, status in result.broken
    )
    assert len(pages.excluded) + len({v.route.name for v in pages.visits}) == len(routes())
    figure(
        "routes",
        total=len(routes()),
        pages=len(result.pages),
        downloads=len(result.downloads),
        commands=len(result.commands),
        redirects=len(result.redirects),
        excluded=len(pages.excluded),
    )
    print("\n".join(v.label for v in result.redirects))
