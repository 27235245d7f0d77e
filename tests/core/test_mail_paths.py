"""One way out for e-mail: nothing outside ``core/`` builds or sends a message itself.

Every app queues a notification (``core.notifications.services.notify``) and
the outbox sends it; a direct ``send_mail`` would skip the dedupe key, the
retry by meaning, the still-wanted check and the layout.
"""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

# Top-level folders that are not the application's own code, or are allowed to send.
SKIPPED = {".venv", ".git", "node_modules", "var", "static", "locale", "core", "tests"}
SEND_FUNCTIONS = {"send_mail", "send_mass_mail", "mail_admins", "mail_managers"}
MESSAGE_CLASSES = {"EmailMessage", "EmailMultiAlternatives"}


def direct_mail(source: str) -> list[str]:
    """Where ``source`` sends or builds mail itself: line and what it used."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (
            (node.module or "").startswith("django.core.mail")
            or (node.module == "django.core" and any(a.name == "mail" for a in node.names))
        ):
            found.append(f"{node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Import):
            found += [
                f"{node.lineno}: import {alias.name}"
                for alias in node.names
                if alias.name.startswith("django.core.mail")
            ]
        elif isinstance(node, ast.Name | ast.Attribute):
            name = node.id if isinstance(node, ast.Name) else node.attr
            if name in SEND_FUNCTIONS | MESSAGE_CLASSES:
                found.append(f"{node.lineno}: {name}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "send"
            and not node.args
            and all(kw.arg == "fail_silently" for kw in node.keywords)
        ):
            # A message's send(); signals and sockets take a sender or data.
            found.append(f"{node.lineno}: .send()")
    return sorted(found, key=lambda hit: int(hit.split(":")[0]))


def _application_files() -> list[Path]:
    root = Path(settings.BASE_DIR)
    return sorted(
        path for path in root.rglob("*.py") if path.relative_to(root).parts[0] not in SKIPPED
    )


def test_the_check_finds_every_way_of_sending_mail_directly() -> None:
    offending = """
from django.core.mail import send_mail
import django.core.mail
from django.core import mail
send_mail("s", "b", None, ["a@b.example"])
mail.EmailMultiAlternatives(subject="s").send()
message.send(fail_silently=True)
"""
    found = direct_mail(offending)
    assert [line.split(":")[0] for line in found] == ["2", "3", "4", "5", "6", "6", "7"]
    assert direct_mail("signal.send(sender=None)\nsock.send(b'x')\n") == []


def test_nothing_outside_core_sends_or_builds_an_email_itself() -> None:
    files = _application_files()
    assert any(path.match("intake/emails.py") for path in files)  # the walk sees the apps
    offenders = {
        str(path.relative_to(settings.BASE_DIR)): hits
        for path in files
        if (hits := direct_mail(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}
