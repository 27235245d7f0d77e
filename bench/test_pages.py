"""Pages under load: the public directory and profile, the admin's case list and case page,
and a month of slots on a busy calendar, each against the bare view."""

from __future__ import annotations

from typing import Any

from .report import RUN
from .scenarios import BARE, against_bare
from .site import Site

DIRECTORY = "/clinics/?country=MX&cell_type=msc"
# The triage queue filtered to one state and searched by a surname (patient name or e-mail).
ADMIN_LIST = "/admin/intake/case/?queue=in_review&q=smith"
# Where the list's time goes, each against the same bare view: the bare view signed in as
# the same staff member (session and user), and the list's work without its page.
ADMIN_LIST_PARTS = {
    "signed_in_bare": BARE,
    "queue_work": "/bench/case-queue/?queue=in_review&q=smith",
}


def test_the_filtered_directory(full_site: Site) -> None:
    row, _load = against_bare(
        full_site, scenario="directory", what=f"GET {DIRECTORY}", path=DIRECTORY, min_ratio=0.60
    )
    RUN.growth_p95.setdefault("directory", {})[full_site.cases] = row.p95_ms


def test_a_clinic_profile(full_site: Site, targets: dict[str, Any]) -> None:
    path = f"/clinics/{targets['profile_slug']}/"
    against_bare(
        full_site,
        scenario="profile",
        what=f"GET {path} (richest profile)",
        path=path,
        min_ratio=0.60,
    )


def test_the_admin_case_list(full_site: Site, staff_cookie: str) -> None:
    row, _load = against_bare(
        full_site,
        scenario="admin_list",
        what=f"GET {ADMIN_LIST} (staff)",
        path=ADMIN_LIST,
        cookie=staff_cookie,
        min_ratio=0.30,
        parts=ADMIN_LIST_PARTS,
    )
    RUN.growth_p95.setdefault("admin_list", {})[full_site.cases] = row.p95_ms


def test_the_admin_case_page(full_site: Site, staff_cookie: str, targets: dict[str, Any]) -> None:
    path = f"/admin/intake/case/{targets['case_id']}/change/"
    against_bare(
        full_site, scenario="admin_case", what=f"GET {path} (staff)", path=path, cookie=staff_cookie
    )


def test_a_month_of_slots_on_a_busy_calendar(full_site: Site, targets: dict[str, Any]) -> None:
    path = f"/bench/slots/{targets['busy_type_id']}/"
    against_bare(
        full_site,
        scenario="slots",
        what="30 days of starts, 70 % booked "
        "(`consultations.slots.slot_grid` through a bench view)",
        path=path,
    )
