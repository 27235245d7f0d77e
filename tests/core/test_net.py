"""One client address for every consumer (core.net.client_ip)."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.account.adapter import get_adapter
from axes.helpers import get_client_ip_address
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.test import RequestFactory
from django_ratelimit.core import _get_ip

from core.audit import audit_event_record
from core.net import client_ip, client_ip_required

rf = RequestFactory()


def _request(remote: str = "192.0.2.10", forwarded: str | None = None) -> HttpRequest:
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return rf.post("/accounts/login/", REMOTE_ADDR=remote, **headers)  # type: ignore[arg-type]


def test_without_a_trusted_proxy_the_forwarded_header_is_never_read(settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request(forwarded="203.0.113.9")) == "192.0.2.10"


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (1, "203.0.113.9", "203.0.113.9"),
        # Whatever the client wrote on the left is never believed.
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),
        (1, "not-an-address, 6.6.6.6, 203.0.113.9", "203.0.113.9"),
        (2, "6.6.6.6, 203.0.113.9, 198.51.100.1", "203.0.113.9"),
        (1, "2001:db8::7", "2001:db8::7"),
        (1, "10.1.2.3", "10.1.2.3"),
    ],
)
def test_with_n_trusted_proxies_it_takes_the_nth_forwarded_entry_from_the_right(
    settings: Any, count: int, forwarded: str, expected: str
) -> None:
    settings.TRUSTED_PROXY_COUNT = count
    assert client_ip(_request(remote="10.0.0.1", forwarded=forwarded)) == expected


def test_a_request_with_fewer_hops_than_proxies_falls_back_to_the_socket_address(
    settings: Any,
) -> None:
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request(remote="10.0.0.1", forwarded="203.0.113.9")) == "10.0.0.1"
    assert client_ip(_request(remote="10.0.0.1")) == "10.0.0.1"


def test_no_request_or_no_address_is_none_and_rate_limits_refuse_to_guess(settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(None) is None
    assert client_ip(_request(remote="")) is None
    with pytest.raises(ImproperlyConfigured):
        client_ip_required(_request(remote=""))


def test_a_negative_count_is_a_configuration_error(settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = -1
    with pytest.raises(ImproperlyConfigured):
        client_ip(_request())


def test_allauth_axes_ratelimit_and_the_audit_log_all_ask_the_same_function(
    settings: Any, db: None
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    request = _request(remote="10.0.0.1", forwarded="6.6.6.6, 203.0.113.9")
    assert get_adapter(request).get_client_ip(request) == "203.0.113.9"
    # axes would switch to django-ipware's left-most default by itself: it must not.
    assert get_client_ip_address(request, use_ipware=True) == "203.0.113.9"
    assert _get_ip(request) == "203.0.113.9"
    event = audit_event_record(action="test.client_ip", acting_user=None, request=request)
    assert event.ip_address == "203.0.113.9"
