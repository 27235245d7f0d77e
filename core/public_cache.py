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
kind (a magic-link session is a patient's) and no flash message. The one piece that
differs per visitor, the CSRF token of the forms (language switcher), is a
placeholder in the cached HTML, replaced by this visitor's own token each time.

A browser that accepts gzip (every one does) gets the page compressed once, when it was
rendered, instead of 72 KB of HTML: ten times fewer bytes to a phone, and nothing to
compress per request. The visitor's token goes in between the compressed pieces as a
stored (uncompressed) deflate block, so it shares no compression context with anything
on the page (BREACH could not read it off the response length; Django masks it anew
for every response besides).

A per-process cache (local memory) could not hear a change made in another process,
so pages are only cached when ``CACHES["default"]`` is shared (Redis, Memcached) and
``PUBLIC_PAGE_CACHE`` is on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import struct
import zlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.middleware.gzip import re_accepts_gzip
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers

from .sessions import KIND_KEY

# Memory housekeeping only: correctness comes from the version, the day and valid_until.
ENTRY_SECONDS = 24 * 60 * 60
# In every page's key: a release that stores its entries differently never reads an
# earlier release's (they run side by side during a deploy).
ENTRY_FORMAT = "f2"
SHARED_BACKENDS = ("RedisCache", "PyMemcacheCache", "PyLibMCCache", "DatabaseCache")

Renderer = Callable[[dict[str, Any]], HttpResponse]


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
    transaction.on_commit(
        lambda: cache.set(_version_key(namespace), secrets.token_hex(8), timeout=None)
    )


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
    """``render(extra_context)`` once per version, then the cached page for every visitor.

    ``render`` must pass ``extra_context`` into the template context (it carries the
    CSRF placeholder). ``valid_until``, if given, is asked on a miss: the page is not
    served from the cache after that instant.
    """
    if not cacheable(request):
        return render({})
    version_key, page_key = _version_key(namespace), _page_key(namespace, request)
    # Each encoding is its own entry: a hit reads only the bytes it sends.
    gzip = _accepts_gzip(request)
    entry_key = page_key + (":gzip" if gzip else "")
    found = cache.get_many([version_key, entry_key])
    version = found.get(version_key)
    if version is None:
        version = secrets.token_hex(8)
        if not cache.add(version_key, version, timeout=None):
            version = cache.get(version_key) or version
    entry = found.get(entry_key)
    now = timezone.now()
    if (
        entry is not None
        and entry["version"] == version
        and (entry["valid_until"] is None or now < entry["valid_until"])
    ):
        return _respond(request, entry)
    placeholder = secrets.token_hex(16)
    response = render({"csrf_token": placeholder})
    if response.status_code != 200 or response.streaming or response.cookies:
        return _with_token(request, response, placeholder)
    plain: dict[str, Any] = {
        "version": version,
        "valid_until": valid_until() if valid_until is not None else None,
        "placeholder": placeholder,
        "content": response.content,
        "content_type": response["Content-Type"],
    }
    compressed = {**plain, "content": None, "gzip": _compress(response.content, placeholder)}
    cache.set_many({page_key: plain, page_key + ":gzip": compressed}, timeout=ENTRY_SECONDS)
    return _respond(request, compressed if gzip else plain)


def _respond(request: HttpRequest, entry: dict[str, Any]) -> HttpResponse:
    token = get_token(request).encode()  # also has the CSRF cookie set, as the tag would
    if entry.get("gzip") is not None:
        response = HttpResponse(
            _gzip_with(entry["gzip"], token), content_type=entry["content_type"]
        )
        response["Content-Encoding"] = "gzip"
    else:
        content = entry["content"].replace(entry["placeholder"].encode(), token)
        response = HttpResponse(content, content_type=entry["content_type"])
    patch_vary_headers(response, ("Accept-Encoding",))
    return response


# --- gzip, compressed once -------------------------------------------------------------
# RFC 1952: a 10-byte header (no name, no time, unknown OS), raw deflate, CRC-32, size.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"


def _compress(content: bytes, placeholder: str) -> dict[str, Any]:
    """The page's pieces around each placeholder, each compressed on its own.

    Every piece but the last ends in a full flush: byte-aligned, and nothing after it
    refers back into it, so the pieces and the tokens can be joined in any request. The
    last ends the deflate stream. For the trailer's CRC, each piece keeps its own CRC, its
    length and the CRC of as many zero bytes; the uncompressed page is not kept.
    """
    pieces = content.split(placeholder.encode())
    deflated = []
    for index, piece in enumerate(pieces):
        compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        last = index == len(pieces) - 1
        flush = zlib.Z_FINISH if last else zlib.Z_FULL_FLUSH
        deflated.append(compressor.compress(piece) + compressor.flush(flush))
    return {
        "deflated": deflated,
        "crcs": [zlib.crc32(piece) for piece in pieces],
        "lengths": [len(piece) for piece in pieces],
        "zero_crcs": [zlib.crc32(_zeros(len(piece))) for piece in pieces],
    }


_ZEROS = memoryview(bytes(1 << 20))


def _zeros(length: int) -> memoryview | bytes:
    return _ZEROS[:length] if length <= len(_ZEROS) else bytes(length)


def _crc_after(crc: int, piece: int, compressed: dict[str, Any]) -> int:
    """``zlib.crc32(piece_bytes, crc)`` without the piece's bytes.

    CRC-32 is affine over GF(2): crc32(B, x) = crc32(B) ^ crc32(zeros, x) ^ crc32(zeros),
    with as many zeros as B has bytes.
    """
    zeros = _zeros(compressed["lengths"][piece])
    return compressed["crcs"][piece] ^ zlib.crc32(zeros, crc) ^ compressed["zero_crcs"][piece]


def _gzip_with(compressed: dict[str, Any], token: bytes) -> bytes:
    """The gzip stream of the page with ``token`` in each placeholder's place."""
    # RFC 1951 3.2.4: a stored block, not the last (BFINAL 0, BTYPE 00, aligned), then
    # LEN and its one's complement, then the bytes as they are.
    stored = b"\x00" + struct.pack("<HH", len(token), len(token) ^ 0xFFFF) + token
    out, crc, size = [_GZIP_HEADER], 0, 0
    for index, deflated in enumerate(compressed["deflated"]):
        if index:
            out.append(stored)
            crc, size = zlib.crc32(token, crc), size + len(token)
        out.append(deflated)
        crc, size = _crc_after(crc, index, compressed), size + compressed["lengths"][index]
    out.append(struct.pack("<II", crc, size & 0xFFFFFFFF))
    return b"".join(out)


def _with_token(request: HttpRequest, response: HttpResponse, placeholder: str) -> HttpResponse:
    """A response rendered for the cache but not kept (a 404): the placeholder replaced."""
    if not response.streaming:
        response.content = response.content.replace(
            placeholder.encode(), get_token(request).encode()
        )
    return response
