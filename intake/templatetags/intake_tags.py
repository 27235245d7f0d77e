"""Template helpers for the intake pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from ..triage import describe

register = template.Library()


@register.simple_tag
def follow_up_attrs(
    name: str, follow_ups: dict[str, tuple[str, list[str], str]] | None
) -> SafeString:
    """data-* attributes that static/js/intake.js uses to show a follow-up question."""
    rule = (follow_ups or {}).get(name)
    if not rule:
        return SafeString("")
    trigger, values, _kind = rule
    return format_html(' data-show-if="{}" data-show-values="{}"', trigger, " ".join(values))


@register.simple_tag
def follow_up_hint(name: str, follow_ups: dict[str, tuple[str, list[str], str]] | None) -> str:
    rule = (follow_ups or {}).get(name)
    if not rule or not rule[2]:
        return ""
    return (
        _("Only if you answered yes above.")
        if rule[2] == "yes"
        else _("Only if you ticked the box above.")
    )


@register.filter
def flag_infos(codes: list[str]) -> list[Any]:
    return describe(list(codes or []))


@register.filter
def megabytes(size: int) -> str:
    return f"{(size or 0) / (1024 * 1024):.1f} MB"


@register.filter
def reason_text(reason: Any) -> str:
    """A stored matching reason, re-worded in the viewer's language (intake.matching)."""
    from ..matching import reason_display

    if not isinstance(reason, dict):
        return ""
    return reason_display(reason)
