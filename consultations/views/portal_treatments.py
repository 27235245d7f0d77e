"""The clinic portal's treatment plans and records (for cases shared with the clinic)."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from clinics.models import Clinic, Doctor, Offering
from clinics.views.portal import apply_errors, clinic_view, portal_render
from core.exceptions import DomainError
from core.models import User

from ..forms import HostRescheduleForm, PlanForm, RecordForm, local_instant
from ..models import ConsultationType, TreatmentPhase, TreatmentRecord
from ..selectors import portal_case_or_404, portal_host, portal_plans, portal_records
from ..services import (
    SlotTaken,
    treatment_phase_book,
    treatment_plan_create,
    treatment_record_complete,
    treatment_record_save,
)


def _user(request: HttpRequest) -> User:
    """The portal's views run behind ``login_required`` (``clinic_view``): a real user."""
    return cast(User, request.user)


@clinic_view
def treatments(request: HttpRequest, clinic: Clinic) -> HttpResponse:
    return portal_render(
        request,
        "consultations/portal/treatments.html",
        clinic,
        "treatments",
        plans=list(portal_plans(acting_user=_user(request), clinic=clinic)[:100]),
        records=list(portal_records(acting_user=_user(request), clinic=clinic)[:100]),
    )


def _offerings(clinic: Clinic) -> object:
    return Offering.objects.filter(clinic=clinic).exclude(status="withdrawn").order_by("title")


@clinic_view
@require_http_methods(["GET", "POST"])
def plan_new(request: HttpRequest, clinic: Clinic, reference: str) -> HttpResponse:
    """Plan a treatment for a shared case: offering, dates, stay (two phases when cultured)."""
    case = portal_case_or_404(acting_user=_user(request), clinic=clinic, reference=reference)
    form = PlanForm(request.POST or None, offerings=_offerings(clinic))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            treatment_plan_create(
                case=case,
                clinic=clinic,
                offering=data["offering"],
                arrival_date=data["arrival_date"],
                departure_date=data["departure_date"],
                treatment_date=data["treatment_date"],
                harvest_date=data["harvest_date"],
                minimum_stay_nights=data["minimum_stay_nights"],
                sedation=data["sedation"],
                instructions_days_before=data["instructions_days_before"],
                notes=data["notes"],
                acting_user=_user(request),
                request=request,
            )
        except (DomainError, ValidationError) as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("Plan saved. The patient gets the pre-treatment instructions before each visit."),
            )
            return redirect("consultations_portal:treatments", slug=clinic.slug)
    return portal_render(
        request, "consultations/portal/plan_form.html", clinic, "treatments", form=form, case=case
    )


@clinic_view
@require_http_methods(["GET", "POST"])
def phase_book(request: HttpRequest, clinic: Clinic, pk: int) -> HttpResponse:
    """Book a plan's visit (harvest or treatment) in the clinic's calendar."""
    plans = portal_plans(acting_user=_user(request), clinic=clinic)
    phase = TreatmentPhase.objects.filter(pk=pk, plan__in=plans).select_related("plan").first()
    host = portal_host(acting_user=_user(request), clinic=clinic)
    if phase is None:
        raise Http404
    types = ConsultationType.objects.filter(host=host, is_active=True) if host else []
    form = HostRescheduleForm(request.POST or None, initial={"day": phase.planned_date})
    form.fields["reason"].required = False
    form.fields["reason"].label = _("Note (optional)")
    chosen = request.POST.get("type")
    if request.method == "POST" and form.is_valid() and host is not None:
        ctype = next((t for t in types if str(t.pk) == chosen), None)
        if ctype is None:
            form.add_error(None, _("Choose a consultation type for the visit."))
        else:
            try:
                treatment_phase_book(
                    phase=phase,
                    consultation_type=ctype,
                    start=local_instant(
                        form.cleaned_data["day"], form.cleaned_data["at"], host.zone
                    ),
                    acting_user=_user(request),
                    request=request,
                )
            except (DomainError, SlotTaken) as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.success(request, _("Visit booked."))
                return redirect("consultations_portal:treatments", slug=clinic.slug)
    return portal_render(
        request,
        "consultations/portal/phase_book.html",
        clinic,
        "treatments",
        form=form,
        phase=phase,
        types=types,
        host=host,
    )


@clinic_view
@require_http_methods(["GET", "POST"])
def record_new(request: HttpRequest, clinic: Clinic, reference: str) -> HttpResponse:
    """Record a treatment: date, offering, cells, route and site, lot, treating doctor."""
    case = portal_case_or_404(acting_user=_user(request), clinic=clinic, reference=reference)
    plan = (
        portal_plans(acting_user=_user(request), clinic=clinic)
        .filter(case=case, status="planned")
        .first()
    )
    form = RecordForm(
        request.POST or None,
        offerings=_offerings(clinic),
        doctors=Doctor.objects.filter(clinic=clinic, is_active=True),
        initial={"offering": plan.offering_id if plan else None},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        record = TreatmentRecord(
            case=case,
            clinic=clinic,
            plan=plan,
            kind=data["kind"],
            offering=data["offering"],
            treated_on=data["treated_on"],
            cell_count_millions=data["cell_count_millions"],
            volume_ml=data["volume_ml"],
            route=data["route"],
            site=data["site"],
            cell_lot=data["cell_lot"],
            treating_doctor=data["treating_doctor"],
            notes=data["notes"],
        )
        try:
            treatment_record_save(record=record, acting_user=_user(request), request=request)
        except (DomainError, ValidationError) as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("Record saved as a draft. Complete it once the lot number and dose are final."),
            )
            return redirect("consultations_portal:treatments", slug=clinic.slug)
    return portal_render(
        request,
        "consultations/portal/record_form.html",
        clinic,
        "treatments",
        form=form,
        case=case,
        plan=plan,
    )


@clinic_view
@require_POST
def record_complete(request: HttpRequest, clinic: Clinic, pk: int) -> HttpResponse:
    record = portal_records(acting_user=_user(request), clinic=clinic).filter(pk=pk).first()
    if record is None:
        raise Http404
    try:
        treatment_record_complete(record=record, acting_user=_user(request), request=request)
    except (DomainError, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("Treatment recorded as completed. Follow-ups start from it."))
    return redirect("consultations_portal:treatments", slug=clinic.slug)
