"""pyproject.toml declares what the code uses, and the code uses what pyproject.toml declares.

A declared package counts as used when the portal's own code (not tests, benchmarks
or scripts) imports one of its modules, or names one in a string: settings point at
apps, middleware and backends by dotted path ("axes.middleware.AxesMiddleware",
"crispy_bootstrap5"). Distribution -> module names come from the installed metadata
(``importlib.metadata.packages_distributions``), never from a hand-kept table.
docs/libraries.md says what each one does for us.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Iterator
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Not the portal's runtime code: tests, benchmarks, dev scripts, data, front-end assets.
NOT_CODE = {"tests", "bench", "scripts", "var", "static", "locale", "templates", "node_modules"}
# A backend named by dotted path in settings imports its driver; our code never does.
DRIVERS = {
    "django.db.backends.postgresql": "psycopg",
    "django.core.cache.backends.redis": "redis",
    "core.cache.RedisCache": "redis",  # Django's Redis backend, one client per pool
}
# Declared, and rightly, though no module of ours imports them. Keep this short.
USED_OUTSIDE_THE_CODE = {
    # The production web server, started from the command line (README, "Deploying"; bench/).
    "gunicorn": "command line",
    # django-phonenumber-field's parser, its [phonenumbers] extra: pinned so installs match CI.
    "phonenumbers": "pinned extra of django-phonenumber-field",
    # redis-py's C reply parser: redis-py loads it by itself when it is installed.
    "hiredis": "loaded by redis",
}
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.\w+)*")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def declared() -> dict[str, str]:
    """Normalised distribution name -> the requirement as written in pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    found: dict[str, str] = {}
    for requirement in project["dependencies"]:
        match = re.match(r"[A-Za-z0-9._-]+", requirement)
        assert match, requirement
        found[normalise(match.group(0))] = requirement
    return found


@cache
def modules_of() -> dict[str, set[str]]:
    """Normalised distribution name -> the top-level modules it installs."""
    result: dict[str, set[str]] = {}
    for module, distributions in packages_distributions().items():
        for distribution in distributions:
            result.setdefault(normalise(distribution), set()).add(module)
    return result


def code_files() -> Iterator[Path]:
    for path in ROOT.rglob("*.py"):
        top = path.relative_to(ROOT).parts[0]
        if top in NOT_CODE or top.startswith(".") or top.endswith(".egg-info"):
            continue
        yield path


@cache
def references() -> tuple[frozenset[str], frozenset[str]]:
    """(modules imported, modules named in strings) by the portal's code."""
    imported: set[str] = set()
    named: set[str] = set()
    for path in code_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                if _DOTTED.fullmatch(node.value):
                    named.add(node.value.split(".")[0])
                named |= {
                    driver for path_, driver in DRIVERS.items() if node.value.startswith(path_)
                }
    return frozenset(imported), frozenset(named)


def unused_in(
    declared_: dict[str, str], modules: dict[str, set[str]], used: frozenset[str]
) -> list[str]:
    """The requirements in ``declared_`` none of whose modules is in ``used``."""
    return sorted(
        requirement
        for name, requirement in declared_.items()
        if name not in USED_OUTSIDE_THE_CODE and not modules.get(name, set()) & used
    )


def unused() -> list[str]:
    imported, named = references()
    return unused_in(declared(), modules_of(), imported | named)


def test_every_declared_package_is_installed_and_maps_to_modules() -> None:
    missing = [req for name, req in declared().items() if not modules_of().get(name)]
    assert missing == [], "declared but not installed: run `pip install -e .`"


def test_every_declared_package_is_imported_or_named_by_the_code() -> None:
    assert unused() == [], f"declared in pyproject.toml but never used: {unused()}"


def test_every_third_party_import_is_declared() -> None:
    imported, _named = references()
    ours = {path.name for path in ROOT.iterdir() if path.is_dir()} | {"manage", "__future__"}
    provided = set().union(*(modules_of().get(name, set()) for name in declared()))
    undeclared = sorted(imported - set(sys.stdlib_module_names) - ours - provided)
    assert undeclared == [], f"imported but not declared in pyproject.toml: {undeclared}"


def test_the_allow_list_only_names_declared_packages_that_really_go_unimported() -> None:
    imported, named = references()
    for name in USED_OUTSIDE_THE_CODE:
        assert name in declared(), f"{name} is allowed but no longer declared"
        assert not modules_of()[name] & (imported | named), f"{name} is imported now: drop it"


def test_the_check_notices_an_unused_declaration() -> None:
    imported, named = references()
    fake = {**declared(), "left-pad": "left-pad==1.0"}
    modules = {**modules_of(), "left-pad": {"left_pad"}}
    assert unused_in(fake, modules, imported | named) == ["left-pad==1.0"]
    assert unused_in(fake, modules, imported | named | {"left_pad"}) == []


def test_docs_name_every_declared_library() -> None:
    text = (ROOT / "docs" / "libraries.md").read_text().lower()
    missing = [req for name, req in declared().items() if name not in normalise(text)]
    assert missing == [], f"docs/libraries.md does not mention {missing}"
