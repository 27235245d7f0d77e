"""Photos from phones: HEIC/HEIF decoded by pillow-heif and stored as a clean JPEG."""

from __future__ import annotations

import io

import pillow_heif
import pytest
from PIL import Image

from core.uploads import DOCUMENT_KINDS, FileKind
from core.uploads.images import _heif_opener
from core.uploads.sniff import is_heif

from .upload_samples import accept, refuse, reopen

pytestmark = pytest.mark.usefixtures("upload_tmp")

XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
    b'22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" '
    b'dc:creator="Jane Doe\'s iPhone"/></rdf:RDF></x:xmpmeta>'
)


def iphone_photo(width: int = 64, height: int = 48) -> bytes:
    """A real HEIC, written by pillow-heif (libheif + x265), with EXIF GPS and XMP."""
    img = Image.new("RGB", (width, height), (200, 30, 30))
    img.paste((20, 20, 220), (0, 0, width // 2, height))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (40.0, 26.0, 46.0), 3: "W", 4: (79.0, 58.0, 56.0)}  # GPSInfo
    heif = pillow_heif.from_pillow(img)
    buffer = io.BytesIO()
    heif.save(buffer, quality=90, exif=exif.tobytes(), xmp=XMP)
    return buffer.getvalue()


def test_the_sample_is_a_real_heic_that_carries_gps() -> None:
    data = iphone_photo()
    assert data[4:12] == b"ftypheic" and is_heif(data[:64])
    _heif_opener()  # the portal's own registration, made on its first HEIF photo
    with Image.open(io.BytesIO(data)) as photo:
        assert photo.format == "HEIF"
        assert photo.getexif().get_ifd(0x8825), "the sample must really carry GPS"


def test_a_heic_photo_becomes_a_jpeg_without_its_location_or_maker() -> None:
    with accept(iphone_photo(), allowed=DOCUMENT_KINDS, name="IMG_0042.HEIC") as sanitized:
        data = reopen(sanitized)
        assert sanitized.kind is FileKind.JPEG
        assert (sanitized.content_type, sanitized.extension) == ("image/jpeg", ".jpg")
        assert sanitized.metadata == {"width": "64", "height": "48"}
        assert sanitized.original_name == "IMG_0042.HEIC"
    assert b"PhoneMaker" not in data and b"Exif" not in data and b"Jane Doe" not in data
    with Image.open(io.BytesIO(data)) as after:
        assert after.format == "JPEG" and after.size == (64, 48)
        assert dict(after.getexif()) == {} and "xmp" not in after.info
        rgb = after.convert("RGB")
        left, right = rgb.getpixel((5, 24)), rgb.getpixel((58, 24))
    assert isinstance(left, tuple) and isinstance(right, tuple)
    assert left[2] > 150 and right[0] > 150  # the picture itself survived, the right way round


def test_a_damaged_heic_is_refused_with_the_image_message() -> None:
    data = iphone_photo()
    refuse(data[: len(data) // 2], "image_damaged", name="IMG_0043.HEIC")


def test_a_huge_heic_is_refused_before_its_pixels_are_decoded() -> None:
    refuse(iphone_photo(80, 60), "image_too_large", max_image_pixels=1_000)


def test_avif_shares_the_container_but_is_still_refused_as_an_image_format() -> None:
    avif_head = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + bytes(64)
    assert not is_heif(avif_head)
    refuse(avif_head, "image_format", name="photo.avif")


def test_a_heic_is_stored_as_jpeg_only_where_jpeg_is_accepted() -> None:
    error = refuse(iphone_photo(), "not_allowed", allowed=frozenset({FileKind.PDF}))
    assert "JPEG" in str(error.message)
