"""Dependencies run one way: followups -> consultations -> intake -> clinics -> core, and
core never imports config. Not by an import, not by a URL name (``reverse``, ``redirect``,
``{% url %}``, an admin URL of a higher app's model), not by a template path. The site's
shell (config, ``templates/base.html``, the front page ``home``) sits above them all."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import get_resolver

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["core", "clinics", "intake", "consultations", "followups"]

IMPORT = re.compile(r"^\s*(?:from|import)\s+([a-z_]+)", re.MULTILINE)
URL_NAME = re.compile(r"""(?:reverse(?:_lazy)?\(|redirect\(|\{%\s*url\s+)\s*['"]([a-z_]+):""")
ADMIN_URL = re.compile(r"""['"]admin:([a-z]+)_[a-z]+_(?:changelist|change|add|delete|history)""")
TEMPLATE = re.compile(
    r"""\{%\s*(?:include|extends)\s+['"]([a-z_]+)/|['"]([a-z_]+)/[\w/.-]+\.(?:html|txt)['"]"""
)


def namespace_owners() -> dict[str, str]:
    """Each URL namespace and the app whose urls module defines it."""
    owners = {}
    for namespace, (_prefix, resolver) in get_resolver().namespace_dict.items():
        module = resolver.urlconf_name
        name = module if isinstance(module, str) else getattr(module, "__name__", "")
        if name:
            owners[namespace] = name.split(".")[0]
    return owners


def sources(app: str) -> list[Path]:
    python = [p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts]
    templates = [
        p
        for folder in (ROOT / "templates" / app, ROOT / app / "templates")
        if folder.exists()
        for p in folder.rglob("*")
        if p.suffix in (".html", ".txt")
    ]
    return python + templates


def upward_references(app: str, owners: dict[str, str]) -> list[str]:
    above = set(LAYERS[LAYERS.index(app) + 1 :]) | ({"config"} if app == "core" else set())
    found = []
    for path in sources(app):
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(ROOT)
        if path.suffix == ".py":
            found += [f"{where}: imports {m}" for m in IMPORT.findall(text) if m in above]
        found += [
            f"{where}: URL name {ns}:" for ns in URL_NAME.findall(text) if owners.get(ns) in above
        ]
        found += [f"{where}: admin URL of {m}" for m in ADMIN_URL.findall(text) if m in above]
        for include, literal in TEMPLATE.findall(text):
            folder = include or literal
            if folder in above:
                found.append(f"{where}: template {folder}/...")
    return found


@pytest.mark.parametrize("app", LAYERS)
def test_no_layer_names_a_layer_above_it(app: str) -> None:
    assert upward_references(app, namespace_owners()) == []


def test_the_check_notices_an_upward_url_name_import_and_template() -> None:
    owners = namespace_owners()
    assert owners["portal"] == "clinics" and owners["followups_portal"] == "followups"
    text = (
        "from intake.models import Case\n"
        'redirect("portal:home")\n'
        "{% url 'followups:page' token %}\n"
        'reverse("admin:intake_case_change", args=[1])\n'
        '{% include "consultations/_panel.html" %}\n'
    )
    assert [m for m in IMPORT.findall(text)] == ["intake"]
    assert URL_NAME.findall(text) == ["portal", "followups", "admin"]
    assert ADMIN_URL.findall(text) == ["intake"]
    assert [a or b for a, b in TEMPLATE.findall(text)] == ["consultations"]
