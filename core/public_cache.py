"""Whole public pages for anonymous visitors, cached until what they show changes.

A page that is the same for every anonymous visitor (the clinic directory, a clinic's
profile) is rendered once per *namespace version*, language, time zone, local day and
full path, and served from the cache after that. Nothing here guesses how long a page
stays true:

* the services that change what such a page shows call ``public_content_changed(ns)``
  (explicitly, never from a signal): on commit, the namespace gets a new version and
  every page of it is rendered afresh;
* a page whose content moves with the clock (an outcome counted once its check-in is
  due) says until when it holds (``valid_until``), from its own data; the local day is
  in the key, so a credential that expires at midnight is never shown as current.

Only pages nobody could tell apart are cached: anonymous visitors with no session
kind (a magic-link session is a patient's) and no flash message. Such a page carries
nothing of the visitor's own: the one form on it, the language switcher, needs no CSRF
token (``core.views.language_switch`` checks the request's origin instead). A page that
asked for a token anyway (a form added later) is served but never stored, so one
visitor's token can never reach another.

A browser that accepts gzip (every one does) gets the page compressed once, when it was
rendered, instead of 72 KB of HTML: ten times fewer bytes to a phone, and nothing to
compress per request. Nothing secret is on the page, so its compressed length tells an
eavesdropper nothing (BREACH needs a secret in the body).

A per-process cache (local memory) could not hear a change made in another process,
so pages are only cached when ``CACHES["default"]`` is shared (Redis, Memcached) and
``PUBLIC_PAGE_CACHE`` is on. On Redis, each process also keeps the entries it has read
(``core.page_memo``) for as long as it hears every change announced; a hit then costs
no round trip at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache, caches
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.gzip import re_accepts_gzip
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.text import compress_string

from .cache import RedisCache
from .page_memo import PageMemo
from .sessions import KIND_KEY

# Memory housekeeping only: correctness comes from the version, the day and valid_until.
ENTRY_SECONDS = 24 * 60 * 60
# In every page's key: a release that stores its entries differently never reads an
# earlier release's (they run side by side during a deploy).
ENTRY_FORMAT = "f3"
SHARED_BACKENDS = ("RedisCache", "PyMemcacheCache", "PyLibMCCache", "DatabaseCache")

Renderer = Callable[[], HttpResponse]
log = logging.getLogger(__name__)


def enabled() -> bool:
    backend = str(settings.CACHES["default"]["BACKEND"])
    return bool(getattr(settings, "PUBLIC_PAGE_CACHE", True)) and backend.endswith(SHARED_BACKENDS)


def _version_key(namespace: str) -> str:
    return f"publicpage:{namespace}:version"


def public_content_changed(namespace: str) -> None:
    """Every cached page of ``namespace`` is stale once the current transaction commits.

    Call it from each service that changes what the namespace's pages show. On commit,
    not before: a page rendered between the call and the commit would still read the
    old rows and would be cached under the new version.
    """
    transaction.on_commit(lambda: _new_version(namespace))


def _new_version(namespace: str) -> None:
    version = secrets.token_hex(8)
    # The copy of this process, if it serves pages (a Celery worker that makes a change
    # has none, and should not start a listener for it).
    memo = _memo
    backend = _redis()
    if backend is not None:
        # Every process's own copy hears of it (core.page_memo) in the same MULTI.
        backend.set_and_publish(
            _version_key(namespace), version, channel=_channel(backend), message=namespace
        )
    else:
        cache.set(_version_key(namespace), version, timeout=None)
    if memo is not None:
        memo.forget()


def _redis() -> RedisCache | None:
    backend = caches["default"]
    return backend if isinstance(backend, RedisCache) else None


def _channel(backend: RedisCache) -> str:
    # The key prefix and the server's database keep deployments and test runs that
    # share a Redis apart (a channel is server-wide, not per database).
    where = hashlib.sha256(backend.primary_url.encode()).hexdigest()[:12]
    return backend.make_key(f"publicpage:changed:{where}")


_memo: PageMemo | None = None


def page_memo() -> PageMemo | None:
    """This process's copy of the pages, where the cache is Redis and it is switched on."""
    global _memo
    backend = _redis()
    if backend is None or not enabled() or not getattr(settings, "PUBLIC_PAGE_MEMO", True):
        return None
    url, channel = backend.primary_url, _channel(backend)
    if _memo is None or (_memo.url, _memo.channel) != (url, channel):
        if _memo is not None:
            _memo.stop()
        _memo = PageMemo(url, channel)
    return _memo


def cacheable(request: HttpRequest) -> bool:
    """Whether this request would see exactly what any anonymous visitor sees."""
    if request.method != "GET" or not enabled():
        return False
    user = getattr(request, "user", None)
    if user is None or user.is_authenticated:
        return False
    session = getattr(request, "session", None)
    if session is not None and session.get(KIND_KEY) is not None:
        return False
    return len(get_messages(request)) == 0  # len() does not mark them as shown


def _page_key(namespace: str, request: HttpRequest) -> str:
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
    language = translation.get_language() or settings.LANGUAGE_CODE
    zone = timezone.get_current_timezone_name()
    day = f"{timezone.localdate():%Y%m%d}"
    return f"publicpage:{ENTRY_FORMAT}:{namespace}:{language}:{zone}:{day}:{path}"


def _accepts_gzip(request: HttpRequest) -> bool:
    return bool(re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", "")))


def public_page(
    request: HttpRequest,
    namespace: str,
    render: Renderer,
    *,
    valid_until: Callable[[], dt.datetime | None] | None = None,
) -> HttpResponse:
    """``render()`` once per version, then the cached page for every visitor.

    ``valid_until``, if given, is asked on a miss: the page is not served from the cache
    after that instant.
    """
    if not cacheable(request):
        return render()
    version_key, page_key = _version_key(namespace), _page_key(namespace, request)
    # Each encoding is its own entry: a hit reads only the bytes it sends.
    gzip = _accepts_gzip(request)
    entry_key = page_key + (":gzip" if gzip else "")
    memo = page_memo()
    generation = memo.generation() if memo is not None else None
    if memo is not None and generation is not None:
        kept = memo.get(entry_key)
        if kept is not None and _current(kept, kept["version"]):
            return _respond(kept)
    found = cache.get_many([version_key, entry_key])
    version = found.get(version_key)
    if version is None:
        version = secrets.token_hex(8)
        if not cache.add(version_key, version, timeout=None):
            version = cache.get(version_key) or version
    entry = found.get(entry_key)
    if entry is not None and _current(entry, version):
        if memo is not None:
            memo.keep(generation, entry_key, entry, size=_size(entry))
        return _respond(entry)
    response = render()
    if response.status_code != 200 or response.streaming or response.cookies:
        return response
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        # The page holds this visitor's CSRF token: storing it would hand the token to
        # every later visitor.
        log.warning("public page %s uses a CSRF token: not cached", request.path)
        return response
    plain: dict[str, Any] = {
        "version": version,
        "valid_until": valid_until() if valid_until is not None else None,
        "content": response.content,
        "content_type": response["Content-Type"],
        "encoding": None,
    }
    packed = {**plain, "content": compress_string(response.content), "encoding": "gzip"}
    cache.set_many({page_key: plain, page_key + ":gzip": packed}, timeout=ENTRY_SECONDS)
    served = packed if gzip else plain
    if memo is not None:  # only the encoding this client reads
        memo.keep(generation, entry_key, served, size=_size(served))
    return _respond(served)


def _size(entry: dict[str, Any]) -> int:
    return len(entry["content"]) + 512


def _current(entry: dict[str, Any], version: str) -> bool:
    until = entry["valid_until"]
    return bool(entry["version"] == version and (until is None or timezone.now() < until))


def _respond(entry: dict[str, Any]) -> HttpResponse:
    response = HttpResponse(entry["content"], content_type=entry["content_type"])
    if entry["encoding"]:
        response["Content-Encoding"] = entry["encoding"]
    patch_vary_headers(response, ("Accept-Encoding",))
    return response
