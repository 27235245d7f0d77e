"""docs/deploy.md stays true: every environment variable the settings read is in it."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "deploy.md"
# The settings a deployment runs on; test.py's variables steer the test harness only
# (the doc names them in a line of their own).
DEPLOYED_SETTINGS = ("base.py", "local.py", "production.py")
# env("X"), env.str("X", ...), env.int(\n "X", ...), env.email_url("X") ...
ENV_READ = re.compile(r"\benv(?:\.\w+)?\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']")


def variables_read(source: str) -> set[str]:
    return set(ENV_READ.findall(source))


def test_the_pattern_finds_every_way_the_settings_read_a_variable() -> None:
    source = """
    A = env.str("ONE", default="x")
    B = env.int(
        "TWO", default=2)
    C = env("THREE")
    vars().update(env.email_url('FOUR', default="x"))
    D = os.environ.get("NOT_ENV")
    """
    assert variables_read(source) == {"ONE", "TWO", "THREE", "FOUR"}


def deployed_variables() -> set[str]:
    """Every variable the settings a deployment runs on read."""
    read: set[str] = set()
    for name in DEPLOYED_SETTINGS:
        read |= variables_read((ROOT / "config" / "settings" / name).read_text())
    return read


def test_every_variable_the_settings_read_is_documented_in_deploy_md() -> None:
    doc = DOC.read_text()
    read = deployed_variables()
    assert len(read) > 50, "the pattern no longer finds the settings' variables"
    missing = sorted(v for v in read if f"`{v}`" not in doc)
    assert missing == [], f"docs/deploy.md does not document {missing}"
    test_only = variables_read((ROOT / "config" / "settings" / "test.py").read_text())
    assert all(f"`{v}`" in doc for v in test_only)


def test_every_variable_the_settings_read_is_in_the_env_example() -> None:
    """The README sends a newcomer to .env.example for every variable."""
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", example, re.MULTILINE))
    missing = sorted(deployed_variables() - listed)
    assert missing == [], f".env.example does not list {missing}"


def test_the_nginx_upload_cap_matches_the_portals_request_cap() -> None:
    """Smaller, and nginx would refuse uploads the portal accepts with a bare 413; much
    larger, and nginx would spool bodies the portal is bound to refuse."""
    match = re.search(r"client_max_body_size (\d+)m;", DOC.read_text())
    assert match, "the nginx example lost its client_max_body_size"
    nginx_bytes = int(match.group(1)) * 1024 * 1024
    cap = settings.UPLOAD_MAX_REQUEST_BYTES
    assert cap <= nginx_bytes <= cap + 16 * 1024 * 1024


def test_the_readme_links_the_deployment_doc() -> None:
    assert "(docs/deploy.md)" in (ROOT / "README.md").read_text()
