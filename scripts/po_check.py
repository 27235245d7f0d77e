#!/usr/bin/env python3
"""Check gettext catalogues: entries still to translate, and translations that would break.

Run it after every ``manage.py makemessages`` (``make test`` runs it on freshly made
catalogues, and ``msgfmt --check``, through tests/test_catalogues.py)::

    python scripts/po_check.py                        # every locale/*/LC_MESSAGES/*.po
    python scripts/po_check.py locale/es/LC_MESSAGES/django.po
    python scripts/po_check.py --placeholders-only    # only what breaks at run time

Two kinds of problem:

* **Broken placeholders** (always checked): a translation whose ``%(name)s``,
  ``%s``/``%d`` or ``{name}`` placeholders differ from the English. A renamed or
  extra ``%(name)s`` raises KeyError when the page renders, a missing one drops
  the value, a wrong number of ``%s`` raises TypeError. Plural forms may leave
  out a placeholder (Arabic's "one" and "two" often do), never add one. Fuzzy
  entries are not compiled, so they cannot break (they are listed as untranslated).
* **Untranslated** (unless ``--placeholders-only``): an empty ``msgstr`` or any
  empty ``msgstr[n]``, and entries flagged ``fuzzy``, which ``msgfmt`` and
  ``compilemessages`` ignore (``--allow-fuzzy`` skips those), including a fuzzy
  header (msgfmt then drops its charset and Plural-Forms).

Exit status: 0 when clean, 1 when something needs work, 2 on usage or read errors.
Catalogues are read with polib.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polib

# %(name)s with Python's optional flags, width and precision; %% is a literal.
_NAMED = re.compile(r"%\((?P<name>[^)]*)\)[#0 +-]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa]")
_POSITIONAL = re.compile(r"%[#0 +-]*(?:\d+|\*)?(?:\.\d+)?(?P<type>[diouxXeEfFgGcrsa])")
# {name}, {0}, {} with an optional !conversion or :spec; {{ and }} are literals.
_BRACE = re.compile(r"\{(?P<field>[A-Za-z_][\w.\[\]]*|\d*)(?:![rsa])?(?::[^{}]*)?\}")


@dataclass(frozen=True)
class Placeholders:
    named: Counter[str]
    positional: tuple[str, ...]
    brace: Counter[str]

    def describe(self) -> str:
        parts = [f"%({n})" for n in sorted(self.named)]
        parts += [f"%{t}" for t in self.positional]
        parts += [f"{{{b}}}" for b in sorted(self.brace)]
        return " ".join(parts) or "none"


def placeholders(text: str, *, percent: bool) -> Placeholders:
    """The placeholders in ``text``; ``percent``: also read %-style ones."""
    named: Counter[str] = Counter()
    positional: list[str] = []
    if percent:
        plain = text.replace("%%", "")
        named = Counter(m["name"] for m in _NAMED.finditer(plain))
        positional = [m["type"] for m in _POSITIONAL.finditer(_NAMED.sub("", plain))]
    braces = text.replace("{{", "").replace("}}", "")
    return Placeholders(
        named, tuple(positional), Counter(m["field"] for m in _BRACE.finditer(braces))
    )


def _uses_percent(entry: polib.POEntry) -> bool:
    # xgettext flags what it recognised; "%(" alone is enough for us to be sure.
    return "python-format" in entry.flags or "%(" in entry.msgid


def placeholder_problems(entry: polib.POEntry) -> list[str]:
    """Why the translations of ``entry`` would break or lose a value, if they would."""
    if entry.obsolete or entry.fuzzy or not entry.msgid:
        return []  # msgfmt drops fuzzy entries: visitors see English, nothing breaks
    percent = _uses_percent(entry)
    source = placeholders(entry.msgid, percent=percent)
    if entry.msgid_plural:
        plural = placeholders(entry.msgid_plural, percent=percent)
        allowed_named = set(source.named) | set(plural.named)
        allowed_brace = set(source.brace) | set(plural.brace)
        problems = []
        for index, text in sorted(entry.msgstr_plural.items()):
            if not text:
                continue
            found = placeholders(text, percent=percent)
            extra = (set(found.named) - allowed_named) | (set(found.brace) - allowed_brace)
            if extra or len(found.positional) > max(len(source.positional), len(plural.positional)):
                problems.append(
                    f"msgstr[{index}] has {found.describe()}, the English {source.describe()}"
                )
        return problems
    if not entry.msgstr:
        return []
    found = placeholders(entry.msgstr, percent=percent)
    if found == source:
        return []
    return [f"msgstr has {found.describe()}, the English {source.describe()}"]


def untranslated_problems(entry: polib.POEntry, *, allow_fuzzy: bool) -> list[str]:
    reasons: list[str] = []
    if entry.msgid_plural:
        forms = entry.msgstr_plural or {0: ""}
        reasons += [f"msgstr[{n}] empty" for n, text in sorted(forms.items()) if not text]
    elif not entry.msgstr:
        reasons.append("msgstr empty")
    if entry.fuzzy and not allow_fuzzy:
        reasons.append("fuzzy")
    return reasons


def _short(text: str, limit: int = 70) -> str:
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_file(path: Path, *, allow_fuzzy: bool = False, untranslated: bool = True) -> list[str]:
    """One human-readable line per problem in the catalogue at ``path``."""
    catalogue = polib.pofile(str(path), wrapwidth=0)
    problems: list[str] = []
    header_flags = catalogue.metadata_is_fuzzy
    if untranslated and header_flags and not allow_fuzzy:
        problems.append(f"{path}: header is marked fuzzy (msgfmt ignores it)")
    for entry in catalogue:
        if entry.obsolete:
            continue
        where = f'{path}:{entry.linenum}: msgid "{_short(entry.msgid)}"'
        if entry.msgctxt is not None:
            where += f" [context {entry.msgctxt!r}]"
        problems += [f"{where}: {p}" for p in placeholder_problems(entry)]
        if untranslated:
            reasons = untranslated_problems(entry, allow_fuzzy=allow_fuzzy)
            if reasons:
                problems.append(f"{where}: {', '.join(reasons)}")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "files", nargs="*", type=Path, help="Catalogues (default: locale/*/LC_MESSAGES/*.po)"
    )
    parser.add_argument("--allow-fuzzy", action="store_true", help="Do not report fuzzy entries.")
    parser.add_argument(
        "--placeholders-only", action="store_true", help="Only report broken placeholders."
    )
    args = parser.parse_args(argv)
    files: list[Path] = args.files or sorted(Path("locale").glob("*/LC_MESSAGES/*.po"))
    if not files:
        parser.error("no .po files given and none found under ./locale")
    failed = False
    for path in files:
        try:
            problems = check_file(
                path, allow_fuzzy=args.allow_fuzzy, untranslated=not args.placeholders_only
            )
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            print(f"error: {path}: {exc}", file=sys.stderr)
            return 2
        for problem in problems:
            print(problem)
        failed = failed or bool(problems)
        print(f"{path}: {len(problems) or 'no'} problems", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
