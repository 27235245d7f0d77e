"""The languages text is written in, and how a page says which one a passage is in.

Clinic staff and patients write descriptions, biographies and reviews in their own
language; we cannot translate them, so the page says which language they are in (a
``lang`` attribute for screen readers, translation tools and hyphenation, and a visible
label: templatetags/core_i18n.py). The choices are every language Django knows (ISO
639-1, without regional variants), named in the reader's language from Django's own
catalogues.
"""

from __future__ import annotations

from django.conf import global_settings
from django.utils.functional import Promise
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _lazy

CONTENT_LANGUAGES: list[tuple[str, str | Promise]] = sorted(
    (
        # A variable, not a literal: makemessages leaves Django's own names to Django's
        # catalogues, which already name every language in Spanish and Arabic.
        (code, _lazy(name))
        for code, name in global_settings.LANGUAGES
        if "-" not in code
    ),
    key=lambda item: item[0],
)
KNOWN_CODES = frozenset(code for code, _name in CONTENT_LANGUAGES)


def base_code(code: str | None) -> str:
    return (code or "").split("-")[0].lower()


def language_name(code: str) -> str:
    """The language's name in the active language ("inglés" for ``en`` in Spanish)."""
    try:
        return str(get_language_info(base_code(code))["name_translated"])
    except KeyError:
        return code


def is_rtl(code: str) -> bool:
    try:
        return bool(get_language_info(base_code(code))["bidi"])
    except KeyError:
        return False
