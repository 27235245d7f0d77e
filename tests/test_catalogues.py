"""Translations: every marked string is translated, none breaks a placeholder, msgfmt agrees.

A ``%(name)s`` renamed in a translation raises KeyError when the page renders in
that language, a missing one silently drops the value, a wrong number of ``%s``
raises TypeError. The check is scripts/po_check.py (polib); this test runs it on
every catalogue, and proves on a broken catalogue that it notices.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import require

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = sorted((ROOT / "locale").glob("*/LC_MESSAGES/*.po"))


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("po_check", ROOT / "scripts" / "po_check.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["po_check"] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


po_check = _script()


def msgfmt_check(path: Path) -> subprocess.CompletedProcess[str]:
    msgfmt = shutil.which("msgfmt")
    require(msgfmt is not None, "msgfmt (Debian gettext) is not installed")
    return subprocess.run(
        [str(msgfmt), "--check", "-o", "/dev/null", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_there_are_spanish_and_arabic_catalogues() -> None:
    assert {p.parent.parent.name for p in CATALOGUES} >= {"es", "ar"}


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.parent.parent.name)
def test_no_translation_breaks_a_placeholder(path: Path) -> None:
    assert po_check.check_file(path, untranslated=False) == []


# What makemessages never reads (the Makefile's ``messages`` target ignores the same), or
# what is large and holds no string to translate.
NOT_SCANNED = {".git", ".venv", "var", "tests", "vendor", "screenshots", "__pycache__"}
NOT_SCANNED_SUFFIXES = (".mo", ".png", ".pdf", ".dcm", ".heic", ".jpg")


MAKEMESSAGES = ["makemessages", "-l", "es", "-l", "ar"] + [
    f"--ignore={path}" for path in (".venv", "var", "static/vendor", "tests")
]


def _skip_unscanned(_directory: str, names: list[str]) -> set[str]:
    return {n for n in names if n in NOT_SCANNED or n.endswith(NOT_SCANNED_SUFFIXES)}


def test_every_string_the_code_marks_is_translated_in_spanish_and_arabic(tmp_path: Path) -> None:
    # ``make messages`` on a copy of the tree: a string added since the catalogues were last
    # made is an empty entry there, and makemessages' guess from a similar string is fuzzy.
    # Either would show English to a Spanish or Arabic reader (fuzzy entries are never
    # compiled), so both fail here, with the entries to translate listed.
    require(shutil.which("xgettext") is not None, "xgettext (Debian gettext) is not installed")
    tree = tmp_path / "tree"
    shutil.copytree(ROOT, tree, ignore=_skip_unscanned)
    done = subprocess.run(
        [sys.executable, "manage.py", *MAKEMESSAGES],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    problems = [
        problem
        for path in sorted((tree / "locale").glob("*/LC_MESSAGES/django.po"))
        for problem in po_check.check_file(path)
    ]
    problems = [problem.removeprefix(f"{tree}/") for problem in problems]
    assert problems == [], "run `make messages`, then translate:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.parent.parent.name)
def test_msgfmt_check_accepts_the_catalogue(path: Path) -> None:
    done = msgfmt_check(path)
    assert done.returncode == 0, done.stderr


HEADER = """msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"

"""
BROKEN = {
    "renamed": (
        '#, python-format\nmsgid "Hello %(name)s"\nmsgstr "Hola %(nombre)s"\n',
        "%(nombre)",
    ),
    "missing": (
        '#, python-format\nmsgid "%(count)s files left"\nmsgstr "Quedan archivos"\n',
        "%(count)",
    ),
    "extra positional": ('#, python-format\nmsgid "Page %s"\nmsgstr "Página %s de %s"\n', "%s %s"),
    "brace renamed": ('msgid "Move to “{status}”"\nmsgstr "Mover a “{estado}”"\n', "{estado}"),
    "brace missing": ('msgid "Move to “{}”"\nmsgstr "Mover"\n', "none"),
    "plural extra": (
        '#, python-format\nmsgid "%(n)s day"\nmsgid_plural "%(n)s days"\n'
        'msgstr[0] "%(n)s día"\nmsgstr[1] "%(dias)s días"\n',
        "%(dias)",
    ),
}
FINE = (
    '#, python-format\nmsgid "%(a)s then %(b)s"\nmsgstr "%(b)s y luego %(a)s"\n\n'
    '#, python-format\nmsgid "100%% free, %(n)s left"\nmsgstr "100%% gratis, quedan %(n)s"\n\n'
    'msgid "A {{literal}} brace and {name}"\nmsgstr "Una llave {{literal}} y {name}"\n\n'
    '#, python-format\nmsgid "%(n)s day"\nmsgid_plural "%(n)s days"\n'
    'msgstr[0] "un día"\nmsgstr[1] "%(n)s días"\n\n'
    'msgid "Not translated yet"\nmsgstr ""\n'
)


def write_po(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "django.po"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


@pytest.mark.parametrize("case", list(BROKEN))
def test_the_check_catches_a_broken_placeholder(tmp_path: Path, case: str) -> None:
    body, shown = BROKEN[case]
    problems = po_check.check_file(write_po(tmp_path, body), untranslated=False)
    assert len(problems) == 1 and shown in problems[0], problems
    assert po_check.main([str(tmp_path / "django.po"), "--placeholders-only"]) == 1


def test_msgfmt_check_catches_a_renamed_python_format_placeholder(tmp_path: Path) -> None:
    done = msgfmt_check(write_po(tmp_path, BROKEN["renamed"][0]))
    assert done.returncode != 0 and "argument 'name' doesn't exist in 'msgstr'" in done.stderr


def test_reordered_escaped_and_plural_forms_without_the_number_are_fine(tmp_path: Path) -> None:
    # A fuzzy entry (makemessages' guess from a similar string) is never compiled.
    fuzzy_guess = '\n#, fuzzy, python-format\nmsgid "Due by %(due)s"\nmsgstr "Para %(name)s"\n'
    path = write_po(tmp_path, FINE + fuzzy_guess)
    assert po_check.check_file(path, untranslated=False) == []
    assert msgfmt_check(path).returncode == 0


def test_untranslated_and_fuzzy_entries_are_listed_unless_only_placeholders_are_asked(
    tmp_path: Path,
) -> None:
    path = write_po(tmp_path, FINE + '\n#, fuzzy\nmsgid "Almost"\nmsgstr "Casi"\n')
    problems = po_check.check_file(path)
    assert [p.rsplit(": ", 1)[1] for p in problems] == ["msgstr empty", "fuzzy"]
    assert po_check.check_file(path, allow_fuzzy=True)[0].endswith("msgstr empty")
    assert po_check.main([str(path), "--placeholders-only"]) == 0
