"""The public-page cache (core.public_cache): the directory and profiles come from the
cache for anonymous visitors until a service changes a clinic, never for anyone else."""

from __future__ import annotations

import datetime as dt
import gzip
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

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
    forget_everything()
    yield
    forget_everything()


def forget_everything() -> None:
    """Each test's rows are rolled back without a change being announced: start afresh,
    in Redis and in this process's own copy."""
    cache.clear()
    memo = public_cache.page_memo()
    if memo is not None:
        memo.forget()


def queries(client: Client, path: str, **extra: Any) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, **extra)
    assert response.status_code == 200
    return len(captured), response


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


def test_the_cached_page_carries_nothing_of_the_visitor_and_sets_no_cookie() -> None:
    """
    GIVEN the directory, already in the cache
    WHEN a visitor with no cookies reads it
    THEN it holds no CSRF token and sets no cookie: it is the same bytes for everyone
    """
    full_clinic(1)
    Client().get(DIRECTORY)
    first, second = Client().get(DIRECTORY), Client().get(DIRECTORY)
    assert "csrfmiddlewaretoken" not in first.content.decode()
    assert not first.cookies and not second.cookies
    assert first.content == second.content


def test_the_language_switcher_on_a_cached_page_works_without_a_token() -> None:
    full_clinic(1)
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get(DIRECTORY).content.decode()
    assert f'action="{reverse("core:language")}"' in page
    answer = visitor.post(
        reverse("core:language"),
        {"language": "es", "next": DIRECTORY},
        headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
    )
    assert answer.status_code == 302 and answer["Location"] == DIRECTORY
    assert answer.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "es"
    assert 'lang="es"' in visitor.get(DIRECTORY).content.decode()


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    ],
)
def test_another_site_cannot_switch_a_visitors_language(headers: dict[str, str]) -> None:
    visitor = Client(enforce_csrf_checks=True)
    answer = visitor.post(
        reverse("core:language"), {"language": "ar", "next": "/"}, headers=headers
    )
    assert answer.status_code == 403
    assert django_settings.LANGUAGE_COOKIE_NAME not in answer.cookies


def test_the_language_switcher_still_refuses_a_next_on_another_host() -> None:
    answer = Client().post(
        reverse("core:language"), {"language": "es", "next": "https://evil.example/"}
    )
    assert answer.status_code == 302 and answer["Location"] == "/"


def test_a_page_that_asks_for_a_csrf_token_is_served_but_never_stored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A form added to a public page later would otherwise hand one visitor's token to all."""

    def with_a_form(request: HttpRequest) -> HttpResponse:
        return public_cache.public_page(
            request, "test-form", lambda: HttpResponse(f"<input value={get_token(request)}>")
        )

    factory = RequestFactory()
    pages = []
    for _ in range(2):
        request = factory.get("/form/")
        request.user = AnonymousUser()
        request.session = SessionStore()
        request._messages = CookieStorage(request)  # type: ignore[attr-defined]
        pages.append(with_a_form(request).content)
    assert pages[0] != pages[1]
    assert "uses a CSRF token" in caplog.text


GZIP = {"Accept-Encoding": "gzip, deflate, br, zstd"}  # what a browser sends


def test_a_browser_that_accepts_gzip_gets_the_same_page_compressed() -> None:
    """
    GIVEN the directory, rendered once for the cache
    WHEN two browsers that accept gzip ask for it, and a client that does not
    THEN the browsers get it compressed, cost no query, and it unpacks to the plain page
    """
    full_clinic(1)
    plain = Client().get(DIRECTORY)
    assert "Content-Encoding" not in plain
    count, packed_a = queries(Client(), DIRECTORY, headers=GZIP)
    assert count == 0
    packed_b = Client().get(DIRECTORY, headers=GZIP)
    for response in (plain, packed_a, packed_b):
        assert "Accept-Encoding" in response["Vary"]  # a shared cache keeps them apart
    for packed in (packed_a, packed_b):
        assert packed["Content-Encoding"] == "gzip"
        assert len(packed.content) < len(plain.content) / 2
        assert gzip.decompress(packed.content) == plain.content  # checks the CRC and length


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
