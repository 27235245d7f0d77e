"""Sections a higher app adds to a clinic's public profile, without clinics naming it.

An app registers a renderer from its ``AppConfig.ready()``; the profile view
calls each with the clinic and the request and places what it returns (safe
HTML, or None to add nothing) before the patient reviews. A renderer must
show only what may be public and cost a constant number of queries.

The profile is cached for anonymous visitors (``clinics.public_cache``). A section
whose figures move with the clock (an outcome counts once its check-in is due) also
registers ``changes_at``: the next instant its content would change by time alone,
from its own data; the cached page is not served past it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString

from .models import Clinic

ProfileSection = Callable[[Clinic, HttpRequest], SafeString | None]
ChangesAt = Callable[[Clinic], dt.datetime | None]

_SECTIONS: dict[str, tuple[int, ProfileSection]] = {}
_CHANGES_AT: dict[str, ChangesAt] = {}


def profile_section_register(
    name: str, renderer: ProfileSection, *, order: int = 100, changes_at: ChangesAt | None = None
) -> None:
    """Add (or replace, on reload) the section ``name``; lower ``order`` comes first."""
    _SECTIONS[name] = (order, renderer)
    if changes_at is not None:
        _CHANGES_AT[name] = changes_at
    else:
        _CHANGES_AT.pop(name, None)


def profile_sections_render(clinic: Clinic, request: HttpRequest) -> list[SafeString]:
    rendered = (
        render(clinic, request)
        for _order, render in sorted(_SECTIONS.values(), key=lambda item: item[0])
    )
    return [html for html in rendered if html]


def profile_sections_valid_until(clinic: Clinic) -> dt.datetime | None:
    """The earliest instant a section of ``clinic``'s profile changes by time alone."""
    instants = [when for changes_at in _CHANGES_AT.values() if (when := changes_at(clinic))]
    return min(instants, default=None)
