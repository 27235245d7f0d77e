"""A host's availability: weekly rules, date exceptions and consultation types.

Clinic staff manage their own clinic's calendar in the portal; concierge staff
manage every calendar (their own in the admin). Changes never move existing
bookings: a booking keeps its time until someone reschedules or cancels it.
"""

from __future__ import annotations

from datetime import date, time

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from clinics.models import Clinic
from core.audit import audit_event_record
from core.exceptions import DomainError
from core.models import User

from ..models import AvailabilityRule, ConsultationType, DateException, Host, HostKind
from ._common import audit_actor, require_clinic_member_or_staff, require_host_manager


@transaction.atomic
def host_for_clinic(*, clinic: Clinic, acting_user: User | None) -> Host:
    """The clinic's own calendar (not a particular doctor's), made on first use in the
    clinic's zone. Side effects: audit row when it is made."""
    require_clinic_member_or_staff(acting_user, clinic.pk)
    host = Host.objects.filter(kind=HostKind.CLINIC, clinic=clinic, doctor__isnull=True).first()
    if host is not None:
        return host
    host = Host(
        kind=HostKind.CLINIC, clinic=clinic, name=clinic.name, time_zone=str(clinic.time_zone)
    )
    host.full_clean()
    host.save()
    audit_event_record(
        action="consultations.host.created",
        acting_user=audit_actor(acting_user),
        target=host,
        data={"clinic": clinic.pk},
    )
    return host


def _audit(
    action: str, acting_user: User | None, host: Host, request: HttpRequest | None, **data: object
) -> None:
    audit_event_record(
        action=f"consultations.{action}",
        acting_user=audit_actor(acting_user),
        target=host,
        request=request,
        data={k: str(v) for k, v in data.items()},
    )


@transaction.atomic
def rule_add(
    *,
    host: Host,
    weekday: int,
    start_time: time,
    end_time: time,
    valid_from: date | None = None,
    valid_until: date | None = None,
    acting_user: User | None,
    request: HttpRequest | None = None,
) -> AvailabilityRule:
    """Add weekly hours in the host's local time; refuses hours that overlap another rule
    of the same weekday. Side effects: audit row."""
    require_host_manager(acting_user, host)
    rule = AvailabilityRule(
        host=host,
        weekday=weekday,
        start_time=start_time,
        end_time=end_time,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    rule.full_clean()
    clash = AvailabilityRule.objects.filter(
        host=host, weekday=weekday, start_time__lt=end_time, end_time__gt=start_time
    )
    for other in clash:
        if _date_ranges_meet(other, rule):
            raise DomainError(
                _("These hours overlap hours you already set for that day."), code="rule_overlap"
            )
    rule.save()
    _audit(
        "rule.added",
        acting_user,
        host,
        request,
        rule=rule.pk,
        weekday=weekday,
        start=start_time,
        end=end_time,
    )
    return rule


def _date_ranges_meet(a: AvailabilityRule, b: AvailabilityRule) -> bool:
    a_from, a_until = a.valid_from or date.min, a.valid_until or date.max
    b_from, b_until = b.valid_from or date.min, b.valid_until or date.max
    return a_from <= b_until and b_from <= a_until


@transaction.atomic
def rule_remove(
    *, rule: AvailabilityRule, acting_user: User | None, request: HttpRequest | None = None
) -> None:
    """Remove weekly hours; bookings already made stay. Side effects: audit row."""
    require_host_manager(acting_user, rule.host)
    host, pk = rule.host, rule.pk
    rule.delete()
    _audit("rule.removed", acting_user, host, request, rule=pk)


@transaction.atomic
def date_exception_add(
    *,
    host: Host,
    day: date,
    start_time: time | None = None,
    end_time: time | None = None,
    reason: str = "",
    acting_user: User | None,
    request: HttpRequest | None = None,
) -> DateException:
    """Block a day (or part of it) in the host's local time. Bookings already made that
    day stay: the host cancels them with a reason if needed. Side effects: audit row."""
    require_host_manager(acting_user, host)
    exception = DateException(
        host=host, date=day, start_time=start_time, end_time=end_time, reason=reason.strip()[:120]
    )
    exception.full_clean()
    exception.save()
    _audit("exception.added", acting_user, host, request, exception=exception.pk, date=day)
    return exception


@transaction.atomic
def date_exception_remove(
    *, exception: DateException, acting_user: User | None, request: HttpRequest | None = None
) -> None:
    require_host_manager(acting_user, exception.host)
    host, pk = exception.host, exception.pk
    exception.delete()
    _audit("exception.removed", acting_user, host, request, exception=pk)


@transaction.atomic
def consultation_type_save(
    *,
    consultation_type: ConsultationType,
    acting_user: User | None,
    request: HttpRequest | None = None,
) -> ConsultationType:
    """Create or change a consultation type of a host the user manages. Bookings already
    made keep their time, buffers and place. Side effects: audit row."""
    require_host_manager(acting_user, consultation_type.host)
    created = consultation_type.pk is None
    consultation_type.full_clean()
    consultation_type.save()
    _audit(
        "type.created" if created else "type.changed",
        acting_user,
        consultation_type.host,
        request,
        type=consultation_type.pk,
    )
    return consultation_type
