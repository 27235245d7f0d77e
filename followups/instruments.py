"""What we ask, and when: time points, the core check-in and the longer instruments.

The core check-in takes under two minutes on a phone: pain now (0-10 NRS),
the patient's global impression of change (PGIC, 7 points), function in daily
life (0-10), the side-effect checklist of the domain brief with severity and
whether it is still there, any doctor or hospital visit, anything else, and
"would you like the concierge to contact you". At 3, 6 and 12 months
orthopedic patients also give a Single Assessment Numeric Evaluation (SANE,
0-100, public domain), the shortest validated joint function score.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TimePoint(models.TextChoices):
    DAY_2 = "d2", _("2 days")
    WEEK_1 = "w1", _("1 week")
    MONTH_1 = "m1", _("1 month")
    MONTH_3 = "m3", _("3 months")
    MONTH_6 = "m6", _("6 months")
    MONTH_12 = "m12", _("12 months")


# Days after the treatment date. Months are calendar-agnostic on purpose: a
# check-in a day early or late changes nothing clinically, and fixed offsets
# make the outcome windows comparable between clinics.
OFFSET_DAYS: dict[str, int] = {
    TimePoint.DAY_2: 2,
    TimePoint.WEEK_1: 7,
    TimePoint.MONTH_1: 30,
    TimePoint.MONTH_3: 91,
    TimePoint.MONTH_6: 182,
    TimePoint.MONTH_12: 365,
}
DEFAULT_TIME_POINTS: tuple[str, ...] = tuple(OFFSET_DAYS)
# Side effects show in 24-48 h: after a harvest visit only this one is asked.
SIDE_EFFECT_TIME_POINTS: tuple[str, ...] = (TimePoint.DAY_2,)
LONG_INSTRUMENT_TIME_POINTS: frozenset[str] = frozenset(
    {TimePoint.MONTH_3, TimePoint.MONTH_6, TimePoint.MONTH_12}
)
# Where an experience review (1 week) and an outcome review (6 months) are invited.
EXPERIENCE_REVIEW_AT = TimePoint.WEEK_1
OUTCOME_REVIEW_AT = TimePoint.MONTH_6
# The local hour the invitation arrives, in the patient's home zone.
INVITE_LOCAL_TIME = dt.time(10, 0)


class Pgic(models.IntegerChoices):
    """Patient Global Impression of Change (Guy 1976), lower is better."""

    VERY_MUCH_IMPROVED = 1, _("Very much improved")
    MUCH_IMPROVED = 2, _("Much improved")
    MINIMALLY_IMPROVED = 3, _("A little improved")
    NO_CHANGE = 4, _("No change")
    MINIMALLY_WORSE = 5, _("A little worse")
    MUCH_WORSE = 6, _("Much worse")
    VERY_MUCH_WORSE = 7, _("Very much worse")


class Severity(models.IntegerChoices):
    """Patient-reported severity, mapped onto CTCAE grades 0-3 (PRO-CTCAE style)."""

    NONE = 0, pgettext_lazy("severity", "None")
    MILD = 1, _("Mild")
    MODERATE = 2, _("Moderate")
    SEVERE = 3, _("Severe")


class SideEffect(models.TextChoices):
    SITE_PAIN = "site_pain", _("Pain where the cells were given or taken")
    SWELLING = "swelling", _("Swelling")
    REDNESS = "redness", _("Redness")
    BRUISING = "bruising", _("Bruising")
    FATIGUE = "fatigue", _("Tiredness")
    FEVER = "fever", _("Fever")
    HEADACHE = "headache", _("Headache")
    NAUSEA = "nausea", _("Feeling sick (nausea)")
    RASH = "rash", _("Rash")


class CareVisit(models.TextChoices):
    NONE = "none", _("No")
    DOCTOR = "doctor", _("Yes, a doctor or nurse")
    HOSPITAL = "hospital", _("Yes, an emergency department or a hospital stay")


@dataclass(frozen=True)
class Expectation:
    """What is normal at this point, and which signs need a doctor now."""

    normal: object
    act_now: object


_RED_FLAGS_TEXT = _(
    "Call a doctor today if you have a fever that lasts more than two days, redness that "
    "spreads, pus or fluid from the site, or pain that is severe or getting worse."
)

EXPECTATIONS: dict[str, Expectation] = {
    TimePoint.DAY_2: Expectation(
        _(
            "Soreness, swelling or bruising where the cells were given or taken is common for a "
            "few days, and after an infusion some people feel tired, have a mild fever, a "
            "headache or nausea for a day or two."
        ),
        _RED_FLAGS_TEXT,
    ),
    TimePoint.WEEK_1: Expectation(
        _("Most soreness has settled by now. Improvement, if it comes, is still weeks away."),
        _RED_FLAGS_TEXT,
    ),
    TimePoint.MONTH_1: Expectation(
        _(
            "It is early: improvement after cell therapy is gradual and often not clear before "
            "three months."
        ),
        _("Tell us about anything new that worries you, or any doctor or hospital visit."),
    ),
    TimePoint.MONTH_3: Expectation(
        _("Improvement usually starts to show between three and six months, if it comes."),
        _("Tell us about anything new that worries you, or any doctor or hospital visit."),
    ),
    TimePoint.MONTH_6: Expectation(
        _(
            "By six months most people who will improve have noticed it. Your honest answer "
            "helps the next patient choose, whatever it is."
        ),
        _("Tell us about anything new that worries you, or any doctor or hospital visit."),
    ),
    TimePoint.MONTH_12: Expectation(
        _(
            "This is the last check-in. Nerve repair can take a year, so your answer now "
            "completes the picture."
        ),
        _("Tell us about anything new that worries you, or any doctor or hospital visit."),
    ),
}


def due_date(treated_on: dt.date, time_point: str) -> dt.date:
    return treated_on + dt.timedelta(days=OFFSET_DAYS[time_point])


def asks_long_instrument(time_point: str, category: str) -> bool:
    return time_point in LONG_INSTRUMENT_TIME_POINTS and category == "orthopedic"
