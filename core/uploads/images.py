"""JPEG, PNG and phone HEIC/HEIF: decode every pixel, then write a fresh file with nothing else.

Re-encoding is the sanitiser: whatever rode along (EXIF with GPS, comments,
ICC profiles, text chunks, bytes after the end marker, HTML after a PNG
signature) does not survive, and a file Pillow cannot fully decode is refused.
HEIC/HEIF (what iPhones take) is decoded by pillow-heif (libheif) and stored as
JPEG, the kind every clinic can open.
"""

from __future__ import annotations

import functools
import logging
import warnings
from typing import IO

from django.utils.translation import gettext_noop
from PIL import Image, ImageFile, ImageOps

from .kinds import FileKind, UploadRejected, lazy_message

logger = logging.getLogger(__name__)


@functools.cache
def _heif_opener() -> None:
    """Pillow opens HEIF only through pillow-heif's plugin, registered on the first HEIF
    photo rather than at import: libheif adds about 9 MB to every web process, and most
    never decode one. Thumbnails, depth maps and other auxiliary images are never
    decoded: we keep the primary picture alone."""
    from pillow_heif import register_heif_opener

    register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)


_FORMATS = {FileKind.JPEG: ("JPEG", {"JPEG", "MPO"}), FileKind.PNG: ("PNG", {"PNG"})}
_HEIF = ("HEIF", {"HEIF"})
_SAVE_MODES = {
    FileKind.JPEG: {"L", "RGB", "CMYK"},
    FileKind.PNG: {"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"},
}
JPEG_QUALITY = 90


def _damaged() -> UploadRejected:
    return UploadRejected(
        lazy_message(
            gettext_noop(
                "This image is damaged or incomplete and could not be read. Please upload the "
                "original photo or scan again."
            )
        ),
        code="image_damaged",
    )


def _too_large(max_pixels: int) -> UploadRejected:
    return UploadRejected(
        lazy_message(
            gettext_noop(
                "This image is too large (more than %(megapixels)s megapixels). Please upload a "
                "smaller version."
            ),
            megapixels=max_pixels // 1_000_000,
        ),
        code="image_too_large",
    )


def _decode(src: IO[bytes], kind: FileKind, max_pixels: int, *, heif: bool) -> Image.Image:
    fmt, accepted = _HEIF if heif else _FORMATS[kind]
    if heif:
        _heif_opener()
    # Pillow's own bomb check uses this global; ours below is explicit and exact.
    Image.MAX_IMAGE_PIXELS = max_pixels
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(src, formats=[fmt]) as img:
            if img.format not in accepted:
                raise _damaged()
            width, height = img.size
            if width <= 0 or height <= 0:
                raise _damaged()
            if width * height > max_pixels:
                raise _too_large(max_pixels)
            # load() decodes every pixel: a truncated file, or a PNG signature
            # followed by something else, fails here (LOAD_TRUNCATED_IMAGES is off).
            img.load()
            try:
                upright = ImageOps.exif_transpose(img)
            except Exception:  # a corrupt EXIF block: keep the pixels, lose the EXIF
                logger.info("upload: unreadable EXIF orientation ignored")
                upright = img.copy()
    return upright


def sanitize_image(
    src: IO[bytes], out: IO[bytes], *, kind: FileKind, max_pixels: int, heif: bool = False
) -> dict[str, str]:
    """Re-encode ``src`` into ``out``; return width and height. Raises UploadRejected.

    ``heif``: the source is a HEIC/HEIF photo, written out as ``kind`` (JPEG).
    """
    if ImageFile.LOAD_TRUNCATED_IMAGES:  # someone flipped the global: refuse to run lax
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must stay False")
    src.seek(0)
    try:
        upright = _decode(src, kind, max_pixels, heif=heif)
    except UploadRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_large(max_pixels) from None
    except Exception:
        # Anything Pillow trips over in untrusted bytes means: not a usable image.
        raise _damaged() from None
    try:
        clean = (
            upright
            if upright.mode in _SAVE_MODES[kind]
            else upright.convert("RGB" if kind is FileKind.JPEG else "RGBA")
        )
        transparency = clean.info.get("transparency") if kind is FileKind.PNG else None
        # Savers copy comments and ICC profiles from .info: start from nothing.
        clean.info = {} if transparency is None else {"transparency": transparency}
        if kind is FileKind.JPEG:
            clean.save(out, format="JPEG", quality=JPEG_QUALITY)
        else:
            clean.save(out, format="PNG", compress_level=6)
        return {"width": str(clean.width), "height": str(clean.height)}
    except Exception:
        raise _damaged() from None
    finally:
        upright.close()
