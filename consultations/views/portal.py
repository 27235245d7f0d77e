"""The clinic portal's consultations: the clinic's bookings and its availability.

The clinic comes from ``clinics.views.portal.clinic_view`` (the user's
memberships: another clinic's slug is a 404); every read goes through this
app's portal selectors, which repeat the membership join and show a patient's
booking only while the case is shared with the clinic.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from clinics.models import Clinic
from clinics.views.portal import apply_errors, clinic_view, portal_render
from core.exceptions import DomainError
from core.models import User
from intake.selectors import documents_for_case

from ..forms import (
    CancelForm,
    ConsultationTypeForm,
    ExceptionForm,
    HostRescheduleForm,
    RuleForm,
    local_instant,
)
from ..models import AvailabilityRule, Booking, BookingStatus, ConsultationType, DateException
from ..presenters import host_clock
from ..selectors import BookingFilters, portal_booking_or_404, portal_bookings, portal_host
from ..services import (
    SlotTaken,
    booking_cancel,
    booking_complete,
    booking_confirm,
    booking_no_show,
    booking_reschedule,
    consultation_type_save,
    date_exception_add,
    date_exception_remove,
    host_for_clinic,
    rule_add,
    rule_remove,
)
from ..services.access_log import booking_view_record

LIST_LIMIT = 200


def _user(request: HttpRequest) -> User:
    """The portal's views run behind ``login_required`` (``clinic_view``): a real user."""
    return cast(User, request.user)


# --- Bookings -----------------------------------------------------------------------------
@clinic_view
def bookings(request: HttpRequest, clinic: Clinic) -> HttpResponse:
    """The clinic's consultations as a list: today, this week, upcoming, past; by status."""
    filters = BookingFilters.from_query(request.GET)
    rows = list(
        portal_bookings(
            acting_user=_user(request),
            clinic=clinic,
            filters=filters,
        )[:LIST_LIMIT]
    )
    with timezone.override(clinic.time_zone):
        return portal_render(
            request,
            "consultations/portal/bookings.html",
            clinic,
            "consultations",
            rows=[
                (b, host_clock(b.start_at, host=b.host, viewer_zone=str(b.patient_time_zone)))
                for b in rows
            ],
            filters=filters,
            statuses=BookingStatus.choices,
            whens=[
                ("today", _("Today")),
                ("week", _("This week")),
                ("upcoming", _("Upcoming")),
                ("past", _("Past")),
                ("all", _("All")),
            ],
        )


def _detail(
    request: HttpRequest,
    clinic: Clinic,
    pk: int,
    *,
    status: int = 200,
    booking: Booking | None = None,
    **forms: Any,
) -> HttpResponse:
    if booking is None:
        booking = portal_booking_or_404(acting_user=_user(request), clinic=clinic, pk=pk)
    document = None
    if booking.document_id is not None:
        document = documents_for_case(case=booking.case).filter(pk=booking.document_id).first()
    with timezone.override(booking.host.time_zone):
        response = portal_render(
            request,
            "consultations/portal/booking.html",
            clinic,
            "consultations",
            booking=booking,
            document=document,
            when=host_clock(
                booking.start_at, host=booking.host, viewer_zone=str(booking.patient_time_zone)
            ),
            started=booking.start_at <= timezone.now(),
            events=booking.events.all(),
            reschedule_form=forms.get("reschedule_form") or HostRescheduleForm(),
            cancel_form=forms.get("cancel_form") or CancelForm(),
        )
    response.status_code = status
    return response


@clinic_view
def booking_detail(request: HttpRequest, clinic: Clinic, pk: int) -> HttpResponse:
    booking = portal_booking_or_404(acting_user=_user(request), clinic=clinic, pk=pk)
    booking_view_record(
        booking=booking, request=request, via="portal", acting_user=_user(request), clinic=clinic
    )
    return _detail(request, clinic, pk, booking=booking)


@clinic_view
@require_POST
def booking_action(request: HttpRequest, clinic: Clinic, pk: int, action: str) -> HttpResponse:
    """Confirm, complete, mark a no-show, cancel or move: each calls its service."""
    booking = portal_booking_or_404(acting_user=_user(request), clinic=clinic, pk=pk)
    try:
        if action == "confirm":
            booking_confirm(booking=booking, acting_user=_user(request), request=request)
            messages.success(request, _("Confirmed. The patient gets the calendar invite."))
        elif action == "complete":
            booking_complete(booking=booking, acting_user=_user(request), request=request)
            messages.success(request, _("Marked as held."))
        elif action == "no_show":
            booking_no_show(booking=booking, acting_user=_user(request), request=request)
            messages.success(request, _("Marked as a no-show."))
        elif action == "cancel":
            cancel = CancelForm(request.POST)
            if not cancel.is_valid():
                return _detail(request, clinic, pk, status=400, cancel_form=cancel)
            booking_cancel(
                booking=booking,
                reason=cancel.cleaned_data["reason"],
                acting_user=_user(request),
                request=request,
            )
            messages.success(request, _("Cancelled. The patient was told why."))
        elif action == "reschedule":
            form = HostRescheduleForm(request.POST)
            if not form.is_valid():
                return _detail(request, clinic, pk, status=400, reschedule_form=form)
            start = local_instant(
                form.cleaned_data["day"], form.cleaned_data["at"], booking.host.zone
            )
            booking_reschedule(
                booking=booking,
                start=start,
                reason=form.cleaned_data["reason"],
                acting_user=_user(request),
                request=request,
            )
            messages.success(request, _("Moved. The patient gets an updated invite."))
        else:
            raise Http404
    except (DomainError, SlotTaken) as refused:
        messages.error(request, str(refused.message))
    return redirect("consultations_portal:booking", slug=clinic.slug, pk=pk)


# --- Availability ---------------------------------------------------------------------------
def _availability_page(
    request: HttpRequest, clinic: Clinic, *, status: int = 200, **forms: Any
) -> HttpResponse:
    host = portal_host(acting_user=_user(request), clinic=clinic)
    response = portal_render(
        request,
        "consultations/portal/availability.html",
        clinic,
        "availability",
        host=host,
        rules=list(host.rules.all()) if host else [],
        exceptions=list(host.exceptions.filter(date__gte=timezone.localdate())) if host else [],
        types=list(host.types.all()) if host else [],
        rule_form=forms.get("rule_form") or RuleForm(),
        exception_form=forms.get("exception_form") or ExceptionForm(),
        zone=str(host.time_zone) if host else str(clinic.time_zone),
    )
    response.status_code = status
    return response


@clinic_view
def availability(request: HttpRequest, clinic: Clinic) -> HttpResponse:
    """Weekly hours and days off, in the clinic's own zone, and its consultation types."""
    return _availability_page(request, clinic)


@clinic_view
@require_POST
def rule_new(request: HttpRequest, clinic: Clinic) -> HttpResponse:
    form = RuleForm(request.POST)
    if form.is_valid():
        host = host_for_clinic(clinic=clinic, acting_user=_user(request))
        try:
            rule_add(
                host=host,
                weekday=form.cleaned_data["weekday"],
                start_time=form.cleaned_data["start_time"],
                end_time=form.cleaned_data["end_time"],
                valid_from=form.cleaned_data["valid_from"],
                valid_until=form.cleaned_data["valid_until"],
                acting_user=_user(request),
                request=request,
            )
        except (DomainError, ValidationError) as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Hours added."))
            return redirect("consultations_portal:availability", slug=clinic.slug)
    return _availability_page(request, clinic, status=400, rule_form=form)


@clinic_view
@require_POST
def rule_delete(request: HttpRequest, clinic: Clinic, pk: int) -> HttpResponse:
    host = portal_host(acting_user=_user(request), clinic=clinic)
    rule = AvailabilityRule.objects.filter(host=host, pk=pk).first() if host else None
    if rule is None:
        raise Http404
    rule_remove(rule=rule, acting_user=_user(request), request=request)
    messages.success(request, _("Hours removed. Consultations already booked stay booked."))
    return redirect("consultations_portal:availability", slug=clinic.slug)


@clinic_view
@require_POST
def exception_new(request: HttpRequest, clinic: Clinic) -> HttpResponse:
    form = ExceptionForm(request.POST)
    if form.is_valid():
        host = host_for_clinic(clinic=clinic, acting_user=_user(request))
        try:
            date_exception_add(
                host=host,
                day=form.cleaned_data["date"],
                start_time=form.cleaned_data["start_time"],
                end_time=form.cleaned_data["end_time"],
                reason=form.cleaned_data["reason"],
                acting_user=_user(request),
                request=request,
            )
        except (DomainError, ValidationError) as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Day off added. Consultations already booked that day "
                    "stay booked: cancel them with a reason if needed."
                ),
            )
            return redirect("consultations_portal:availability", slug=clinic.slug)
    return _availability_page(request, clinic, status=400, exception_form=form)


@clinic_view
@require_POST
def exception_delete(request: HttpRequest, clinic: Clinic, pk: int) -> HttpResponse:
    host = portal_host(acting_user=_user(request), clinic=clinic)
    exception = DateException.objects.filter(host=host, pk=pk).first() if host else None
    if exception is None:
        raise Http404
    date_exception_remove(exception=exception, acting_user=_user(request), request=request)
    return redirect("consultations_portal:availability", slug=clinic.slug)


@clinic_view
@require_http_methods(["GET", "POST"])
def type_edit(request: HttpRequest, clinic: Clinic, pk: int | None = None) -> HttpResponse:
    """Create or change a consultation type of the clinic's calendar."""
    host = portal_host(acting_user=_user(request), clinic=clinic)
    if pk is not None:
        instance = ConsultationType.objects.filter(host=host, pk=pk).first() if host else None
        if instance is None:
            raise Http404
    else:
        instance = ConsultationType()
    form = ConsultationTypeForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        ctype = form.save(commit=False)
        ctype.host = host or host_for_clinic(clinic=clinic, acting_user=_user(request))
        try:
            consultation_type_save(
                consultation_type=ctype,
                acting_user=_user(request),
                request=request,
            )
        except (DomainError, ValidationError) as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("consultations_portal:availability", slug=clinic.slug)
    return portal_render(
        request,
        "consultations/portal/type_form.html",
        clinic,
        "availability",
        form=form,
        ctype=instance if pk else None,
    )
