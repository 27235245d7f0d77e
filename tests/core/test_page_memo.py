"""A process's own copy of the public pages (core.page_memo): kept only while every
announced change is heard, emptied the moment one is, and distrusted whenever the
listener's Redis connection is lost or goes silent. Each test has a redis-server of its
own, so it can be killed, stopped and restarted."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core.cache import RedisCache
from core.page_memo import PageMemo
from tests.conftest import require
from tests.core.processes import REDIS_SERVER, RedisServer, wait_until

CHANNEL = "test:publicpage:changed"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    require(REDIS_SERVER is not None, "redis-server is not installed (apt-get install redis)")
    redis = RedisServer(tmp_path)
    redis.start()
    try:
        yield redis
    finally:
        redis.kill()


@pytest.fixture
def make_memo(server: RedisServer) -> Iterator[Callable[..., PageMemo]]:
    made: list[PageMemo] = []

    def make(**options: float) -> PageMemo:
        memo = PageMemo(server.url, CHANNEL, **options)  # type: ignore[arg-type]
        made.append(memo)
        return memo

    yield make
    for memo in made:
        memo.stop()


def trusted(memo: PageMemo) -> int:
    """A generation to keep under, as a request takes one: in a single call (the next call
    may be ``None`` for a moment, while a ping's answer waits on the listener's socket)."""
    taken: list[int] = []

    def take() -> bool:
        generation = memo.generation()
        if generation is not None:
            taken.append(generation)
        return bool(taken)

    wait_until(take, timeout=10, what="the memo to subscribe")
    return taken[0]


def served(memo: PageMemo, key: str) -> object:
    """What a request would serve from the copy: it asks for a generation, then reads."""
    return None if memo.generation() is None else memo.get(key)


def announce(server: RedisServer, version: str = "v2") -> None:
    """What another process's ``public_content_changed`` does on commit."""
    RedisCache(server.url, {}).set_and_publish(
        "publicpage:directory:version", version, channel=CHANNEL, message="directory"
    )


def test_a_page_read_while_subscribed_is_kept(make_memo: Callable[..., PageMemo]) -> None:
    memo = make_memo()
    memo.keep(trusted(memo), "page", "directory v1", size=100)
    assert memo.get("page") == "directory v1"


def test_another_process_announcing_a_change_empties_the_copy_as_soon_as_it_arrives(
    make_memo: Callable[..., PageMemo], server: RedisServer
) -> None:
    memo = make_memo()
    for round_ in range(50):
        memo.keep(trusted(memo), "page", f"directory {round_}", size=100)
        announce(server, f"v{round_}")
        # Redis writes the announcement to each subscriber in the same turn as it answers
        # the MULTI, subscribers first; from the moment it is on this process's socket the
        # copy is not served (not trusted while unread or being read, emptied once read).
        assert served(memo, "page") is None
        wait_until(lambda: memo.get("page") is None, timeout=5, what="the copy to be emptied")
    assert RedisCache(server.url, {}).get("publicpage:directory:version") == "v49"


def test_a_read_that_raced_a_change_is_not_kept(
    make_memo: Callable[..., PageMemo], server: RedisServer
) -> None:
    memo = make_memo()
    before = trusted(memo)  # taken before the read from Redis began
    announce(server)
    wait_until(lambda: memo.generation() not in (None, before), timeout=5, what="the change")
    memo.keep(before, "page", "directory as read before the change", size=100)
    assert memo.get("page") is None


def test_this_process_forgets_its_own_change_without_waiting_to_hear_it(
    make_memo: Callable[..., PageMemo],
) -> None:
    memo = make_memo()
    generation = trusted(memo)
    memo.keep(generation, "page", "old", size=100)
    memo.forget()
    assert memo.get("page") is None
    memo.keep(generation, "page", "old, read before forgetting", size=100)
    assert memo.get("page") is None


def test_nothing_is_trusted_or_kept_without_a_subscription(tmp_path: Path) -> None:
    nobody = RedisServer(tmp_path)  # a free port with no server on it
    memo = PageMemo(nobody.url, CHANNEL)
    try:
        for _ in range(5):
            assert memo.generation() is None
        memo.keep(0, "page", "unverified", size=100)
        memo.keep(1, "page", "unverified", size=100)
        assert memo.get("page") is None
    finally:
        memo.stop()


def test_a_restarted_redis_empties_the_copy_until_the_listener_is_back(
    make_memo: Callable[..., PageMemo], server: RedisServer
) -> None:
    memo = make_memo()
    memo.keep(trusted(memo), "page", "before the restart", size=100)
    server.kill()  # an announcement made now would be lost
    wait_until(lambda: memo.get("page") is None, timeout=10, what="the memo to notice")
    assert memo.generation() is None
    server.start()
    generation = trusted(memo)
    assert memo.get("page") is None
    memo.keep(generation, "page", "after", size=100)
    assert memo.get("page") == "after"


def test_a_redis_that_stops_answering_is_distrusted_within_dead_after(
    make_memo: Callable[..., PageMemo], server: RedisServer
) -> None:
    memo = make_memo(dead_after=1.5)
    memo.keep(trusted(memo), "page", "before the silence", size=100)
    assert server.proc is not None
    group = os.getpgid(server.proc.popen.pid)
    os.killpg(group, signal.SIGSTOP)  # the connection stays open and says nothing
    try:
        took = wait_until(
            lambda: memo.generation() is None and memo.get("page") is None,
            timeout=10,
            what="distrust",
        )
        assert took < 1.5 + 1.5  # dead_after, plus one ping interval and slack
    finally:
        os.killpg(group, signal.SIGCONT)
    trusted(memo)
    assert memo.get("page") is None


def test_the_copy_is_bounded(make_memo: Callable[..., PageMemo]) -> None:
    memo = make_memo(max_bytes=300)
    generation = trusted(memo)
    for n in range(5):
        memo.keep(generation, f"page{n}", n, size=100)
    assert [memo.get(f"page{n}") for n in range(5)] == [None, None, 2, 3, 4]
    memo.get("page2")  # read lately: the next to go is page3
    memo.keep(generation, "page5", 5, size=100)
    assert [memo.get(f"page{n}") for n in (2, 3, 4, 5)] == [2, None, 4, 5]
    memo.keep(generation, "huge", "x", size=301)
    assert memo.get("huge") is None


def test_a_forked_child_starts_with_an_empty_copy_and_a_listener_of_its_own(
    make_memo: Callable[..., PageMemo], server: RedisServer
) -> None:
    memo = make_memo()
    memo.keep(trusted(memo), "page", "the parent's", size=100)
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            empty = memo.get("page") is None
            memo.keep(trusted(memo), "page", "the child's", size=100)
            announce(server)
            wait_until(lambda: memo.get("page") is None, timeout=10, what="child hears")
            code = 0 if empty else 2
        finally:
            os._exit(code)
    _pid, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    wait_until(lambda: memo.get("page") is None, timeout=10, what="the parent hears too")
