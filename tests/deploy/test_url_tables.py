"""URL tables are built for every language before a worker's pool starts, so its threads,
reversing URLs together, never each build their own."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterator

import pytest
from celery.signals import worker_init
from django.conf import settings
from django.urls import clear_url_caches, reverse
from django.urls.resolvers import URLResolver
from django.utils import translation

from core.url_tables import url_tables_build

# A plain name, a namespaced one, and one in the admin's nested resolvers.
NAMES: list[tuple[str, list[str]]] = [
    ("home", []),
    ("followups:start", ["token"]),
    ("admin:intake_case_changelist", []),
]


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every resolver table built from now on, by language; the URL caches start empty."""
    clear_url_caches()
    built: list[str] = []
    original = URLResolver._populate

    def counted(resolver: URLResolver) -> None:
        built.append(translation.get_language())
        original(resolver)

    monkeypatch.setattr(URLResolver, "_populate", counted)
    yield built
    clear_url_caches()


def reverse_in_threads(threads: int = 4) -> None:
    together = threading.Barrier(threads)

    def work() -> None:
        together.wait()
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                for name, args in NAMES:
                    reverse(name, args=args)

    started = [threading.Thread(target=work) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()


def start_a_worker() -> None:
    # Celery's Django fixup, also listening, warns that no worker came with the signal.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        worker_init.send(sender=None)


@pytest.mark.parametrize("start", [url_tables_build, start_a_worker])
def test_threads_reversing_urls_in_every_language_build_no_table_of_their_own(
    builds: list[str], start: Callable[[], None]
) -> None:
    start()
    assert set(builds) == {code for code, _name in settings.LANGUAGES}
    built_at_start = len(builds)
    reverse_in_threads()
    assert len(builds) == built_at_start


def test_without_them_each_thread_builds_its_own(builds: list[str]) -> None:
    """What url_tables_build saves: the reason it exists."""
    reverse_in_threads(threads=1)
    by_one_thread = len(builds)
    clear_url_caches()
    builds.clear()
    reverse_in_threads(threads=4)
    # At least one table built twice: a build takes far longer than Python's 5 ms thread
    # switch, so a second thread starts its own while the first is still building.
    assert len(builds) > by_one_thread
