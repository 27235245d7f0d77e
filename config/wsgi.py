from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
application = get_wsgi_application()

from core.url_tables import url_tables_build  # noqa: E402 - needs the settings above

url_tables_build()  # before the first request, not during it (core.url_tables)
