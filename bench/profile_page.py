"""Where a page's time goes: cProfile over Django's test client, on a bench data set.

    DATABASE_URL=postgres://.../portal_bench_100000 REDIS_URL=redis://... \\
        .venv/bin/python -m bench.profile_page /clinics/?country=MX --repeat 50

Prints the page's status, size, queries and mean time per request, then the functions
with the most cumulative time. ``--staff EMAIL`` signs that user in first (admin pages).
The public-page cache is switched off (``PUBLIC_PAGE_CACHE=False``) unless ``--cached``.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from core.models import User  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--staff", default="")
    parser.add_argument("--cached", action="store_true")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    settings.PUBLIC_PAGE_CACHE = args.cached
    client = Client(HTTP_HOST="127.0.0.1")
    if args.staff:
        client.force_login(User.objects.get(email=args.staff))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(args.path)
    print(
        f"{args.path}: {response.status_code}, {len(response.content):,} bytes, "
        f"{len(queries)} queries"
    )
    started = time.perf_counter()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.repeat):
        client.get(args.path)
    profiler.disable()
    print(f"{(time.perf_counter() - started) / args.repeat * 1000:.1f} ms per request (profiled)")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
