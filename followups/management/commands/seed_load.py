"""A large, realistic data set for benchmarks: ``manage.py seed_load --cases 100000``.

It lives in the top app because it writes every app's tables. At 100,000 cases:
2,000 clinics with 10,000 offerings, 100,000 patients and cases with document
metadata (no files), proposals and clinic shares, 50,000 consultations, 50,000
completed treatments with 300,000 check-ins in every state (answers, adverse events,
call tasks) and their 600,000 outbox rows. ``--cases`` scales
everything in proportion. Rows are written with COPY on PostgreSQL (minutes).

It first lays the reference data ``seed_demo`` also lays (conditions, exchange
rates, the legality table, a concierge login), then refuses to run a second time on
the same database: drop it and start again.
"""

from __future__ import annotations

import random
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from clinics.demo import seed_conditions, seed_exchange_rates, seed_legality
from clinics.models import Clinic
from clinics.public_cache import public_pages_changed
from core.demo import ensure_user
from core.models import Role
from followups.load.bulk import Writer
from followups.load.calendar import load_calendars, load_treatments
from followups.load.cases import load_cases
from followups.load.checkins import load_checkins
from followups.load.clinics import SLUG_PREFIX, load_clinics
from followups.load.matching import load_matching

FULL_SIZE = 100_000  # cases at which the proportions below are stated


class Command(BaseCommand):
    help = "Load a large realistic data set (bench); refuses to run twice on one database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--cases",
            type=int,
            default=FULL_SIZE,
            help="Cases to create; everything else scales with it.",
        )
        parser.add_argument("--seed", type=int, default=14, help="Random seed (repeatable).")

    def handle(self, *args: Any, **options: Any) -> None:
        cases = int(options["cases"])
        if cases < 100:
            raise CommandError("--cases must be at least 100.")
        loaded = Clinic.objects.filter(slug__startswith=SLUG_PREFIX).count()
        if loaded:
            raise CommandError(
                f"This database already holds a load data set ({loaded} clinics named "
                f"'{SLUG_PREFIX}...'). seed_load runs once per database: drop and recreate it."
            )
        started = time.monotonic()
        staff = ensure_user(
            "concierge@concierge.example",
            full_name="Carmen Concierge",
            role=Role.CONCIERGE,
            is_staff=True,
            time_zone="Europe/Madrid",
        )
        seed_conditions()
        seed_exchange_rates()
        seed_legality(staff)
        scale = cases / FULL_SIZE
        rng = random.Random(options["seed"])  # noqa: S311 - repeatable data, not a secret
        writer = Writer(log=self.stdout.write)
        self.stdout.write(f"Loading {cases:,} cases ...")
        with transaction.atomic():
            clinics = load_clinics(writer, rng, count=max(10, round(2000 * scale)), staff=staff)
            case_rows = load_cases(writer, rng, count=cases)
            load_matching(writer, rng, clinics=clinics, cases=case_rows, staff=staff)
            load_calendars(
                writer,
                rng,
                clinics=clinics,
                cases=case_rows,
                bookings=cases // 2,
                concierge_hosts=max(2, round(8 * scale)),
            )
            treatments = load_treatments(
                writer, rng, clinics=clinics, cases=case_rows, count=cases // 2
            )
            load_checkins(writer, rng, treatments=treatments, cases={c.pk: c for c in case_rows})
            writer.finish()
            public_pages_changed()  # written without the services: cached public pages go
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # What autovacuum does to a live database soon after a bulk load: the
                # planner's statistics, the visibility map (index-only scans) and the GIN
                # pending lists flushed into the trigram indexes (left pending, every name
                # search read 4 MB of them). Autovacuum may be off (CI) or not come round
                # before the bench. Inside a transaction (tests) only ANALYZE can run.
                cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
        writer.report()
        self.stdout.write(
            self.style.SUCCESS(
                f"Load data set ready: {cases:,} cases in {time.monotonic() - started:.0f} s."
            )
        )
