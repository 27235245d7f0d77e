"""The pause/stop link in every follow-up e-mail: signed, so it needs no table and
cannot be forged; it names a schedule and nothing else."""

from __future__ import annotations

from django.core import signing

from .models import FollowUpSchedule

SALT = "followups.stop.v1"
MAX_AGE = 60 * 60 * 24 * 800  # beyond the last check-in at 12 months, with room to spare


def stop_token(schedule: FollowUpSchedule) -> str:
    return signing.dumps({"s": schedule.pk}, salt=SALT, compress=False)


def schedule_for_stop_token(token: str) -> FollowUpSchedule | None:
    if not token or len(token) > 200:
        return None
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("s"), int):
        return None
    return FollowUpSchedule.objects.select_related("case").filter(pk=data["s"]).first()
