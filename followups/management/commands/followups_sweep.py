"""``manage.py followups_sweep``: beat's two follow-up jobs, run once, now.

Gives each completed treatment without a schedule its schedule, then moves
check-ins along the non-response ladder. Safe beside beat and beside another
sweep (a treatment gets one schedule whoever makes it): useful after restoring
a backup, or to see the effect of a change at once.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from followups.services import checkins_advance, schedules_create_due


class Command(BaseCommand):
    help = "Create missing follow-up schedules and advance the non-response ladder, once."

    def handle(self, *args: Any, **options: Any) -> None:
        made = schedules_create_due()
        ladder = checkins_advance()
        self.stdout.write(
            f"schedules created {made}; invited {ladder.invited}; call tasks {ladder.call_tasks}; "
            f"missed {ladder.missed}; failed {ladder.failed}; ended {ladder.ended}"
        )
