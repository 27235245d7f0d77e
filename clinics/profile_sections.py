"""Sections a higher app adds to a clinic's public profile, without clinics naming it.

An app registers a renderer from its ``AppConfig.ready()``; the profile view
calls each with the clinic and the request and places what it returns (safe
HTML, or None to add nothing) before the patient reviews. A renderer must
show only what may be public and cost a constant number of queries.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString

from .models import Clinic

ProfileSection = Callable[[Clinic, HttpRequest], SafeString | None]

_SECTIONS: dict[str, tuple[int, ProfileSection]] = {}


def profile_section_register(name: str, renderer: ProfileSection, *, order: int = 100) -> None:
    """Add (or replace, on reload) the section ``name``; lower ``order`` comes first."""
    _SECTIONS[name] = (order, renderer)


def profile_sections_render(clinic: Clinic, request: HttpRequest) -> list[SafeString]:
    rendered = (render(clinic, request) for _order, render in sorted(
        _SECTIONS.values(), key=lambda item: item[0]))
    return [html for html in rendered if html]
