"""Disarm one PDF with qpdf (through pikepdf): the code that runs in the child process.

core.uploads.pdf starts this file as a script (``python -I pdf_disarm.py IN_FD OUT_FD``)
in a process of its own, so hard limits on memory, CPU time and output size apply
to the parsing of hostile bytes and to nothing else. It imports only the standard
library and pikepdf: no Django, no settings, no secrets in the process that parses.

What it does, in order:

1. Set the limits it was given on stdin (JSON), then open the PDF with qpdf. A PDF
   that needs a user password stops here; an owner password alone (the kind that
   only restricts printing) does not, and the copy is written without encryption.
2. Refuse what is too big to check in the budget: more pages or objects than
   allowed, or more inflated stream data (every Flate/LZW/ASCII/RunLength stream
   is decoded and counted, chained Flate in bounded pieces) than allowed.
3. Remove active content (see ``disarm``), check that none is left, and write a new
   file with the streams copied as they are (never decoded and re-encoded, so a
   bomb in a stream costs the reader what it cost us: nothing).

It answers with one JSON line on stdout:
``{"ok": true, "pages": n, "objects": n, "removed": [...], "decoded": n, "peak_kb": n}``
or ``{"ok": false, "code": "pdf_password" | "pdf_unreadable" | "pdf_too_complex" | ...}``.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import traceback
import zlib
from collections.abc import Iterable, Iterator
from typing import Any

import pikepdf

# Action types a click may still run: moving inside the document and showing or
# hiding parts of it. Every other action (JavaScript, Launch, SubmitForm,
# ImportData, GoToR, GoToE, URI, Rendition, Movie, Sound, RichMediaExecute,
# GoTo3DView and any unknown type) is removed. URI goes too: a link in a
# patient's file can carry a tracking address or a file:// or network path, and
# staff read documents, they do not browse from them (docs/intake.md).
ALLOWED_ACTIONS = frozenset(
    {"/GoTo", "/Named", "/Thread", "/SetOCGState", "/Trans", "/Hide", "/ResetForm"}
)
ACTION_LABELS = {
    "/JavaScript": "javascript",
    "/Launch": "launch",
    "/SubmitForm": "form_submission",
    "/ImportData": "form_submission",
    "/GoToR": "external_links",
    "/URI": "external_links",
    "/GoToE": "embedded_files",
    "/RichMediaExecute": "rich_media",
    "/Rendition": "media",
    "/Movie": "media",
    "/Sound": "media",
    "/GoTo3DView": "media",
}
# Keys whose value is an action, or a list of them (/Next chains).
ACTION_KEYS = ("/A", "/OpenAction", "/PA", "/Next")
# Keys removed wherever they appear, with what they carried.
REMOVED_KEYS = {
    "/JS": "javascript",  # the script of a JavaScript action
    "/JavaScript": "javascript",  # the document-level script name tree
    "/AA": "automatic_actions",  # actions run on open, close, print, keystroke...
    "/EmbeddedFiles": "embedded_files",  # the attachment name tree
    "/EF": "embedded_files",  # a file specification's embedded file streams
    "/RF": "embedded_files",  # related files of an embedded file
    "/Collection": "embedded_files",  # a portfolio: the PDF is a wrapper for attachments
    "/XFA": "xfa",  # XML forms, which carry their own scripts
    "/NeedsRendering": "xfa",
    "/RichMediaContent": "rich_media",
    "/RichMediaSettings": "rich_media",
}
# Annotations that are an attachment or a player: removed from the pages.
REMOVED_ANNOTATIONS = {
    "/FileAttachment": "embedded_files",
    "/RichMedia": "rich_media",
    "/Screen": "media",
    "/Movie": "media",
    "/Sound": "media",
    "/3D": "media",
}
# fmt: off
GENERALIZED_FILTERS = frozenset({
    "/FlateDecode", "/Fl", "/LZWDecode", "/LZW", "/ASCII85Decode", "/A85", "/ASCIIHexDecode",
    "/AHx", "/RunLengthDecode", "/RL",
})
# fmt: on
FLATE = frozenset({"/FlateDecode", "/Fl"})
PIECE = 1024 * 1024


def _out_of_memory(error: Exception) -> bool:
    # qpdf reports a failed allocation (our address-space limit) inside its own errors.
    return "bad_alloc" in str(error) or "length_error" in str(error)


class Refused(Exception):
    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code


class NotDisarmed(Exception):
    """Active content survived disarming: a bug of ours, never the file's fault."""


# --- Limits -------------------------------------------------------------------------
def apply_limits(limits: dict[str, int]) -> None:
    """Hard limits for this process: address space, CPU seconds, bytes written."""
    memory = int(limits["memory_bytes"])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    seconds = int(limits["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
    output = int(limits["output_bytes"])
    # A write past the limit then fails with EFBIG instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (output, output))


# --- Walking every object -----------------------------------------------------------
def _name(value: Any) -> str | None:
    if isinstance(value, pikepdf.Name):
        return str(value)
    return None


def every_object(pdf: Any) -> Iterator[Any]:
    """Every dictionary, stream and array in the file: indirect objects and all their
    direct children, each once. Iterative: nesting depth costs no stack."""
    for top in pdf.objects:
        if top is None:
            continue
        stack = [top]
        while stack:
            obj = stack.pop()
            if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream | pikepdf.Array):
                continue
            yield obj
            children: Iterable[Any] = (
                list(obj) if isinstance(obj, pikepdf.Array) else [v for _k, v in obj.items()]
            )
            stack.extend(
                child
                for child in children
                if isinstance(child, pikepdf.Dictionary | pikepdf.Array) and not child.is_indirect
            )


def action_type(value: Any, *, referenced: bool) -> str | None:
    """The /S of an action dictionary, or None if ``value`` is not an action.

    ``referenced``: found under an action key (/A, /OpenAction ...), where any /S is
    an action type. Elsewhere /S also names transitions, masks, structure elements
    and border styles, so only /Type /Action or a known action type counts.
    """
    if not isinstance(value, pikepdf.Dictionary):
        return None
    kind = _name(value.get("/S"))
    if kind is None:
        return None
    declared = _name(value.get("/Type"))
    if declared not in (None, "/Action"):
        return None
    if referenced or declared == "/Action" or kind in ACTION_LABELS or kind in ALLOWED_ACTIONS:
        return kind
    return None


def _forbidden(value: Any, *, referenced: bool) -> str | None:
    """The label of a forbidden action, or None."""
    kind = action_type(value, referenced=referenced)
    if kind is None or kind in ALLOWED_ACTIONS:
        return None
    return ACTION_LABELS.get(kind, "other_actions")


def _empty(obj: Any) -> None:
    """Make a dictionary or stream say nothing at all (it may be referenced elsewhere)."""
    if isinstance(obj, pikepdf.Stream):
        obj.write(b"")
    for key in list(obj.keys()):
        if key != "/Length":
            del obj[key]


def _scan_dictionary(obj: Any, found: set[str], *, fix: bool) -> None:
    for key in ACTION_KEYS:
        if key not in obj:
            continue
        value = obj[key]
        if isinstance(value, pikepdf.Array):
            kept = [v for v in value if not _forbidden(v, referenced=True)]
            found.update(
                label for v in value if (label := _forbidden(v, referenced=True)) is not None
            )
            if fix and len(kept) != len(value):
                obj[key] = pikepdf.Array(kept)
        elif (label := _forbidden(value, referenced=True)) is not None:
            found.add(label)
            if fix:
                del obj[key]
    for key, label in REMOVED_KEYS.items():
        if key in obj:
            found.add(label)
            if fix:
                del obj[key]
    subtype = _name(obj.get("/Subtype"))
    declared = _name(obj.get("/Type"))
    if (label := _forbidden(obj, referenced=False)) is not None:
        found.add(label)
        if fix:
            _empty(obj)
    elif declared in ("/EmbeddedFile", "/3D") or (
        subtype in REMOVED_ANNOTATIONS and declared in (None, "/Annot")
    ):
        found.add(REMOVED_ANNOTATIONS.get(subtype or "", "embedded_files"))
        if fix:
            _empty(obj)


def _scan_annotations(pdf: Any, found: set[str], *, fix: bool) -> None:
    for page in pdf.pages:
        annots = page.obj.get("/Annots")
        if not isinstance(annots, pikepdf.Array):
            continue
        kept = []
        for annot in annots:
            subtype = (
                _name(annot.get("/Subtype")) if isinstance(annot, pikepdf.Dictionary) else None
            )
            if subtype in REMOVED_ANNOTATIONS:
                found.add(REMOVED_ANNOTATIONS[subtype])
            else:
                kept.append(annot)
        if fix and len(kept) != len(annots):
            page.obj.Annots = pikepdf.Array(kept)


def scan(pdf: Any, *, fix: bool) -> set[str]:
    """What active content ``pdf`` holds (labels); with ``fix``, remove it as well."""
    found: set[str] = set()
    _scan_annotations(pdf, found, fix=fix)
    for obj in every_object(pdf):
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            _scan_dictionary(obj, found, fix=fix)
    return found


def disarm(pdf: Any) -> set[str]:
    """Remove every kind of active content from ``pdf`` in place; return what went.

    Removed: JavaScript (actions, the document name tree, any /JS), automatic
    actions (/AA on the document, pages, annotations and fields; an /OpenAction
    that is not a plain "go to"), every action type outside ALLOWED_ACTIONS,
    embedded files (the attachment tree, file specifications' streams,
    FileAttachment annotations, portfolios), RichMedia, 3D and media players,
    and XFA forms. Pages, their text, fonts and images stay as they are.
    """
    removed = scan(pdf, fix=True)
    left = scan(pdf, fix=False)
    if left:  # refuse rather than store it, and let the parent log it loudly
        raise NotDisarmed(f"active content left after disarming: {sorted(left)}")
    return removed


# --- The decoding budget ------------------------------------------------------------
def _inflate(pieces: Iterable[bytes]) -> Iterator[bytes]:
    inflater = zlib.decompressobj()
    try:
        for piece in pieces:
            data = piece
            while data:
                out = inflater.decompress(data, PIECE)
                if out:
                    yield out
                data = inflater.unconsumed_tail
            if inflater.eof:
                return
    except zlib.error:
        return  # readers stop at a corrupt block too; what came before counts


def _filters(stream: Any) -> list[str]:
    value = stream.get("/Filter")
    if isinstance(value, pikepdf.Array):
        return [str(v) for v in value]
    return [str(value)] if value is not None else []


def decoded_size(pdf: Any, budget: int) -> int:
    """Inflated bytes of every stream, counted against ``budget`` (Refused past it).

    Flate (even chained) is inflated here in bounded pieces and counted, never
    held; the other general filters are decoded by qpdf, inside this process's
    memory limit. Image codecs (DCT, JPX, JBIG2, CCITT) are counted as stored:
    their decoding is the viewer's business and bounded by the image's size.
    """
    total = 0
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream):
            continue
        filters = _filters(obj)
        if filters and all(f in FLATE for f in filters):
            pieces: Iterable[bytes] = [obj.read_raw_bytes()]
            for _ in filters:
                pieces = _inflate(pieces)
            for piece in pieces:
                total += len(piece)
                if total > budget:
                    raise Refused("pdf_too_complex", "decoded stream data over budget")
            continue
        if filters and all(f in GENERALIZED_FILTERS for f in filters):
            try:
                size = len(obj.read_bytes(pikepdf.StreamDecodeLevel.generalized))
            except pikepdf.PdfError as error:
                if _out_of_memory(error):
                    raise
                size = len(obj.read_raw_bytes())  # corrupt data: a reader shows nothing
        else:
            size = len(obj.read_raw_bytes())
        total += size
        if total > budget:
            raise Refused("pdf_too_complex", "decoded stream data over budget")
    return total


# --- One file -----------------------------------------------------------------------
def process(source: Any, target: Any, limits: dict[str, int]) -> dict[str, Any]:
    """Open ``source``, check it against ``limits``, write the disarmed copy to ``target``."""
    try:
        pdf = pikepdf.open(source, password="", access_mode=pikepdf.AccessMode.mmap_only)
    except pikepdf.PasswordError:
        raise Refused("pdf_password") from None
    except pikepdf.PdfError as error:
        if _out_of_memory(error):
            raise
        raise Refused("pdf_unreadable", str(error)[:200]) from None
    with pdf:
        size = pdf.trailer.get("/Size")
        if isinstance(size, int) and int(size) > limits["max_objects"]:
            raise Refused("pdf_too_complex", "too many objects")
        objects = sum(1 for _ in pdf.objects)
        if objects > limits["max_objects"]:
            raise Refused("pdf_too_complex", "too many objects")
        pages = len(pdf.pages)
        if pages == 0:
            raise Refused("pdf_unreadable", "no pages")
        if pages > limits["max_pages"]:
            raise Refused("pdf_too_complex", "too many pages")
        decoded = decoded_size(pdf, limits["max_decoded_bytes"])
        removed = disarm(pdf)
        pdf.save(
            target,
            encryption=False,
            stream_decode_level=pikepdf.StreamDecodeLevel.none,
            object_stream_mode=pikepdf.ObjectStreamMode.preserve,
            # Reading XMP would parse untrusted XML for nothing we need.
            fix_metadata_version=False,
            preserve_pdfa=False,
        )
    return {
        "ok": True,
        "pages": pages,
        "objects": objects,
        "removed": sorted(removed),
        "decoded": decoded,
    }


def main(argv: list[str]) -> int:
    limits = json.loads(sys.stdin.read())
    apply_limits(limits)
    in_fd, out_fd = int(argv[1]), int(argv[2])
    try:
        with os.fdopen(in_fd, "rb") as source, os.fdopen(out_fd, "wb") as target:
            answer = process(source, target, limits)
    except Refused as refused:
        answer = {"ok": False, "code": refused.code, "detail": str(refused)}
    except NotDisarmed as error:
        answer = {"ok": False, "code": "not_disarmed", "detail": str(error)}
    except MemoryError:
        answer = {"ok": False, "code": "pdf_too_complex", "detail": "memory limit"}
    except OSError as error:
        code = "pdf_too_complex" if error.errno == 27 else "pdf_unreadable"  # 27: EFBIG
        answer = {"ok": False, "code": code, "detail": str(error)[:200]}
    except pikepdf.PdfError as error:  # qpdf gave up on the file while reading or writing
        code = "pdf_too_complex" if _out_of_memory(error) else "pdf_unreadable"
        answer = {"ok": False, "code": code, "detail": str(error)[:200]}
    except Exception:
        # A bug of ours: the parent logs it loudly and refuses the file.
        answer = {"ok": False, "code": "internal", "detail": traceback.format_exc()[-1500:]}
    answer["peak_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sys.stdout.write(json.dumps(answer) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
