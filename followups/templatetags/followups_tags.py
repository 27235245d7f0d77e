from __future__ import annotations

from django import template

from followups.escalation import REASON_LABELS

register = template.Library()


@register.filter
def reason_label(code: str) -> object:
    """The words for an escalation reason code (codes are what the database keeps)."""
    return REASON_LABELS.get(code, code)
