"""Django's URL tables, built for every language before a process serves anything.

Django builds a resolver's reverse tables lazily, once per active language, on the
first ``reverse()`` in that language: about a tenth of a second for this site (the
admin alone has some hundred and fifty resolvers). Threads that get there together each
build their own copy, so a mail worker of four threads sending in three languages built
them twelve times as it began to drain. Built here once, in one thread, before a
worker's pool starts.

Not in web processes: gunicorn's sync workers serve one request at a time, so they build
each language's tables once, when they first serve it, and a language a process never
serves costs it no memory (each language beyond the first is about 3.5 MB of a web process).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import get_resolver
from django.urls.resolvers import URLResolver, get_ns_resolver
from django.utils import translation


def url_tables_build() -> None:
    """Build the reverse tables of every resolver ``reverse()`` can reach, per language."""
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            _build(get_resolver(), "", {})


def _build(resolver: URLResolver, ns_pattern: str, converters: dict[str, Any]) -> None:
    # What reverse() reads: the resolver's own tables and, for a namespaced name, the
    # resolver it builds over the namespace's patterns (get_ns_resolver is cached).
    resolver.reverse_dict  # noqa: B018 - building it is the point
    for extra, sub in resolver.namespace_dict.values():
        pattern = ns_pattern + extra
        merged = {**converters, **sub.pattern.converters}
        get_ns_resolver(pattern, sub, tuple(merged.items())).reverse_dict  # noqa: B018
        _build(sub, pattern, merged)
