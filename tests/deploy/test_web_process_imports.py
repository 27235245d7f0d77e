"""What a web process loads at start. Every gunicorn worker holds it for its whole life, and
the upload bench's memory target is a worker under 150 MB, so libraries only a worker or a
rare upload needs are imported where they are used."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# 7.7 MB of a web process at start, the two together (measured after loading config.wsgi):
# pillow-heif with libheif, which only a HEIC photo needs (core.uploads.images), and
# icalendar, which only a mail worker writing a calendar invite needs (consultations.ics).
NOT_AT_START = ("pillow_heif", "icalendar")


def test_a_web_process_starts_without_the_libraries_only_workers_and_rare_uploads_use() -> None:
    probe = (
        "import json, sys\n"
        "from config.wsgi import application\n"
        "from django.urls import reverse\n"
        "reverse('admin:index')\n"
        f"print(json.dumps({{m: m in sys.modules for m in {list(NOT_AT_START)!r}}}))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded == dict.fromkeys(NOT_AT_START, False)
