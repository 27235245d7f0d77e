"""Images are decoded and re-encoded clean; DICOM keeps its pixels and loses its preamble."""

from __future__ import annotations

import io

import pytest
from PIL import Image, PngImagePlugin

from core.uploads import FileKind

from . import upload_samples as samples
from .upload_samples import accept, refuse, reopen

pytestmark = pytest.mark.usefixtures("upload_tmp")


# --- Images -----------------------------------------------------------------------
def test_a_png_signature_followed_by_html_is_refused() -> None:
    html = b"<html><body><script>alert(document.cookie)</script></body></html>"
    refuse(samples.png()[:8] + html, "image_damaged", name="photo.png")
    refuse(samples.png()[:33] + html, "image_damaged", name="photo.png")  # after a real IHDR


@pytest.mark.parametrize("kind", ["png", "jpeg"])
def test_a_truncated_image_is_refused(kind: str) -> None:
    data = samples.png(300, 200) if kind == "png" else samples.jpeg(300, 200)
    refuse(data[: len(data) // 2], "image_damaged")


def test_bytes_after_the_end_of_a_png_do_not_survive_re_encoding() -> None:
    with accept(samples.png() + b"<html><script>alert(1)</script></html>") as sanitized:
        assert b"<html" not in reopen(sanitized)


@pytest.mark.parametrize(("width", "height"), [(20_000, 20_000), (8_000, 8_000)])
def test_a_decompression_bomb_png_is_refused_before_it_is_decoded(width: int, height: int) -> None:
    bomb = samples.bomb_png(width, height)
    assert len(bomb) < 200_000  # tiny on disk, 400 or 64 megapixels decoded
    error = refuse(bomb, "image_too_large")
    assert "50 megapixels" in str(error.message)


def test_pillows_bomb_warning_counts_as_a_refusal_too() -> None:
    # 1,200 pixels against a limit of 1,000: Pillow only *warns* between 1x and 2x.
    refuse(samples.png(40, 30), "image_too_large", max_image_pixels=1_000)


def test_a_jpeg_loses_its_exif_gps_and_comment_and_is_turned_upright() -> None:
    original = samples.jpeg(40, 20, gps=True, orientation=6, comment=b"patient: Jane Doe")
    with Image.open(io.BytesIO(original)) as before:
        assert before.getexif().get_ifd(0x8825), "the sample must really carry GPS"
    with accept(original) as sanitized:
        data = reopen(sanitized)
        assert sanitized.metadata == {"width": "20", "height": "40"}
    assert b"Exif" not in data and b"Jane Doe" not in data and b"PhoneMaker" not in data
    with Image.open(io.BytesIO(data)) as after:
        assert dict(after.getexif()) == {}
        assert "exif" not in after.info and "comment" not in after.info
        assert after.size == (20, 40)
        # Orientation 6 means "rotate 90 degrees clockwise": the blue left half is now on top.
        rgb = after.convert("RGB")
        top, bottom = rgb.getpixel((10, 5)), rgb.getpixel((10, 35))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[2] > 150 > top[0] and bottom[0] > 150 > bottom[2]


def test_a_png_loses_text_chunks_and_icc_profile() -> None:
    img = Image.new("RGB", (10, 10), "white")
    buf = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Dr. Secret")
    img.save(buf, "PNG", pnginfo=info, icc_profile=b"fake-icc-profile-with-a-comment")
    with accept(buf.getvalue()) as sanitized:
        data = reopen(sanitized)
    assert b"Dr. Secret" not in data and b"iCCP" not in data and b"tEXt" not in data


def test_an_iphone_style_mpo_jpeg_is_stored_as_a_plain_jpeg() -> None:
    buf = io.BytesIO()
    frames = [Image.new("RGB", (16, 16), c) for c in ("red", "blue")]
    frames[0].save(buf, "MPO", save_all=True, append_images=frames[1:])
    with accept(buf.getvalue()) as sanitized, Image.open(sanitized.file) as img:
        assert sanitized.kind is FileKind.JPEG
        assert img.format == "JPEG"
        assert getattr(img, "n_frames", 1) == 1


# --- DICOM ------------------------------------------------------------------------
@pytest.mark.parametrize("program", [samples.EXE, samples.ELF], ids=["pe", "elf"])
def test_a_dicom_with_a_program_in_its_preamble_is_kept_with_the_preamble_zeroed(
    program: bytes,
) -> None:
    original = samples.dicom(preamble=program)
    assert original[:2] in (b"MZ", b"\x7fE") and original[128:132] == b"DICM"
    with accept(original, name="study.exe") as sanitized:
        data = reopen(sanitized)
        assert sanitized.kind is FileKind.DICOM
        assert (sanitized.content_type, sanitized.extension) == ("application/dicom", ".dcm")
    assert data[:128] == bytes(128)
    assert data[128:132] == b"DICM"
    assert data[132:] == original[132:]  # the study itself is untouched


@pytest.mark.filterwarnings("ignore:Invalid value for VR:UserWarning")
def test_dicom_metadata_is_short_clean_and_names_nobody() -> None:
    with accept(samples.dicom(modality="CT", body_part="lumbar spine", study_date="20250317")) as s:
        assert s.metadata == {
            "modality": "CT",
            "body_part": "LUMBAR SPINE",
            "study_date": "2025-03-17",
        }
        assert not any("Doe" in v or "PAT-0042" in v for v in s.metadata.values())
    with accept(samples.dicom(modality="MR", body_part="", study_date="2025-99-99")) as s:
        assert s.metadata == {"modality": "MR", "body_part": "", "study_date": ""}


def test_a_dicom_without_the_dicm_marker_is_refused() -> None:
    dataset_only = samples.dicom()[132:]  # a raw dataset: no preamble, no "DICM"
    refuse(dataset_only, "unrecognised")
    refuse(bytes(128) + b"DICX" + samples.dicom()[132:], "unrecognised")


def test_a_dicom_marker_in_front_of_garbage_is_refused() -> None:
    refuse(bytes(128) + b"DICM" + b"\xff\xfe" * 300, "dicom_damaged")
