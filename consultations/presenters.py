"""Times in words for people on two clocks.

"Tue 10 Mar, 16:00 your time - 09:00 in Bogota": the patient's own clock first,
the host's beside it (with its own date when the two clocks are on different days).
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .models import Host

DAY_TIME = "D j M, H:i"


def two_clocks(start: datetime, *, viewer_zone: str, host: Host) -> str:
    """``start`` on the viewer's clock with the host's local time beside it."""
    mine = start.astimezone(zoneinfo.ZoneInfo(viewer_zone))
    theirs = start.astimezone(host.zone)
    host_format = "H:i" if theirs.date() == mine.date() else DAY_TIME
    if mine.utcoffset() == theirs.utcoffset() and theirs.date() == mine.date():
        return _("%(mine)s (your time and %(place)s)") % {
            "mine": date_format(mine, DAY_TIME),
            "place": host.place,
        }
    return _("%(mine)s your time - %(theirs)s in %(place)s") % {
        "mine": date_format(mine, DAY_TIME),
        "theirs": date_format(theirs, host_format),
        "place": host.place,
    }


def host_clock(start: datetime, *, host: Host, viewer_zone: str) -> str:
    """For the host: their own clock first, the patient's beside it."""
    mine = start.astimezone(host.zone)
    theirs = start.astimezone(zoneinfo.ZoneInfo(viewer_zone))
    other = "H:i" if theirs.date() == mine.date() else DAY_TIME
    return _("%(mine)s your time - %(theirs)s for the patient") % {
        "mine": date_format(mine, DAY_TIME),
        "theirs": date_format(theirs, other),
    }
