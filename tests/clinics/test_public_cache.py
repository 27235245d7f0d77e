"""The public-page cache (core.public_cache): the directory and profiles come from the
cache for anonymous visitors until a service changes a clinic, never for anyone else."""

from __future__ import annotations

import datetime as dt
import gzip
import re
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import connection, transaction
from django.http import HttpRequest
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from clinics.models import Offering
from clinics.profile_sections import _CHANGES_AT, _SECTIONS, profile_section_register
from clinics.public_cache import public_pages_changed
from clinics.services import offering_withdraw
from core import public_cache
from tests.conftest import Personas, require

from .web_helpers import full_clinic

pytestmark = pytest.mark.django_db
DIRECTORY = "/clinics/"


@pytest.fixture(autouse=True)
def page_cache(settings: Any) -> Iterator[None]:
    """The cache on, on the shared Redis the tests use (it cannot work per process)."""
    backend = str(django_settings.CACHES["default"]["BACKEND"])
    require(backend.endswith("RedisCache"), "the public-page cache needs REDIS_URL (Redis)")
    settings.PUBLIC_PAGE_CACHE = True
    cache.clear()
    yield
    cache.clear()


def queries(client: Client, path: str, **extra: Any) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, **extra)
    assert response.status_code == 200
    return len(captured), response


def csrf_value(response: Any) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
    assert found is not None
    return found.group(1)


def test_an_anonymous_visitor_reads_the_directory_from_the_cache_until_a_clinic_changes(
    client: Client, personas: Personas, django_capture_on_commit_callbacks: Any
) -> None:
    """
    GIVEN a directory an anonymous visitor has already seen
    WHEN the next visitor asks, and then staff withdraw an offering through its service
    THEN the next visitor costs no query, and the withdrawal is on the very next page
    """
    clinic = full_clinic(1)
    first, _page = queries(client, DIRECTORY)
    assert first > 0
    again, page = queries(Client(), DIRECTORY)
    assert again == 0
    offering = Offering.objects.filter(clinic=clinic).order_by("title").first()
    assert offering is not None and offering.title in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        offering_withdraw(offering=offering, acting_user=personas.concierge)
    after, page = queries(Client(), DIRECTORY)
    assert after > 0
    assert offering.title not in page.content.decode()


def test_a_change_that_rolls_back_keeps_the_cached_page(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    full_clinic(1)
    queries(client, DIRECTORY)
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        public_pages_changed()
        transaction.set_rollback(True)
    assert callbacks == []
    assert queries(Client(), DIRECTORY)[0] == 0


def test_each_visitor_gets_a_csrf_token_of_their_own_that_the_site_accepts() -> None:
    full_clinic(1)
    alice, bob = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    token_a = csrf_value(alice.get(DIRECTORY))
    token_b = csrf_value(bob.get(DIRECTORY))
    assert token_a != token_b
    answer = bob.post(
        reverse("set_language"),
        {"language": "es", "next": DIRECTORY, "csrfmiddlewaretoken": token_b},
    )
    assert answer.status_code == 302


GZIP = {"Accept-Encoding": "gzip, deflate, br, zstd"}  # what a browser sends


def test_a_browser_that_accepts_gzip_gets_the_same_page_compressed_with_its_own_token() -> None:
    """
    GIVEN the directory, rendered once for the cache
    WHEN two browsers that accept gzip ask for it, and a client that does not
    THEN the browsers get it compressed, cost no query, and each unpacks to the plain
         page with a token of its own that the site accepts
    """
    full_clinic(1)
    plain = Client(enforce_csrf_checks=True).get(DIRECTORY)
    assert "Content-Encoding" not in plain
    alice, bob = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    count, packed_a = queries(alice, DIRECTORY, headers=GZIP)
    assert count == 0
    packed_b = bob.get(DIRECTORY, headers=GZIP)
    pages = []
    for packed in (plain, packed_a, packed_b):
        assert "Accept-Encoding" in packed["Vary"]  # a shared cache keeps them apart
    for packed in (packed_a, packed_b):
        assert packed["Content-Encoding"] == "gzip"
        assert len(packed.content) < len(plain.content) / 2
        pages.append(gzip.decompress(packed.content))  # checks the CRC and the length
    token_a, token_b = (
        re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page) for page in pages
    )
    assert token_a is not None and token_b is not None and token_a[1] != token_b[1]
    assert pages[1] == plain.content.replace(csrf_value(plain).encode(), token_b[1])
    answer = bob.post(
        reverse("set_language"),
        {"language": "es", "next": DIRECTORY, "csrfmiddlewaretoken": token_b[1].decode()},
    )
    assert answer.status_code == 302


@given(
    pieces=st.lists(st.binary(max_size=3000), min_size=1, max_size=4),
    token=st.binary(min_size=1, max_size=100),
)
@hypothesis_settings(max_examples=60, deadline=None)
def test_the_gzip_pieces_unpack_to_the_page_with_the_token_in_every_place(
    pieces: list[bytes], token: bytes
) -> None:
    placeholder = "0123456789abcdef0123456789abcdef"
    page = placeholder.encode().join(pieces)
    packed = public_cache._gzip_with(public_cache._compress(page, placeholder), token)
    assert gzip.decompress(packed) == token.join(pieces)
    assert zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(packed) == token.join(pieces)


def test_signed_in_users_never_read_or_write_the_cache(client: Client, personas: Personas) -> None:
    full_clinic(1)
    client.force_login(personas.clinic_a_staff)
    queries(client, DIRECTORY)
    again, page = queries(client, DIRECTORY)
    assert again > 0
    assert "Log out" in page.content.decode()
    anonymous, page = queries(Client(), DIRECTORY)
    assert anonymous > 0, "the signed-in page was not stored for anyone else"
    assert "Log out" not in page.content.decode()


def test_a_visitor_with_a_message_waiting_gets_a_fresh_page() -> None:
    full_clinic(1)
    client = Client()
    queries(client, DIRECTORY)
    storage = CookieStorage(HttpRequest())
    client.cookies["messages"] = storage._encode(  # type: ignore[attr-defined]
        [Message(constants.SUCCESS, "Your file was uploaded.")]
    )
    count, page = queries(client, DIRECTORY)
    assert count > 0
    assert "Your file was uploaded." in page.content.decode()
    assert "Your file was uploaded." not in client.get(DIRECTORY).content.decode()  # shown once


def test_each_language_has_its_own_page() -> None:
    full_clinic(1)
    english = Client().get(DIRECTORY, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    spanish = Client().get(DIRECTORY, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert 'lang="en"' in english and 'lang="es"' in spanish
    assert (
        Client().get(DIRECTORY, HTTP_ACCEPT_LANGUAGE="es").content.decode().count('lang="es"') >= 1
    )


def test_a_profile_is_not_served_past_the_moment_a_section_changes_by_the_clock() -> None:
    """
    GIVEN a profile section whose figures change at a known instant (an outcome's check-in
          comes due)
    WHEN that instant has passed since the page was rendered
    THEN the page is rendered afresh; before it, the cached page is served
    """
    clinic = full_clinic(1)
    path = reverse("clinics:profile", args=[clinic.slug])
    changes = {"at": timezone.now() - dt.timedelta(seconds=1)}
    saved = (dict(_SECTIONS), dict(_CHANGES_AT))
    profile_section_register("tests.clock", lambda c, r: None, changes_at=lambda c: changes["at"])
    try:
        queries(Client(), path)
        assert queries(Client(), path)[0] > 0, "valid until a moment already past"
        changes["at"] = timezone.now() + dt.timedelta(hours=1)
        queries(Client(), path)
        assert queries(Client(), path)[0] == 0
    finally:
        _SECTIONS.clear()
        _SECTIONS.update(saved[0])
        _CHANGES_AT.clear()
        _CHANGES_AT.update(saved[1])


def test_a_missing_profile_is_a_404_each_time_and_never_cached() -> None:
    path = reverse("clinics:profile", args=["nowhere"])
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            assert Client().get(path).status_code == 404
        assert len(captured) > 0


def test_a_per_process_cache_turns_it_off(settings: Any) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert not public_cache.enabled()
