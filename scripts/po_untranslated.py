#!/usr/bin/env python3
"""List gettext catalogue entries that still need a translation.

Run it after every ``manage.py makemessages``::

    python scripts/po_untranslated.py locale/es/LC_MESSAGES/django.po
    python scripts/po_untranslated.py            # every locale/*/LC_MESSAGES/*.po

An entry needs work when its ``msgstr`` (or any ``msgstr[n]`` of a plural
entry) is empty. Entries flagged ``#, fuzzy`` are reported too, because
``msgfmt``/``compilemessages`` ignore them, so visitors would see English;
pass ``--allow-fuzzy`` to skip that check. Obsolete (``#~``) entries and the
header's empty msgid are not entries to translate, but a fuzzy header is
reported because msgfmt would then drop its charset and Plural-Forms.

Exit status: 0 when everything is translated, 1 when something is missing,
2 on usage or read errors. Standard library only.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    '"': '"',
    "\\": "\\",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
}


class PoSyntaxError(ValueError):
    """Raised when a line cannot be read as .po syntax."""


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    def missing(self) -> list[str]:
        """Names of the msgstr slots that are empty ("msgstr", "msgstr[1]", ...)."""
        if self.msgid_plural is None:
            return [] if self.msgstr.get(0) else ["msgstr"]
        if not self.msgstr:
            return ["msgstr[0]"]
        return [f"msgstr[{n}]" for n in sorted(self.msgstr) if not self.msgstr[n]]


def _unquote(text: str, path: Path, lineno: int) -> str:
    text = text.strip()
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        raise PoSyntaxError(f"{path}:{lineno}: expected a quoted string, got {text!r}")
    out: list[str] = []
    chars = iter(text[1:-1])
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
        else:
            out.append(ch)
    return "".join(out)


def parse_po(path: Path) -> Iterator[Entry]:
    """Yield the live (non-obsolete) entries of a .po file, header included."""
    entry: Entry | None = None
    pending_flags: set[str] = set()
    field_name: str | None = None  # "msgctxt", "msgid", "msgid_plural" or "msgstr[n]"

    with path.open(encoding="utf-8") as handle:
        for lineno, raw in enumerate(handle, start=1):
            line = raw.strip()
            if not line or line.startswith("#~") or line.startswith("#|"):
                if (
                    not line
                    and entry is not None
                    and field_name
                    and field_name.startswith("msgstr")
                ):
                    yield entry
                    entry, field_name, pending_flags = None, None, set()
                continue
            if line.startswith("#"):
                if entry is not None and field_name and field_name.startswith("msgstr"):
                    yield entry
                    entry, field_name = None, None
                if line.startswith("#,"):
                    pending_flags.update(f.strip() for f in line[2:].split(",") if f.strip())
                continue
            keyword, _, rest = line.partition(" ")
            if line.startswith('"'):
                if entry is None or field_name is None:
                    raise PoSyntaxError(f"{path}:{lineno}: continuation line outside an entry")
                value = _unquote(line, path, lineno)
                if field_name == "msgctxt":
                    entry.msgctxt = (entry.msgctxt or "") + value
                elif field_name == "msgid":
                    entry.msgid += value
                elif field_name == "msgid_plural":
                    entry.msgid_plural = (entry.msgid_plural or "") + value
                else:
                    index = int(field_name[7:-1]) if "[" in field_name else 0
                    entry.msgstr[index] += value
                continue
            if keyword in ("msgctxt", "msgid") and (
                entry is None or (field_name is not None and field_name.startswith("msgstr"))
            ):
                if entry is not None:
                    yield entry
                entry = Entry(line=lineno, flags=pending_flags)
                pending_flags = set()
            if entry is None:
                raise PoSyntaxError(f"{path}:{lineno}: {keyword} before msgid")
            value = _unquote(rest, path, lineno)
            if keyword == "msgctxt":
                entry.msgctxt = value
                field_name = "msgctxt"
            elif keyword == "msgid":
                entry.msgid = value
                field_name = "msgid"
            elif keyword == "msgid_plural":
                entry.msgid_plural = value
                field_name = "msgid_plural"
            elif keyword == "msgstr":
                entry.msgstr[0] = value
                field_name = "msgstr"
            elif (
                keyword.startswith("msgstr[") and keyword.endswith("]") and keyword[7:-1].isdigit()
            ):
                entry.msgstr[int(keyword[7:-1])] = value
                field_name = keyword
            else:
                raise PoSyntaxError(f"{path}:{lineno}: unknown keyword {keyword!r}")
    if entry is not None:
        yield entry


def _short(text: str, limit: int = 70) -> str:
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_file(path: Path, allow_fuzzy: bool) -> list[str]:
    """Return one human-readable problem line per entry that needs work."""
    problems: list[str] = []
    for entry in parse_po(path):
        if entry.is_header:
            if "fuzzy" in entry.flags and not allow_fuzzy:
                problems.append(f"{path}:{entry.line}: header is marked fuzzy (msgfmt ignores it)")
            continue
        reasons = entry.missing()
        if "fuzzy" in entry.flags and not allow_fuzzy:
            reasons.append("fuzzy")
        if reasons:
            ctxt = f" [context {entry.msgctxt!r}]" if entry.msgctxt is not None else ""
            what = ", ".join(reasons)
            problems.append(f'{path}:{entry.line}: {what}: msgid "{_short(entry.msgid)}"{ctxt}')
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "files",
        nargs="*",
        type=Path,
        help="Catalogues to check (default: locale/*/LC_MESSAGES/*.po)",
    )
    parser.add_argument(
        "--allow-fuzzy", action="store_true", help="Do not report entries flagged '#, fuzzy'."
    )
    args = parser.parse_args(argv)
    files: list[Path] = args.files or sorted(Path("locale").glob("*/LC_MESSAGES/*.po"))
    if not files:
        parser.error("no .po files given and none found under ./locale")

    failed = False
    for path in files:
        try:
            problems = check_file(path, allow_fuzzy=args.allow_fuzzy)
        except (OSError, UnicodeDecodeError, PoSyntaxError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        for problem in problems:
            print(problem)
        failed = failed or bool(problems)
        status = f"{len(problems)} need work" if problems else "all translated"
        print(f"{path}: {status}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
