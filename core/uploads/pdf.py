"""Refuse PDFs that can run or carry something: scripts, launch actions, attachments.

We cannot re-render PDFs here, so the check reads every byte, in bounded
chunks, and looks for the *names* a PDF needs to do anything active
(``/JavaScript``, ``/Launch``, ``/EmbeddedFile`` ...). Three ways to hide them
are handled:

* name escapes: ``/J#61vaScript`` is ``/JavaScript`` to a reader, so every
  character of a forbidden name may also appear as ``#xx``;
* compression: dictionaries can live inside compressed *object streams*, so
  every stream body that starts with a zlib header (FlateDecode) is inflated,
  layer by layer, and the output searched too. Detection does not trust the
  stream dictionary, which can be disguised; the total inflated output is
  capped, so a zlib bomb costs a bounded amount of work;
* encodings we do not decode (LZW, RunLength, ASCII85, ASCIIHex) and
  encryption are refused outright, because they could hide the same names.
  Modern writers use Flate (or image codecs) only.

Long names are searched everywhere, including binary image data, where a
chance match is astronomically unlikely. The two-letter ``/JS`` (and filter
abbreviations) would match by chance in large binary data, so they are
searched outside stream bodies and in decoded data shaped like an object
stream. A JavaScript action needs ``/S /JavaScript`` anyway, so ``/JS`` alone
is belt and braces.
"""

from __future__ import annotations

import re
import zlib
from typing import IO

from django.utils.translation import gettext_lazy as _

from .kinds import UploadRejected

CHUNK = 1024 * 1024
EOF_WINDOW = 1024
_DELIMITER = rb"(?=[\x00\t\n\x0c\r ()<>\[\]{}/%]|\Z)"
_KEEP = 128  # longer than any forbidden name written fully in #xx escapes
_HOLD = _KEEP  # raw events must start this far from a window's end to be handled now
_SNIFF = 64
_MAX_DEPTH = 4
_MAX_ACTIVE_BODIES = 16
_MAX_OUT = 256 * 1024

ACTIVE_NAMES = (
    "JavaScript",
    "Launch",
    "EmbeddedFile",
    "EmbeddedFiles",
    "RichMedia",
    "XFA",
    "GoToE",
    "SubmitForm",
    "ImportData",
)
UNDECODABLE_NAMES = (
    "LZWDecode",
    "RunLengthDecode",
    "ASCII85Decode",
    "ASCIIHexDecode",
    "Crypt",
)
SHORT_NAMES = ("JS", "LZW", "RL", "A85", "AHx")


def _name_regex(names: tuple[str, ...]) -> re.Pattern[bytes]:
    def char(ch: str) -> bytes:
        hx = f"{ord(ch):02x}"
        escaped = b"\\#" + b"".join(
            b"[" + re.escape(d.encode()) + re.escape(d.upper().encode()) + b"]" for d in hx
        )
        return b"(?:" + re.escape(ch.encode()) + b"|" + escaped + b")"

    alternatives = b"|".join(b"".join(char(c) for c in name) for name in names)
    return re.compile(b"/(?:" + alternatives + b")" + _DELIMITER)


STRONG = _name_regex((*ACTIVE_NAMES, *UNDECODABLE_NAMES, "Encrypt"))
SHORT = _name_regex(SHORT_NAMES)
# "stream" is searched as a plain literal (fast); what it is comes from its neighbours.
_STREAM = re.compile(rb"stream")
_LETTER = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_OBJSTM_HEAD = re.compile(rb"\s*\d+\s+\d+(?:\s+\d+)*\s*(?:<<|\[|/|\(|\d*\Z)")

MESSAGES = {
    "pdf_active_content": _(
        "This PDF contains active content (scripts, attached files, forms that send data or "
        "actions that open other programs), which we do not accept for safety. Please print it "
        "to a new PDF, or scan the paper copy, and upload that."
    ),
    "pdf_encrypted": _(
        "This PDF is password-protected or encrypted, so we cannot check it. Please remove the "
        "protection (for example by printing it to a new PDF) and upload it again."
    ),
    "pdf_unsupported": _(
        "This PDF uses an old or unusual internal encoding that we cannot check for safety. "
        "Please print it to a new PDF and upload that."
    ),
    "pdf_too_complex": _(
        "This PDF is too large or too complex to check for safety. Please split it into smaller "
        "files or print it to a new PDF."
    ),
    "pdf_damaged": _(
        "This PDF is incomplete or damaged (its end is missing). Please upload the complete file."
    ),
}


def _reject(code: str) -> UploadRejected:
    return UploadRejected(MESSAGES[code], code=code)


def _decode_name(token: bytes) -> str:
    return re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m[1], 16)]), token).decode("latin-1")


def _finding(token: bytes) -> UploadRejected:
    name = _decode_name(token).lstrip("/")
    if name == "Encrypt":
        return _reject("pdf_encrypted")
    if name in UNDECODABLE_NAMES or name in SHORT_NAMES[1:]:
        return _reject("pdf_unsupported")
    return _reject("pdf_active_content")


class _NameScanner:
    """Searches a byte stream that arrives in pieces for forbidden names."""

    def __init__(self, pattern: re.Pattern[bytes]) -> None:
        self.pattern = pattern
        self.tail = b""

    def feed(self, data: bytes) -> None:
        window = self.tail + data
        for match in self.pattern.finditer(window):
            # A match that touches the end may be the start of a longer,
            # harmless name: the kept tail decides it with the next piece.
            if match.end() < len(window):
                raise _finding(match.group(0))
        self.tail = window[-_KEEP:]

    def close(self) -> None:
        match = self.pattern.search(self.tail)
        if match:
            raise _finding(match.group(0))


class _Budget:
    def __init__(self, limit: int) -> None:
        self.remaining = limit

    def spend(self, amount: int) -> None:
        self.remaining -= amount
        if self.remaining < 0:
            raise _reject("pdf_too_complex")


def _zlib_header(head: bytes) -> bool:
    if len(head) < 2:
        return False
    cmf, flg = head[0], head[1]
    return cmf & 0x0F == 8 and cmf >> 4 <= 7 and ((cmf << 8) | flg) % 31 == 0


class _Layer:
    """The bytes of one stream body at one decoding depth (0 = as stored)."""

    def __init__(self, budget: _Budget, depth: int) -> None:
        self.budget = budget
        self.depth = depth
        self.head = b""
        self.started = False
        self.body_open = True
        # The raw file is already searched for long names; decoded data is not.
        self.strong = _NameScanner(STRONG) if depth else None
        self.short: _NameScanner | None = None
        self.decoders: list[_Zlib] = []
        self.fed_upto = 0  # raw loop only: file offset fed so far

    @property
    def done(self) -> bool:
        return self.started and not self.body_open and all(d.done for d in self.decoders)

    def feed(self, data: bytes) -> None:
        if not data:
            return
        if self.depth:
            self.budget.spend(len(data))
        if not self.started:
            self.head += data
            if len(self.head) < _SNIFF:
                return
            data, self.head = self.head, b""
            self._start(data)
        self._push(data)

    def _start(self, head: bytes) -> None:
        self.started = True
        if _OBJSTM_HEAD.match(head):
            self.short = _NameScanner(SHORT)
        if _zlib_header(head):
            # Nobody nests Flate this deep; refusing is cheaper than following.
            if self.depth >= _MAX_DEPTH:
                raise _reject("pdf_too_complex")
            self.decoders.append(_Zlib(_Layer(self.budget, self.depth + 1)))
        if self.depth:
            self.body_open = False  # decoded data has no "endstream" to wait for

    def _push(self, data: bytes) -> None:
        if self.strong is not None:
            self.strong.feed(data)
        if self.short is not None:
            self.short.feed(data)
        for decoder in self.decoders:
            decoder.feed(data)

    def end_body(self) -> None:
        """The raw file reached ``endstream``: stop the plain-text search here.

        Decoders go on until their own data ends: a reader decodes by /Length,
        not by the first ``endstream`` an attacker may have planted inside.
        """
        if not self.started:
            data, self.head = self.head, b""
            self._start(data)
            self._push(data)
        if self.short is not None:
            self.short.close()
            self.short = None
        self.body_open = False

    def close(self) -> None:
        self.end_body()
        if self.strong is not None:
            self.strong.close()
        for decoder in self.decoders:
            decoder.close()


class _Zlib:
    def __init__(self, sink: _Layer) -> None:
        self.sink = sink
        self.inflater = zlib.decompressobj()
        self.done = False

    def feed(self, data: bytes) -> None:
        if self.done:
            return
        try:
            out = self.inflater.decompress(data, _MAX_OUT)
            while True:
                self.sink.feed(out)
                if self.inflater.eof:
                    self.close()
                    return
                if not self.inflater.unconsumed_tail:
                    return
                out = self.inflater.decompress(self.inflater.unconsumed_tail, _MAX_OUT)
        except zlib.error:
            # Readers stop at a corrupt block as well; what came before is searched.
            self.close()

    def close(self) -> None:
        if not self.done:
            self.done = True
            self.sink.close()


def _has_eof_marker(src: IO[bytes], size: int) -> bool:
    src.seek(max(0, size - EOF_WINDOW))
    return b"%%EOF" in src.read(EOF_WINDOW)


class _RawScan:
    """One pass over the file as stored, in windows of CHUNK plus a small overlap."""

    def __init__(self, decode_budget: int) -> None:
        self.budget = _Budget(decode_budget)
        self.bodies: list[_Layer] = []
        self.in_body = False
        self.handled = 0  # every event that starts before this offset has been handled

    def window(self, window: bytes, base: int, *, final: bool) -> int:
        """Search ``window`` (file offset ``base``); return how much of it is handled."""
        limit = len(window) if final else max(0, len(window) - _HOLD)
        for match in STRONG.finditer(window):
            if final or match.end() < len(window):
                raise _finding(match.group(0))
        for start, event in self._events(window, limit):
            at = base + start
            if at < self.handled:
                continue
            if event == "short":
                if not self.in_body:
                    raise _finding(SHORT.match(window, start).group(0))  # type: ignore[union-attr]
                continue
            self._feed_bodies(window, base, upto=at)
            if event == "start":
                body = _Layer(self.budget, 0)
                body.fed_upto = (
                    at + len(b"stream") + (2 if window[start + 6 : start + 8] == b"\r\n" else 1)
                )
                self.bodies.append(body)
                self.in_body = True
            else:
                for body in self.bodies:
                    body.end_body()
                self.in_body = False
        self._feed_bodies(window, base, upto=base + len(window))
        self.bodies = [b for b in self.bodies if not b.done]
        if len(self.bodies) > _MAX_ACTIVE_BODIES:
            raise _reject("pdf_too_complex")
        self.handled = base + limit
        return limit

    @staticmethod
    def _events(window: bytes, limit: int) -> list[tuple[int, str]]:
        """Stream starts, ``endstream`` and short names starting before ``limit``, in order."""
        events: list[tuple[int, str]] = []
        # "endstream" is an event at its "e": it counts for this window when that is
        # before ``limit`` even if its "stream" part is not.
        for match in _STREAM.finditer(window, 0, min(len(window), limit + 9)):
            at = match.start()
            if at >= 3 and window[at - 3 : at] == b"end":
                if at - 3 < limit:
                    events.append((at - 3, "end"))
            elif (
                at < limit
                and (at == 0 or window[at - 1] not in _LETTER)
                and window[at + 6 : at + 7] in (b"\r", b"\n")
            ):
                events.append((at, "start"))
        events.extend((m.start(), "short") for m in SHORT.finditer(window) if m.start() < limit)
        events.sort()
        return events

    def _feed_bodies(self, window: bytes, base: int, *, upto: int) -> None:
        for body in self.bodies:
            if body.fed_upto < upto:
                body.feed(window[body.fed_upto - base : upto - base])
                body.fed_upto = upto

    def close(self) -> None:
        for body in self.bodies:
            body.close()


def check_pdf(src: IO[bytes], out: IO[bytes], *, size: int, decode_budget: int) -> None:
    """Copy ``src`` to ``out`` in chunks, refusing any PDF with active content.

    Raises UploadRejected. Memory stays bounded by a few chunks whatever the size.
    """
    if not _has_eof_marker(src, size):
        raise _reject("pdf_damaged")
    src.seek(0)
    scan = _RawScan(decode_budget)
    tail = b""
    base = 0
    while True:
        chunk = src.read(CHUNK)
        out.write(chunk)
        final = not chunk
        window = tail + chunk
        limit = scan.window(window, base, final=final)
        if final:
            break
        # Keep a few bytes before the unhandled part: the letter before "stream"
        # and the "end" of an "endstream" that straddles the boundary.
        keep_from = max(0, limit - 8)
        base += keep_from
        tail = window[keep_from:]
    scan.close()
