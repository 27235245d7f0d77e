"""``{% staff_dashboard as groups %}``: the registered tiles, grouped, for concierge staff only."""

from __future__ import annotations

from typing import Any

from django import template

from core.admin_access import is_concierge
from core.dashboard import Tile, dashboard_tiles

register = template.Library()


@register.simple_tag(takes_context=True)
def staff_dashboard(context: dict[str, Any]) -> list[tuple[Any, list[Tile]]]:
    request = context.get("request")
    if request is None or not is_concierge(request):
        return []
    groups: dict[str, tuple[Any, list[Tile]]] = {}
    for tile in dashboard_tiles(request):
        groups.setdefault(str(tile.group), (tile.group, []))[1].append(tile)
    return list(groups.values())
