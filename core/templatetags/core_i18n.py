"""Passages we cannot translate, marked with the language they are written in.

    <div {% lang_attrs clinic.content_language %}>{{ clinic.description|linebreaks }}</div>
    {% written_in clinic.content_language "clinic" %}

``lang_attrs`` gives the passage its ``lang`` and ``dir`` (an English biography reads
left to right on an Arabic page). ``written_in`` is the visible label, shown only when
the passage is not in the page's language: "Written by the clinic in Spanish".
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core.languages import base_code, is_rtl, language_name

register = template.Library()

WRITERS = {
    "clinic": lambda name: _("Written by the clinic in %(language)s") % {"language": name},
    "patient": lambda name: _("Written by the patient in %(language)s") % {"language": name},
    "staff": lambda name: _("Written by our staff in %(language)s") % {"language": name},
}


@register.simple_tag
def lang_attrs(code: str | None) -> SafeString:
    code = base_code(code)
    if not code:
        return mark_safe("")
    return format_html(' lang="{}" dir="{}"', code, "rtl" if is_rtl(code) else "ltr")


@register.simple_tag
def written_in(code: str | None, writer: str = "clinic") -> SafeString:
    code = base_code(code)
    if not code or code == base_code(get_language()):
        return mark_safe("")
    return format_html('<span class="written-in">{}</span>', WRITERS[writer](language_name(code)))
