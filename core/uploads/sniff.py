"""Decide what a file is from its first bytes - never from its name or the browser's word.

The order matters: a DICOM file may legally carry anything in its 128-byte
preamble (including an ``MZ`` program header, see dicom.py), so DICOM is
recognised first and its preamble is neutralised later; every other file that
starts like a program is refused outright.
"""

from __future__ import annotations

import filetype
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from .kinds import FileKind, UploadRejected, kinds_label, lazy_message

# What sniffing needs: DICOM's marker sits at 128, tar's at 257, PDF may start
# after up to 1024 bytes of whitespace.
HEAD_BYTES = 8192

DICOM_MAGIC = b"DICM"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
PDF_MAGIC = b"%PDF-"
PDF_HEADER_WINDOW = 1024

_EXECUTABLE_PREFIXES = (
    b"MZ",  # DOS / Windows PE
    b"\x7fELF",  # Linux, BSD
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",  # Mach-O
    b"\xca\xfe\xba\xbe",  # Mach-O fat binary / Java class
    b"#!",  # scripts
    b"\x00asm",  # WebAssembly
    b"dex\n",  # Android
    b"L\x00\x00\x00\x01\x14\x02\x00",  # Windows shortcut (.lnk)
)
_ARCHIVE_PREFIXES = (
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"PK\x07\x08",  # zip (and everything built on it)
    b"\x1f\x8b",  # gzip
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!\x1a\x07",
    b"BZh",
    b"\xfd7zXZ\x00",  # xz
    b"\x28\xb5\x2f\xfd",  # zstd
    b"\x04\x22\x4d\x18",  # lz4
    b"MSCF",  # cab
    b"!<arch>",  # ar / deb
    b"\x1f\x9d",
    b"\x1f\xa0",  # compress
    b"xar!",
)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc, .xls, .msi: all may carry macros or code

_FILETYPE_EXECUTABLE = {"exe", "elf", "wasm", "swf", "crx", "nes", "rpm", "deb"}
_FILETYPE_OFFICE = {"doc", "docx", "odt", "xls", "xlsx", "ods", "ppt", "pptx", "odp", "rtf", "epub"}
_FILETYPE_ARCHIVE = {
    "zip",
    "tar",
    "rar",
    "gz",
    "bz2",
    "7z",
    "xz",
    "zst",
    "lz4",
    "lz",
    "lzo",
    "Z",
    "cab",
    "ar",
    "br",
    "sqlite",
    "ps",
    "eot",
}
_MARKUP_STARTS = (
    "<!doctype",
    "<html",
    "<svg",
    "<?xml",
    "<head",
    "<body",
    "<script",
    "<iframe",
    "<!--",
    "<meta",
    "<title",
    "<style",
    "<div",
    "<a ",
    "<img",
    "<object",
    "<embed",
    "<xsl",
)
_MARKUP_ANYWHERE = ("<svg", "<script", "<html", "<!doctype html", "<iframe", "javascript:")


def _refuse(code: str, allowed: frozenset[FileKind]) -> UploadRejected:
    templates = {
        "executable": gettext_noop(
            "This file is a program, not a document or an image, and cannot be uploaded."
        ),
        "archive": gettext_noop(
            "Compressed archives (such as ZIP, RAR or 7z) cannot be uploaded. Please extract "
            "the files and upload them one by one. Accepted here: %(kinds)s."
        ),
        "office": gettext_noop(
            "Word, Excel and other office files cannot be uploaded. Please save the document "
            "as PDF and upload that. Accepted here: %(kinds)s."
        ),
        "markup": gettext_noop(
            "Web pages, SVG drawings and other markup files cannot be uploaded. "
            "Accepted here: %(kinds)s."
        ),
        "image_format": gettext_noop(
            "This image format is not accepted. Please save or share the picture as JPEG or "
            "PNG. Accepted here: %(kinds)s."
        ),
        "media": gettext_noop(
            "Video and audio files cannot be uploaded. Accepted here: %(kinds)s."
        ),
        "pdf_damaged": gettext_noop(
            "This PDF has unexpected data before its start, so it cannot be accepted. "
            "Please save or print it to a new PDF and upload that."
        ),
        "unrecognised": gettext_noop(
            "This type of file is not recognised. Accepted here: %(kinds)s."
        ),
    }
    return UploadRejected(lazy_message(templates[code], kinds=kinds_label(allowed)), code=code)


# ISO base media brands of HEIF stills (iPhones write "heic"); AVIF shares the
# container but not the codec pillow-heif decodes, so it stays refused.
_HEIF_BRANDS = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}
)
_AVIF_BRANDS = frozenset({b"avif", b"avis"})


def is_heif(head: bytes) -> bool:
    """A HEIC/HEIF photo (an ``ftyp`` box naming a HEIF brand): re-encoded to JPEG."""
    if head[4:8] != b"ftyp" or len(head) < 16:
        return False
    box = int.from_bytes(head[0:4], "big")
    major = head[8:12]
    compatible = {head[i : i + 4] for i in range(16, min(box, len(head)) - 3, 4)}
    if major in _AVIF_BRANDS:
        return False
    return bool(({major} | compatible) & _HEIF_BRANDS)


def _is_pdf_header(head: bytes) -> bool | None:
    """True: a clean PDF header; False: ``%PDF-`` behind other data; None: no header."""
    at = head.find(PDF_MAGIC, 0, PDF_HEADER_WINDOW + len(PDF_MAGIC))
    if at < 0:
        return None
    # Only whitespace may come first: anything else is how PDF polyglots
    # (HTML + PDF, ZIP + PDF) are built.
    return head[:at].strip(b" \t\r\n\x0c\x00") == b""


def _looks_like_markup(head: bytes) -> bool:
    text = head.replace(b"\x00", b"").decode("latin-1").lower()
    text = text.lstrip("\ufeff\ufffe\xef\xbb\xbf\xff\xfe \t\r\n\x0c")
    return text.startswith(_MARKUP_STARTS) or any(tag in text for tag in _MARKUP_ANYWHERE)


def _classify_refusal(head: bytes) -> str:
    if head.startswith(_ARCHIVE_PREFIXES) and not head.startswith(b"PK"):
        return "archive"
    guess = filetype.guess(head)
    if guess is not None:
        ext = guess.extension
        if ext in _FILETYPE_EXECUTABLE:
            return "executable"
        if ext in _FILETYPE_OFFICE:
            return "office"
        if ext in _FILETYPE_ARCHIVE:
            return "archive"
        if guess.mime.startswith("image/"):
            return "image_format"
        if guess.mime.startswith(("video/", "audio/")):
            return "media"
    if head.startswith(_OLE2):
        return "office"
    if head.startswith(_ARCHIVE_PREFIXES) or head[257:262] == b"ustar":
        return "archive"
    if _looks_like_markup(head):
        return "markup"
    return "unrecognised"


def detect_kind(head: bytes, *, allowed: frozenset[FileKind]) -> FileKind:
    """The kind of file ``head`` (its first HEAD_BYTES) starts, or UploadRejected."""
    kind: FileKind | None = None
    if head[128:132] == DICOM_MAGIC:
        kind = FileKind.DICOM
    elif head.startswith(_EXECUTABLE_PREFIXES):
        raise _refuse("executable", allowed)
    elif head.startswith(PNG_MAGIC):
        kind = FileKind.PNG
    elif head.startswith(JPEG_MAGIC) or is_heif(head):
        # A phone's HEIC photo is stored as the JPEG we re-encode it to.
        kind = FileKind.JPEG
    else:
        pdf = _is_pdf_header(head)
        if pdf is True:
            kind = FileKind.PDF
        elif pdf is False:
            code = _classify_refusal(head)
            raise _refuse("pdf_damaged" if code == "unrecognised" else code, allowed)
    if kind is None:
        raise _refuse(_classify_refusal(head), allowed)
    if kind not in allowed:
        raise UploadRejected(
            lazy_message(
                gettext_noop("%(kind)s files are not accepted here. Accepted here: %(kinds)s."),
                kind=kinds_label(frozenset({kind})),
                kinds=kinds_label(allowed),
            ),
            code="not_allowed",
        )
    return kind


EMPTY_MESSAGE = _("This file is empty. Please choose the file again.")
