"""The patient's consultation pages, reached from their case page (the magic-link session).

Every view first authorises the case with ``intake.selectors.patient_case_or_404``
(the case link bound to this browser); a case the session holds no link for, or
another case's booking, gets the one "link not valid" answer, with no data.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import DomainError
from intake.models import Case, UploadChannel
from intake.selectors import documents_for_case, patient_case_or_404
from intake.services import case_documents_add
from intake.views.common import (
    install_upload_handlers,
    limit_posts,
    link_not_valid,
    parse_upload_body,
    rate_limited,
)

from ..forms import BookingForm, CancelForm, RescheduleForm
from ..models import ConsultationType
from ..selectors import (
    bookable_types_for_case,
    bookings_for_case,
    case_booking_or_404,
    patient_zone,
)
from ..services import SlotTaken, booking_cancel, booking_create, booking_reschedule
from ..services.access_log import booking_view_record
from .slots_view import group_by_day, slot_week


def _case(request: HttpRequest, reference: str) -> Case | None:
    try:
        return patient_case_or_404(request=request, reference=reference)
    except Http404:
        return None


def _case_url(case: Case) -> str:
    return reverse("intake:case", kwargs={"reference": case.reference}) + "#consultations"


@never_cache
@require_http_methods(["GET"])
def book_choose(request: HttpRequest, reference: str) -> HttpResponse:
    """Which consultation: the concierge's first, then clinics the case is shared with."""
    case = _case(request, reference)
    if case is None:
        return link_not_valid(request)
    types = bookable_types_for_case(case=case)
    return render(
        request,
        "consultations/patient/choose.html",
        {
            "case": case,
            "concierge_types": [t for t in types if t.host.is_concierge],
            "clinic_types": [t for t in types if not t.host.is_concierge],
        },
    )


def _type_for_case(case: Case, type_id: int) -> ConsultationType | None:
    return next((t for t in bookable_types_for_case(case=case) if t.pk == type_id), None)


def _book_page(
    request: HttpRequest,
    case: Case,
    ctype: ConsultationType,
    form: BookingForm,
    *,
    status: int = 200,
    fresh: list[Any] | None = None,
) -> HttpResponse:
    zone = patient_zone(request, case)
    week = slot_week(ctype, viewer_zone=zone, start=request.GET.get("from"))
    context = {
        "case": case,
        "ctype": ctype,
        "form": form,
        "week": week,
        "viewer_zone": zone,
        "fresh_days": group_by_day(fresh, viewer_zone=zone, ctype=ctype) if fresh else None,
        "chosen": request.POST.get("start", ""),
    }
    with timezone.override(zone):
        return render(request, "consultations/patient/book.html", context, status=status)


@csrf_exempt  # checked inside, after the capped upload handler is installed
@never_cache
@limit_posts
@rate_limited
@require_http_methods(["GET", "POST"])
def book_slot(request: HttpRequest, reference: str, type_id: int) -> HttpResponse:
    """Pick a time (shown on the patient's clock with the host's beside it), add a question
    and optionally a document, and book."""
    if request.method == "POST":
        install_upload_handlers(request)
        upload_error = parse_upload_body(request)
        return csrf_protect(_book_post)(request, reference, type_id, upload_error)
    case = _case(request, reference)
    ctype = _type_for_case(case, type_id) if case is not None else None
    if case is None or ctype is None:
        return link_not_valid(request)
    return _book_page(request, case, ctype, BookingForm(documents=documents_for_case(case=case)))


def _book_post(
    request: HttpRequest, reference: str, type_id: int, upload_error: str | None
) -> HttpResponse:
    case = _case(request, reference)
    ctype = _type_for_case(case, type_id) if case is not None else None
    if case is None or ctype is None:
        return link_not_valid(request)
    documents = documents_for_case(case=case)
    form = BookingForm(request.POST, request.FILES, documents=documents)
    if upload_error:
        form.add_error("upload", upload_error)
    if not form.is_valid():
        return _book_page(request, case, ctype, form, status=400)
    document = form.cleaned_data["document"]
    upload = form.cleaned_data["upload"]
    if upload is not None:
        # Stored through the intake's own document service: same sanitising, same caps.
        outcome = case_documents_add(
            case=case,
            uploads=[(upload, form.cleaned_data["doc_type"] or "record")],
            channel=UploadChannel.CASE_PAGE,
            request=request,
        )
        if outcome.refused:
            form.add_error("upload", str(outcome.refused[0].reason))
            return _book_page(request, case, ctype, form, status=400)
        document = outcome.stored[0]
    try:
        booking_create(
            case=case,
            consultation_type=ctype,
            start=form.cleaned_data["start"],
            acting_user=None,
            patient_time_zone=patient_zone(request, case),
            question=form.cleaned_data["question"],
            document=document,
            request=request,
        )
    except SlotTaken as taken:
        form.add_error(None, str(taken.message))
        return _book_page(request, case, ctype, form, status=409, fresh=taken.fresh)
    except DomainError as refused:
        form.add_error(None, str(refused.message))
        return _book_page(request, case, ctype, form, status=400)
    messages.success(
        request,
        _("Your consultation is booked. We e-mailed you the details and a calendar invite."),
    )
    return redirect(_case_url(case))


def booking_page(
    request: HttpRequest,
    *,
    case: Case,
    booking: Any,
    actions: dict[str, str],
    reschedule_form: RescheduleForm | None = None,
    cancel_form: CancelForm | None = None,
    status: int = 200,
    fresh: list[Any] | None = None,
) -> HttpResponse:
    """One booking with its reschedule and cancel forms (case page and e-mailed link alike)."""
    zone = patient_zone(request, case)
    ctype = booking.consultation_type
    ctype.host = booking.host
    week = (
        slot_week(
            ctype, viewer_zone=zone, start=request.GET.get("from"), ignore_booking_id=booking.pk
        )
        if booking.is_active
        else None
    )
    context = {
        "case": case,
        "booking": booking,
        "week": week,
        "viewer_zone": zone,
        "reschedule_form": reschedule_form or RescheduleForm(),
        "cancel_form": cancel_form or CancelForm(),
        "actions": actions,
        "fresh_days": group_by_day(fresh, viewer_zone=zone, ctype=ctype) if fresh else None,
        "events": booking.events.all(),
        # Inside the minimum notice the forms are not offered (the service refuses anyway).
        "can_change": booking.is_active and timezone.now() <= booking.change_deadline,
    }
    with timezone.override(zone):
        return render(request, "consultations/patient/booking.html", context, status=status)


def _case_actions(case: Case, pk: int) -> dict[str, str]:
    kwargs = {"reference": case.reference, "pk": pk}
    return {
        "reschedule": reverse("consultations:case_reschedule", kwargs=kwargs),
        "cancel": reverse("consultations:case_cancel", kwargs=kwargs),
        "self": reverse("consultations:case_booking", kwargs=kwargs),
        "back": _case_url(case),
    }


@never_cache
@require_http_methods(["GET"])
def case_booking(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case = _case(request, reference)
    if case is None:
        return link_not_valid(request)
    try:
        booking = case_booking_or_404(case=case, pk=pk)
    except Http404:
        return link_not_valid(request)
    booking_view_record(booking=booking, request=request, via="case_page")
    return booking_page(request, case=case, booking=booking, actions=_case_actions(case, pk))


def change_booking(
    request: HttpRequest,
    *,
    case: Case,
    booking: Any,
    action: str,
    actions: dict[str, str],
    done_url: str,
) -> HttpResponse:
    """Reschedule or cancel from a posted form; the patient is the actor (no login)."""
    if action == "reschedule":
        form = RescheduleForm(request.POST)
        if not form.is_valid():
            return booking_page(
                request,
                case=case,
                booking=booking,
                actions=actions,
                reschedule_form=form,
                status=400,
            )
        try:
            booking_reschedule(
                booking=booking,
                start=form.cleaned_data["start"],
                reason=form.cleaned_data["reason"],
                acting_user=None,
                request=request,
            )
        except SlotTaken as taken:
            form.add_error(None, str(taken.message))
            return booking_page(
                request,
                case=case,
                booking=booking,
                actions=actions,
                reschedule_form=form,
                status=409,
                fresh=taken.fresh,
            )
        except DomainError as refused:
            form.add_error(None, str(refused.message))
            return booking_page(
                request,
                case=case,
                booking=booking,
                actions=actions,
                reschedule_form=form,
                status=400,
            )
        messages.success(
            request,
            _("Your consultation has a new time. We e-mailed you an updated calendar invite."),
        )
        return redirect(done_url)
    cancel = CancelForm(request.POST)
    if not cancel.is_valid():
        return booking_page(
            request, case=case, booking=booking, actions=actions, cancel_form=cancel, status=400
        )
    try:
        booking_cancel(
            booking=booking, reason=cancel.cleaned_data["reason"], acting_user=None, request=request
        )
    except DomainError as refused:
        cancel.add_error(None, str(refused.message))
        return booking_page(
            request, case=case, booking=booking, actions=actions, cancel_form=cancel, status=400
        )
    messages.success(request, _("Your consultation is cancelled."))
    return redirect(done_url)


@never_cache
@limit_posts
@rate_limited
@require_POST
def case_reschedule(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    return _case_change(request, reference, pk, "reschedule")


@never_cache
@limit_posts
@rate_limited
@require_POST
def case_cancel(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    return _case_change(request, reference, pk, "cancel")


def _case_change(request: HttpRequest, reference: str, pk: int, action: str) -> HttpResponse:
    case = _case(request, reference)
    if case is None:
        return link_not_valid(request)
    try:
        booking = case_booking_or_404(case=case, pk=pk)
    except Http404:
        return link_not_valid(request)
    actions = _case_actions(case, pk)
    return change_booking(
        request,
        case=case,
        booking=booking,
        action=action,
        actions=actions,
        done_url=actions["back"],
    )


def case_panel_context(request: HttpRequest, case: Case) -> dict[str, Any]:
    """The consultations panel on the case page (``intake.case_panels``): both clocks and links."""
    from ..presenters import two_clocks

    zone = patient_zone(request, case)
    rows: list[dict[str, Any]] = []
    for booking in bookings_for_case(case=case):
        rows.append(
            {
                "booking": booking,
                "when": two_clocks(booking.start_at, viewer_zone=zone, host=booking.host),
                "url": reverse(
                    "consultations:case_booking",
                    kwargs={"reference": case.reference, "pk": booking.pk},
                ),
                "upcoming": booking.is_active and booking.start_at > timezone.now(),
            }
        )
    has_concierge = any(
        b.host.is_concierge and b.status != "cancelled" for b in (r["booking"] for r in rows)
    )
    return {
        "rows": rows,
        "book_url": reverse("consultations:book", kwargs={"reference": case.reference}),
        "has_concierge": has_concierge,
    }
