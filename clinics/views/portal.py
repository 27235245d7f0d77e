"""The clinic portal (/portal/): a clinic's own profile, offerings and team.

Every view resolves the clinic from the URL through ``selectors.portal_clinic``,
which is scoped to the acting user's memberships: another clinic's slug or id is
a 404 with nothing of it in the body. Forms never carry a clinic or object id;
the clinic always comes from the URL and the user, so a swapped hidden field has
nothing to swap. Edits go through ``clinic_content_update``: cosmetic text is
published at once, vetted facts become a change request for concierge staff.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import models
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import DomainError

from ..forms import ClinicProfileForm, DoctorForm, OfferingForm
from ..models import Clinic, Doctor, Offering, OfferingStatus
from ..portal_menu import registered_portal_sections
from ..selectors import (
    portal_change_requests,
    portal_clinic,
    portal_clinics,
    portal_dashboard_counts,
    portal_doctor,
    portal_doctors,
    portal_offering,
    portal_offerings,
    portal_pending_change,
)
from ..services import (
    ContentUpdateResult,
    change_request_diff,
    clinic_content_update,
    doctor_propose,
    doctor_remove,
    offering_create,
    offering_withdraw,
)

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponse])


def clinic_view(view: ViewFunc) -> ViewFunc:
    """Log in first (allauth), then load the clinic by slug within the user's memberships.

    Portal pages carry clinic-private data (contacts, pending changes): never cached.
    """

    @never_cache
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
        clinic = portal_clinic(acting_user=request.user, slug=slug)  # type: ignore[arg-type]
        return view(request, clinic, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


SECTIONS: tuple[tuple[str, str, Any], ...] = (
    ("home", "portal:clinic", gettext_lazy("Overview")),
    ("profile", "portal:profile", gettext_lazy("Profile")),
    ("offerings", "portal:offerings", gettext_lazy("Offerings")),
    ("team", "portal:team", gettext_lazy("Team")),
    ("credentials", "portal:credentials", gettext_lazy("Credentials")),
    ("changes", "portal:changes", gettext_lazy("Change requests")),
    ("reviews", "portal:reviews", gettext_lazy("Reviews")),
)


def portal_render(
    request: HttpRequest, template: str, clinic: Clinic, section: str, **context: Any
) -> HttpResponse:
    """Render a portal page with the clinic switcher and section navigation."""
    clinics = list(portal_clinics(acting_user=request.user))  # type: ignore[arg-type]
    sections = [
        (key, label, reverse(name, kwargs={"slug": clinic.slug})) for key, name, label in SECTIONS
    ] + [
        (s.key, s.label, reverse(s.url_name, kwargs={"slug": clinic.slug}))
        for s in registered_portal_sections()  # added by higher apps (clinics.portal_menu)
    ]
    return render(
        request,
        template,
        {
            "clinic": clinic,
            "my_clinics": clinics,
            "section": section,
            "portal_sections": sections,
            **context,
        },
    )


def apply_errors(form: BaseForm, exc: ValidationError | DomainError) -> None:
    """Show a service's refusal next to the field it concerns (or above the form)."""
    if isinstance(exc, DomainError):
        form.add_error(None, str(exc.message))
        return
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _labels(model: type[models.Model], names: list[str]) -> str:
    return ", ".join(
        str(capfirst(getattr(model._meta.get_field(n), "verbose_name", n))) for n in names
    )


def report_update(
    request: HttpRequest, model: type[models.Model], result: ContentUpdateResult
) -> None:
    """Tell the user what went live and what waits for our staff."""
    if result.applied:
        messages.success(
            request, _("Published now: %(fields)s.") % {"fields": _labels(model, result.applied)}
        )
    if result.change_request is not None:
        messages.info(
            request,
            _(
                "Sent to our staff for review: %(fields)s. The published profile keeps the current "
                "values until they approve."
            )
            % {"fields": _labels(model, sorted(result.change_request.changes))},
        )
    if not result.applied and result.change_request is None:
        messages.info(request, _("Nothing changed."))


def save_content(
    request: HttpRequest, form: BaseForm, target: models.Model
) -> ContentUpdateResult | None:
    """Send a valid form's values to the service; on refusal put the errors on the form."""
    try:
        result = clinic_content_update(
            target=target,
            changes=dict(form.cleaned_data),
            acting_user=request.user,  # type: ignore[arg-type]
            request=request,
        )
    except DomainError as exc:
        if exc.code != "no_change":
            apply_errors(form, exc)
            return None
        result = ContentUpdateResult(applied=[], change_request=None)
    except ValidationError as exc:
        apply_errors(form, exc)
        return None
    report_update(request, type(target), result)
    return result


def pending_context(request: HttpRequest, clinic: Clinic, target: models.Model) -> dict[str, Any]:
    pending = portal_pending_change(
        acting_user=request.user,  # type: ignore[arg-type]
        clinic=clinic,
        target=target,  # type: ignore[arg-type]
    )
    return {"pending": pending, "pending_diff": change_request_diff(pending) if pending else []}


# --- Home and clinic dashboard ------------------------------------------------------
@never_cache
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """One clinic: go straight to it. Several: pick one. None: staff to the admin, others 404."""
    clinics = list(portal_clinics(acting_user=request.user))  # type: ignore[arg-type]
    if not clinics:
        if request.user.is_staff:
            return redirect("admin:index")
        raise Http404
    if len(clinics) == 1:
        return redirect("portal:clinic", slug=clinics[0].slug)
    return render(request, "portal/pick_clinic.html", {"my_clinics": clinics})


@clinic_view
def clinic_home(request: HttpRequest, clinic: Clinic) -> HttpResponse:
    """The clinic's dashboard: what is published, what waits for staff, what expires."""
    pending = list(
        portal_change_requests(
            acting_user=request.user,  # type: ignore[arg-type]
            clinic=clinic,
            pending_only=True,
        ).prefetch_related("target")[:20]
    )
    return portal_render(
        request,
        "portal/clinic_home.html",
        clinic,
        "home",
        counts=portal_dashboard_counts(acting_user=request.user, clinic=clinic),  # type: ignore[arg-type]
        pending_requests=pending,
    )


# --- Profile -----------------------------------------------------------------------------
@clinic_view
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest, clinic: Clinic) -> HttpResponse:
    """Edit the clinic's profile. The form works on a copy; the service reads the real row."""
    form = ClinicProfileForm(request.POST or None, instance=copy.copy(clinic))
    if request.method == "POST" and form.is_valid() and save_content(request, form, clinic):
        return redirect("portal:profile", slug=clinic.slug)
    return portal_render(
        request,
        "portal/profile_form.html",
        clinic,
        "profile",
        form=form,
        vetted_fields=sorted(Clinic.VETTED_FACT_FIELDS),
        **pending_context(request, clinic, clinic),
    )


# --- Offerings -----------------------------------------------------------------------------
@clinic_view
def offering_list(request: HttpRequest, clinic: Clinic) -> HttpResponse:
    return portal_render(
        request,
        "portal/offering_list.html",
        clinic,
        "offerings",
        offerings=portal_offerings(acting_user=request.user, clinic=clinic),  # type: ignore[arg-type]
    )


@clinic_view
@require_http_methods(["GET", "POST"])
def offering_new(request: HttpRequest, clinic: Clinic) -> HttpResponse:
    """Propose a new offering; it is published once our staff approve it."""
    form = OfferingForm(request.POST or None, instance=Offering(clinic=clinic))
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "conditions"}
        try:
            offering, _cr = offering_create(
                clinic=clinic,
                data=data,
                conditions=form.cleaned_data["conditions"],
                acting_user=request.user,  # type: ignore[arg-type]
                request=request,
            )
        except (DomainError, ValidationError) as exc:
            apply_errors(form, exc)
        else:
            messages.info(
                request,
                _(
                    "“%(title)s” was sent to our staff. It appears on your public profile once "
                    "they approve it."
                )
                % {"title": offering.title},
            )
            return redirect("portal:offering", slug=clinic.slug, pk=offering.pk)
    return portal_render(
        request,
        "portal/offering_form.html",
        clinic,
        "offerings",
        form=form,
        offering=None,
        vetted_fields=sorted(Offering.VETTED_FACT_FIELDS),
    )


@clinic_view
@require_http_methods(["GET", "POST"])
def offering_edit(request: HttpRequest, clinic: Clinic, pk: int) -> HttpResponse:
    """Edit one offering: title and text live at once; cells, dose, route, prices via staff."""
    offering = portal_offering(acting_user=request.user, clinic=clinic, pk=pk)  # type: ignore[arg-type]
    form = OfferingForm(request.POST or None, instance=copy.copy(offering))
    if request.method == "POST" and form.is_valid() and save_content(request, form, offering):
        return redirect("portal:offering", slug=clinic.slug, pk=offering.pk)
    return portal_render(
        request,
        "portal/offering_form.html",
        clinic,
        "offerings",
        form=form,
        offering=offering,
        vetted_fields=sorted(Offering.VETTED_FACT_FIELDS),
        can_withdraw=offering.status != OfferingStatus.WITHDRAWN,
        **pending_context(request, clinic, offering),
    )


@clinic_view
@require_POST
def offering_withdraw_view(request: HttpRequest, clinic: Clinic, pk: int) -> HttpResponse:
    """Take an offering off the public profile at once."""
    offering = portal_offering(acting_user=request.user, clinic=clinic, pk=pk)  # type: ignore[arg-type]
    offering_withdraw(offering=offering, acting_user=request.user, request=request)  # type: ignore[arg-type]
    messages.success(
        request, _("“%(title)s” is no longer on your public profile.") % {"title": offering.title}
    )
    return redirect("portal:offerings", slug=clinic.slug)


# --- Team --------------------------------------------------------------------------------
@clinic_view
def team(request: HttpRequest, clinic: Clinic) -> HttpResponse:
    return portal_render(
        request,
        "portal/team.html",
        clinic,
        "team",
        doctors=portal_doctors(acting_user=request.user, clinic=clinic),  # type: ignore[arg-type]
    )


@clinic_view
@require_http_methods(["GET", "POST"])
def doctor_new(request: HttpRequest, clinic: Clinic) -> HttpResponse:
    """Propose a team member; staff check the licence before the profile shows them."""
    form = DoctorForm(request.POST or None, instance=Doctor(clinic=clinic))
    if request.method == "POST" and form.is_valid():
        try:
            doctor, _cr = doctor_propose(
                clinic=clinic,
                data=dict(form.cleaned_data),
                acting_user=request.user,  # type: ignore[arg-type]
                request=request,
            )
        except (DomainError, ValidationError) as exc:
            apply_errors(form, exc)
        else:
            messages.info(
                request,
                _(
                    "%(name)s was sent to our staff, who check the licence before the profile "
                    "shows them."
                )
                % {"name": doctor.full_name},
            )
            return redirect("portal:team", slug=clinic.slug)
    return portal_render(
        request,
        "portal/doctor_form.html",
        clinic,
        "team",
        form=form,
        doctor=None,
        vetted_fields=sorted(Doctor.VETTED_FACT_FIELDS),
    )


@clinic_view
@require_http_methods(["GET", "POST"])
def doctor_edit(request: HttpRequest, clinic: Clinic, pk: int) -> HttpResponse:
    doctor = portal_doctor(acting_user=request.user, clinic=clinic, pk=pk)  # type: ignore[arg-type]
    form = DoctorForm(request.POST or None, instance=copy.copy(doctor))
    if request.method == "POST" and form.is_valid() and save_content(request, form, doctor):
        return redirect("portal:doctor", slug=clinic.slug, pk=doctor.pk)
    return portal_render(
        request,
        "portal/doctor_form.html",
        clinic,
        "team",
        form=form,
        doctor=doctor,
        vetted_fields=sorted(Doctor.VETTED_FACT_FIELDS),
        **pending_context(request, clinic, doctor),
    )


@clinic_view
@require_POST
def doctor_remove_view(request: HttpRequest, clinic: Clinic, pk: int) -> HttpResponse:
    """Take a doctor off the published team at once."""
    doctor = portal_doctor(acting_user=request.user, clinic=clinic, pk=pk)  # type: ignore[arg-type]
    doctor_remove(doctor=doctor, acting_user=request.user, request=request)  # type: ignore[arg-type]
    messages.success(
        request, _("%(name)s is no longer on your published team.") % {"name": doctor.full_name}
    )
    return redirect("portal:team", slug=clinic.slug)
