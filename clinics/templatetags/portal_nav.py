"""``{% portal_links as links %}``: the top-navigation links higher apps registered."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from clinics.portal_menu import registered_portal_links

register = template.Library()


@register.simple_tag
def portal_links() -> list[tuple[Any, str]]:
    return [(link.label, reverse(link.url_name)) for link in registered_portal_links()]
