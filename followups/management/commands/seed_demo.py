"""Fill the portal with realistic demo data. Safe to run again and again.

It lives in the top app (followups) because it calls every layer's own ``demo`` module.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from clinics import demo as clinics_demo
from clinics.public_cache import public_pages_changed
from consultations.demo import seed_consultations
from core.demo import DEMO_PASSWORD, ensure_user
from core.models import Role
from followups.demo import seed_followups
from intake import demo as intake_demo
from intake.models import Case, CaseStatus, TokenPurpose
from intake.services import access_link_url, access_token_issue


class Command(BaseCommand):
    help = "Create demo logins, conditions and vetted clinics (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        concierge = ensure_user(
            "concierge@concierge.example",
            full_name="Carmen Concierge",
            role=Role.CONCIERGE,
            is_staff=True,
            time_zone="Europe/Madrid",
        )
        # Roles by need: a clinician reviewer (documents, clinical answers) and an
        # administrator (accounts, second factors, lock-outs; no patient data).
        clinician = ensure_user(
            "clinician@concierge.example",
            full_name="Dr Clara Clinician",
            role=Role.CONCIERGE,
            is_staff=True,
            time_zone="Europe/Madrid",
        )
        ensure_user(clinician.email, full_name=clinician.full_name, role=Role.CLINICIAN)
        administrator = ensure_user(
            "admin@concierge.example",
            full_name="Adam Administrator",
            role=Role.ADMINISTRATOR,
            is_staff=True,
        )
        conditions = clinics_demo.seed_conditions()
        clinic_logins = clinics_demo.seed_clinics()
        intake_demo.seed_cases()
        consultations = seed_consultations()
        followups = seed_followups()
        public_pages_changed()  # written without the services: cached public pages go

        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {conditions} conditions."))
        self.stdout.write(
            f"Consultations: {consultations.hosts} calendars; added {consultations.bookings} "
            f"bookings, {consultations.plans} plans, {consultations.records} treatments."
        )
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        self.stdout.write(f"  concierge staff (admin): {concierge.email}")
        self.stdout.write(f"  clinician reviewer:      {clinician.email}")
        self.stdout.write(f"  administrator:           {administrator.email}")
        self.stdout.write("  second concierge host:   lucia@concierge.example")
        for user in clinic_logins:
            self.stdout.write(f"  clinic staff (portal):   {user.email}")
        self.stdout.write(
            f"Follow-ups: {followups.schedules} new check-in schedules; {followups.cohort} "
            "treated patients with answers for an outcome card."
        )
        link = _demo_case_link()
        if link:
            self.stdout.write(f"  a patient's case page:   {link}")
        if followups.checkin_link:
            self.stdout.write(f"  a 2-day check-in, due now: {followups.checkin_link}")
            self.stdout.write(
                "    (its e-mail reaches var/mail/ within a minute of the worker starting)"
            )


def _demo_case_link() -> str | None:
    """A fresh magic link to a demo case with a proposal, so a newcomer sees the patient side.

    Patients have no password: their pages open only from links like the ones the
    e-mails carry. A new link each run; the old ones simply expire.
    """
    case = (
        Case.objects.filter(status=CaseStatus.MATCHED).order_by("submitted_at").first()
        or Case.objects.filter(status=CaseStatus.NEW).order_by("submitted_at").first()
    )
    if case is None:
        return None
    raw = access_token_issue(case=case, purpose=TokenPurpose.CASE, acting_user=None)
    return access_link_url(raw, TokenPurpose.CASE)
