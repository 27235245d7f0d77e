"""Each web process's own copy of the public pages, dropped the moment any process
announces a change.

A cached public page read from Redis costs a round trip: about 0.1 ms of the web
process's CPU and some of Redis's, most of what such a page costs beyond a bare view.
So each process keeps the entries it has read, and a thread of its own listens on a
Redis channel on which ``core.public_cache.public_content_changed`` announces every
change, in the same ``MULTI`` as it sets the namespace's new version (both or neither).

Nothing here guesses how long a page stays true. The copy is trusted only while the
process is known to hear the announcements:

* an entry is kept only if the listener was subscribed before the Redis read began and
  heard no change since (``generation``), so a read that raced a change is never kept;
* the listener pings Redis every second; when the connection drops, or a ping goes
  unanswered for ``DEAD_AFTER`` seconds, the copy is emptied and nothing is trusted or
  kept again until a new subscription is confirmed;
* the announcing process empties its own copy at once, without waiting to hear itself;
* a request does not read the copy while anything the listener has not yet read is
  waiting on its connection (a poll, no read), nor while the listener is reading: a
  message taken off the socket but not yet acted on is still "arriving". It waits for
  the listener instead (a moment: most often the answer to the listener's own ping),
  and reads Redis only if the listener has not caught up within ``CATCH_UP``.

A change is therefore seen by every process as soon as its announcement arrives, which
on a healthy connection is as soon as Redis has it.
"""

from __future__ import annotations

import logging
import os
import select
import threading
import time
from collections import OrderedDict
from typing import Any

import redis

log = logging.getLogger(__name__)

PING_EVERY = 1.0
DEAD_AFTER = 3.0
# The longest a request waits for the listener to act on what has reached the socket.
CATCH_UP = 0.05
# Memory only: a directory page is ~7 KB gzipped (what browsers get), 72 KB plain.
MAX_BYTES = 16 * 1024 * 1024


class PageMemo:
    def __init__(
        self,
        url: str,
        channel: str,
        *,
        max_bytes: int = MAX_BYTES,
        dead_after: float = DEAD_AFTER,
    ) -> None:
        self.url, self.channel = url, channel
        self.max_bytes, self.dead_after = max_bytes, dead_after
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._generation = 0
        self._subscribed = False
        self._last_heard = 0.0
        self._pid = 0
        self._stop = threading.Event()
        self._fd = -1
        self._reading = False
        self._caught_up = threading.Condition()
        os.register_at_fork(after_in_child=self._after_fork)

    def _after_fork(self) -> None:
        # The parent's copy, lock and listener thread are not the child's: a lock held
        # by another of the parent's threads at the fork would never be released here.
        self._lock = threading.Lock()
        self._caught_up = threading.Condition()
        self._empty()
        self._subscribed = False
        self._pid = 0
        self._fd = -1
        self._reading = False

    # --- what requests use ----------------------------------------------------------------
    def generation(self) -> int | None:
        """The generation to hand to ``keep``; ``None`` while nothing may be trusted."""
        self._start_in_this_process()
        if not self._subscribed:
            return None
        if time.monotonic() - self._last_heard > self.dead_after:
            # Silent too long: empty the copy now, and have the listener start over on a
            # new connection, even if this one speaks again.
            self._lost()
            return None
        if self._arriving():
            # Something has reached this process that the listener has not acted on yet
            # (maybe a change, most often the answer to its ping): wait for it to.
            with self._caught_up:
                self._caught_up.wait_for(
                    lambda: not self._subscribed or not self._arriving(), timeout=CATCH_UP
                )
            if not self._subscribed or self._arriving():
                return None
        return self._generation

    def _arriving(self) -> bool:
        # The order matters: the listener marks itself reading before it takes anything
        # off the socket and unmarks after acting on it, so a message that was on the
        # socket before the poll has either been acted on (a new generation, read after
        # this) or is still seen here. The poll is a microsecond and reads nothing: the
        # socket is the listener's alone.
        return self._pending() or self._reading

    def _pending(self) -> bool:
        fd = self._fd
        if fd < 0:
            return True
        try:
            return bool(select.select([fd], [], [], 0)[0])
        except (OSError, ValueError):  # closed under us: the listener is reconnecting
            return True

    def get(self, key: str) -> Any:
        """The kept entry, or ``None``. Ask ``generation()`` first: ``None`` there means
        the copy must not be read."""
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[0]

    def keep(self, generation: int | None, key: str, value: Any, *, size: int) -> None:
        """Keep ``value`` (about ``size`` bytes) read from Redis, unless a change was heard
        since ``generation``. The least recently read go first past ``max_bytes``."""
        if generation is None or size > self.max_bytes:
            return
        with self._lock:
            if not self._subscribed or generation != self._generation:
                return
            old = self._entries.pop(key, None)
            self._bytes += size - (old[1] if old is not None else 0)
            self._entries[key] = (value, size)
            while self._bytes > self.max_bytes:
                _key, (_value, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped

    def forget(self) -> None:
        """Empty the copy: a change was announced (or this process made one)."""
        with self._lock:
            self._empty()

    def _empty(self) -> None:
        # With the lock held. A new generation: a read that began before is not kept.
        self._generation += 1
        self._entries.clear()
        self._bytes = 0

    def stop(self) -> None:
        """End the listener (within a ping interval) and trust nothing more."""
        self._stop.set()
        self._lost()

    # --- the listener ---------------------------------------------------------------------
    def _start_in_this_process(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
        threading.Thread(target=self._listen, name="public-page-memo", daemon=True).start()

    def _lost(self) -> None:
        with self._lock:
            self._subscribed = False
            self._empty()
        self._wake_waiters()

    def _wake_waiters(self) -> None:
        with self._caught_up:
            self._caught_up.notify_all()

    def _listen(self) -> None:
        backoff = 0.1
        while not self._stop.is_set():
            try:
                self._listen_once()
                backoff = 0.1
            except Exception as exc:  # any failure means "not hearing": start over
                if not self._stop.is_set():
                    log.warning("public page memo: listener lost (%s)", type(exc).__name__)
            finally:
                self._lost()
            self._stop.wait(backoff)
            backoff = min(backoff * 2, 5.0)

    def _listen_once(self) -> None:
        client = redis.Redis.from_url(self.url, socket_connect_timeout=2, socket_timeout=5)
        pubsub = client.pubsub()
        confirmed = False
        try:
            pubsub.subscribe(self.channel)
            fd = pubsub.connection._sock.fileno()  # type: ignore[union-attr]
            last_ping = self._last_heard = time.monotonic()
            while not self._stop.is_set():
                # Wait on the socket here rather than inside redis-py, so that "reading"
                # is set before any byte is taken off it (see ``generation``).
                if select.select([fd], [], [], PING_EVERY)[0]:
                    self._reading = True
                    try:
                        # Until nothing is left on the socket or in redis-py's buffer: one
                        # read off the socket can bring several messages.
                        while (message := pubsub.get_message(timeout=0)) is not None:
                            confirmed = self._heard(message, fd) or confirmed
                    finally:
                        self._reading = False
                        self._wake_waiters()
                now = time.monotonic()
                if now - last_ping >= PING_EVERY:
                    pubsub.ping()
                    last_ping = now
                if now - self._last_heard > self.dead_after or (confirmed and not self._subscribed):
                    raise TimeoutError("no answer from Redis")
        finally:
            self._fd = -1
            pubsub.close()
            client.close()

    def _heard(self, message: dict[str, Any], fd: int) -> bool:
        """Act on one message; ``True`` when it confirms the subscription."""
        self._last_heard = time.monotonic()
        kind = message["type"]
        if kind == "subscribe":
            self._fd = fd
            with self._lock:
                self._empty()
                self._subscribed = True
            return True
        if kind == "message":
            self.forget()
        return False
