"""Sections a higher app adds to the clinic portal's navigation.

The portal lists its own sections (``clinics.views.portal.SECTIONS``); an app
above ``clinics`` registers its own from its ``AppConfig.ready()``, so this app
never names another app's URLs or templates. Each URL name is reversed with the
clinic's slug: ``reverse(url_name, kwargs={"slug": clinic.slug})``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PortalSection:
    key: str  # the ``section`` a page passes to ``portal_render`` to mark itself current
    label: Any  # a lazy translation
    url_name: str
    order: int = 100  # built-in sections are 0-60; registered ones follow in this order


_REGISTRY: dict[str, PortalSection] = {}


def portal_section_register(section: PortalSection) -> None:
    """Add (or, on re-import, replace) a section by its key."""
    _REGISTRY[section.key] = section


def registered_portal_sections() -> list[PortalSection]:
    return sorted(_REGISTRY.values(), key=lambda s: (s.order, s.key))


@dataclass(frozen=True)
class PortalLink:
    """A link in the portal's top navigation to a page of a higher app (no clinic slug)."""

    key: str
    label: Any
    url_name: str
    order: int = 100


_LINKS: dict[str, PortalLink] = {}


def portal_link_register(link: PortalLink) -> None:
    """Add (or, on re-import, replace) a top-navigation link by its key."""
    _LINKS[link.key] = link


def registered_portal_links() -> list[PortalLink]:
    return sorted(_LINKS.values(), key=lambda s: (s.order, s.key))
