"""The one answer to "which address is this client?".

Every consumer asks here: allauth's rate limits (``core.adapters``), django-axes
(``AXES_CLIENT_IP_CALLABLE``), django-ratelimit (``RATELIMIT_IP_META_KEY``) and
the audit log. ``TRUSTED_PROXY_COUNT`` says how many reverse proxies of ours sit
in front of the app:

* ``0`` (the default): ``REMOTE_ADDR`` only. Every forwarding header is ignored,
  because without a proxy of ours in front anyone can write one.
* ``N > 0``: the N-th entry from the right of ``X-Forwarded-For``. Each of our
  proxies appends the address it saw, so the right-most N entries were written
  by machines we run; everything further left was written by the client and is
  never read. That is why python-ipware is asked for the *right-hand* end and
  given no other header: its defaults (left-most entry, a long list of headers)
  would believe whatever the client sent.
"""

from __future__ import annotations

import ipaddress
import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from python_ipware import IpWare

logger = logging.getLogger(__name__)

_XFF = "HTTP_X_FORWARDED_FOR"


def trusted_proxy_count() -> int:
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be a whole number, 0 or more.")
    return count


def _clean(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def _from_forwarded_for(request: HttpRequest, count: int) -> str | None:
    # python-ipware counts the proxies *between* the client and the last hop
    # that wrote the header, so our N proxies are its N - 1; non-strict parsing
    # skips junk the client put on the left without shifting the right-hand end.
    ipware = IpWare(precedence=(_XFF,), leftmost=True, proxy_count=count - 1)
    found, _trusted = ipware.get_client_ip(request.META, strict=False)
    return str(found) if found is not None else None


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address as our own proxies saw it; None when there is no request."""
    if request is None:
        return None
    count = trusted_proxy_count()
    if count > 0:
        forwarded = _from_forwarded_for(request, count)
        if forwarded is not None:
            return forwarded
        if request.META.get(_XFF):
            # Fewer hops than proxies configured: a request that bypassed a proxy
            # or a wrong count. Fall back to the socket address, never to the header.
            logger.warning("X-Forwarded-For has fewer entries than TRUSTED_PROXY_COUNT")
    return _clean(request.META.get("REMOTE_ADDR"))


def client_ip_required(request: HttpRequest) -> str:
    """``client_ip`` for libraries that must have an address (rate limits)."""
    ip = client_ip(request)
    if ip is None:
        raise ImproperlyConfigured(
            "No client address: REMOTE_ADDR is empty (a Unix socket?) and no trusted "
            "X-Forwarded-For entry. Set TRUSTED_PROXY_COUNT to the number of proxies."
        )
    return ip
