"""Clinics, their vetting checklist and team, in the admin."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.audit import audit_event_record

from ..models import (
    Clinic,
    ClinicMembership,
    ClinicStatus,
    Doctor,
    VettingDecision,
    VettingReview,
)
from ..public_cache import public_pages_changed
from ..services import (
    clinic_review_queue_add,
    clinic_review_queue_clear,
    clinic_status_change,
    vetting_review_decide,
    vetting_review_open,
)
from .base import ConciergeAdminMixin, ConciergeInlineMixin, acting, is_insider, run_each


class ReviewQueueFilter(admin.SimpleListFilter):
    title = _("staff review queue")
    parameter_name = "queue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("In the review queue")), ("no", _("Not queued"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Clinic]) -> QuerySet[Clinic]:
        if self.value() == "yes":
            return queryset.filter(review_requested_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(review_requested_at__isnull=True)
        return queryset


class BadgeFilter(admin.SimpleListFilter):
    title = _("verified badge")
    parameter_name = "badge"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Shown")), ("no", _("Not shown"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Clinic]) -> QuerySet[Clinic]:
        if self.value() in ("yes", "no"):
            # has_verified_badge is annotated by ClinicAdmin.get_queryset.
            return queryset.filter(has_verified_badge=self.value() == "yes")  # type: ignore[misc]
        return queryset


class VettingReviewInline(ConciergeInlineMixin, admin.StackedInline):
    """The checklist, ticked here; the decision is taken with the actions (a service)."""

    model = VettingReview
    extra = 0
    fields = (*VettingReview.CHECKLIST, "notes", "decision", "decided_at", "decided_by")
    readonly_fields = ("decision", "decided_at", "decided_by")
    ordering = ("-created_at",)
    verbose_name_plural = _("Vetting checklist (decide with the actions above the list)")

    def get_queryset(self, request: HttpRequest) -> QuerySet[VettingReview]:
        # Only the open review: a decided one is history (see the vetting reviews list),
        # and unticking a vetted checklist here would break its constraint.
        return super().get_queryset(request).filter(decision="").select_related("decided_by")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # "Open a vetting review" starts one, so the clinic's status follows

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj)


class DoctorInline(ConciergeInlineMixin, admin.TabularInline):
    model = Doctor
    extra = 0
    fields = (
        "full_name",
        "speciality",
        "licence_number",
        "licence_authority",
        "is_active",
        "verified_at",
        "verified_by",
    )
    readonly_fields = ("is_active", "verified_at", "verified_by")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Doctor]:
        return super().get_queryset(request).select_related("verified_by")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # added through doctor_propose (portal) so the licence is checked


class MembershipInline(ConciergeInlineMixin, admin.TabularInline):
    model = ClinicMembership
    extra = 0
    raw_id_fields = ("user",)
    verbose_name_plural = _("Clinic staff with portal access")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj)


@admin.register(Clinic)
class ClinicAdmin(ConciergeAdminMixin, SimpleHistoryAdmin):
    allow_add = True
    list_display = (
        "name",
        "country",
        "city",
        "status_display",
        "badge_display",
        "queue_display",
        "pending_changes",
        "live_offerings",
    )
    list_filter = ("status", ReviewQueueFilter, BadgeFilter, "country")
    search_fields = ("name", "city", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = (
        "status",
        "status_changed_at",
        "review_requested_at",
        "review_reason",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("name", "slug", "status", "status_changed_at")}),
        (_("Staff review queue"), {"fields": ("review_requested_at", "review_reason")}),
        (
            _("Where and who"),
            {
                "fields": (
                    "country",
                    "city",
                    "time_zone",
                    "languages",
                    "website",
                    "description",
                    "accreditation_notes",
                )
            },
        ),
        (
            _("Contact for the concierge (private)"),
            {"fields": ("contact_name", "contact_email", "contact_phone")},
        ),
    )
    inlines = (VettingReviewInline, DoctorInline, MembershipInline)
    actions = (
        "open_review",
        "decide_vetted",
        "decide_rejected",
        "decide_suspended",
        "suspend",
        "queue_for_review",
        "clear_review_queue",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Clinic]:
        return (
            super()
            .get_queryset(request)
            .with_badge()
            .annotate(  # type: ignore[attr-defined]
                n_pending=Count(
                    "change_requests", filter=Q(change_requests__status="pending"), distinct=True
                ),
                n_live=Count("offerings", filter=Q(offerings__status="live"), distinct=True),
            )
        )

    @admin.display(description=_("status"), ordering="status")
    def status_display(self, obj: Clinic) -> str:
        return str(obj.get_status_display())

    @admin.display(description=_("badge"), boolean=True)
    def badge_display(self, obj: Clinic) -> bool:
        return bool(getattr(obj, "has_verified_badge", False))

    @admin.display(description=_("queued"), ordering="review_requested_at")
    def queue_display(self, obj: Clinic) -> str:
        return obj.get_review_reason_display() if obj.review_requested_at else "-"

    @admin.display(description=_("pending changes"), ordering="n_pending")
    def pending_changes(self, obj: Clinic) -> int:
        return int(getattr(obj, "n_pending", 0))

    @admin.display(description=_("live offerings"), ordering="n_live")
    def live_offerings(self, obj: Clinic) -> int:
        return int(getattr(obj, "n_live", 0))

    def _latest_open(self, clinic: Clinic) -> VettingReview:
        review = clinic.vetting_reviews.filter(decision="").order_by("-created_at").first()
        if review is None:
            from core.exceptions import DomainError

            raise DomainError(_("Open a vetting review first and tick its checklist."))
        return review

    def _decide(self, request: HttpRequest, queryset: QuerySet[Clinic], decision: str) -> None:
        run_each(
            self,
            request,
            queryset,
            lambda c: vetting_review_decide(
                review=self._latest_open(c),
                decision=decision,
                acting_user=acting(request),
                request=request,
            ),
            str(_("Decision recorded for %(count)d clinic(s).")),
        )

    @admin.action(description=_("Open a vetting review"))
    def open_review(self, request: HttpRequest, queryset: QuerySet[Clinic]) -> None:
        run_each(
            self,
            request,
            queryset,
            lambda c: vetting_review_open(clinic=c, acting_user=acting(request), request=request),
            str(_("Vetting review open for %(count)d clinic(s).")),
        )

    @admin.action(description=_("Decide: vetted (publish)"))
    def decide_vetted(self, request: HttpRequest, queryset: QuerySet[Clinic]) -> None:
        self._decide(request, queryset, VettingDecision.VETTED)

    @admin.action(description=_("Decide: rejected"))
    def decide_rejected(self, request: HttpRequest, queryset: QuerySet[Clinic]) -> None:
        self._decide(request, queryset, VettingDecision.REJECTED)

    @admin.action(description=_("Decide: suspended"))
    def decide_suspended(self, request: HttpRequest, queryset: QuerySet[Clinic]) -> None:
        self._decide(request, queryset, VettingDecision.SUSPENDED)

    @admin.action(description=_("Suspend now (unpublish)"))
    def suspend(self, request: HttpRequest, queryset: QuerySet[Clinic]) -> None:
        run_each(
            self,
            request,
            queryset,
            lambda c: clinic_status_change(
                clinic=c,
                new_status=ClinicStatus.SUSPENDED,
                acting_user=acting(request),
                request=request,
            ),
            str(_("%(count)d clinic(s) suspended.")),
        )

    @admin.action(description=_("Put in the review queue"))
    def queue_for_review(self, request: HttpRequest, queryset: QuerySet[Clinic]) -> None:
        run_each(
            self,
            request,
            queryset,
            lambda c: clinic_review_queue_add(
                clinic=c, acting_user=acting(request), request=request
            ),
            str(_("%(count)d clinic(s) checked into the review queue.")),
        )

    @admin.action(description=_("Take out of the review queue"))
    def clear_review_queue(self, request: HttpRequest, queryset: QuerySet[Clinic]) -> None:
        run_each(
            self,
            request,
            queryset,
            lambda c: clinic_review_queue_clear(
                clinic=c, acting_user=acting(request), request=request
            ),
            str(_("%(count)d clinic(s) taken out of the review queue.")),
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Staff who belong to the clinic see it but do not edit its vetted facts or access.
        return super().has_change_permission(request, obj) and not (
            obj is not None and is_insider(request, obj.pk)
        )

    def save_model(self, request: HttpRequest, obj: Clinic, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        public_pages_changed()  # the directory and profile show the clinic's facts
        # A staff edit of vetted facts or private contacts is a state change: audited
        # (field names only), like every service write.
        audit_event_record(
            action="clinics.clinic.staff_edited" if change else "clinics.clinic.created",
            acting_user=acting(request),
            target=obj,
            request=request,
            data={"fields": sorted(form.changed_data)},
        )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        instances = formset.save(commit=False)
        changed = {id(o): sorted(f) for o, f in getattr(formset, "changed_objects", [])}
        for instance in instances:
            created = instance.pk is None
            if isinstance(instance, VettingReview) and instance.reviewer_id is None:
                instance.reviewer = acting(request)
            instance.full_clean()
            instance.save()
            self._audit_inline(
                request,
                form.instance,
                instance,
                "added" if created else "edited",
                changed.get(id(instance), []),
            )
        for obj in formset.deleted_objects:
            self._audit_inline(request, form.instance, obj, "removed", [])
            obj.delete()
        formset.save_m2m()
        public_pages_changed()  # the published team is an inline here

    def _audit_inline(
        self, request: HttpRequest, clinic: Clinic, obj: Any, verb: str, fields: list[str]
    ) -> None:
        """Portal access granted or withdrawn, a doctor's licence or a checklist edited."""
        data: dict[str, Any] = {"clinic": clinic.pk, "fields": fields}
        if isinstance(obj, ClinicMembership):
            data["user"] = obj.user_id
        audit_event_record(
            action=f"clinics.{obj._meta.model_name}.staff_{verb}",
            acting_user=acting(request),
            target=obj,
            request=request,
            data=data,
        )


@admin.register(VettingReview)
class VettingReviewAdmin(ConciergeAdminMixin, SimpleHistoryAdmin):
    list_display = (
        "clinic",
        "created_at",
        "reviewer",
        "checklist_display",
        "decision",
        "decided_at",
        "decided_by",
    )
    list_filter = ("decision",)
    list_select_related = ("clinic", "reviewer", "decided_by")
    search_fields = ("clinic__name",)
    readonly_fields = ("clinic", "reviewer", "decision", "decided_at", "decided_by")
    fields = (
        "clinic",
        "reviewer",
        *VettingReview.CHECKLIST,
        "notes",
        "decision",
        "decided_at",
        "decided_by",
    )
    actions = ("decide_vetted", "decide_rejected")

    @admin.display(description=_("checklist"))
    def checklist_display(self, obj: VettingReview) -> str:
        done = sum(bool(getattr(obj, n)) for n in VettingReview.CHECKLIST)
        return f"{done}/{len(VettingReview.CHECKLIST)}"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.is_decided:
            return self.fields  # a decided review is history
        return self.readonly_fields

    @admin.action(description=_("Decide: vetted (publish)"))
    def decide_vetted(self, request: HttpRequest, queryset: QuerySet[VettingReview]) -> None:
        run_each(
            self,
            request,
            queryset,
            lambda r: vetting_review_decide(
                review=r,
                decision=VettingDecision.VETTED,
                acting_user=acting(request),
                request=request,
            ),
            str(_("%(count)d review(s) decided.")),
        )

    @admin.action(description=_("Decide: rejected"))
    def decide_rejected(self, request: HttpRequest, queryset: QuerySet[VettingReview]) -> None:
        run_each(
            self,
            request,
            queryset,
            lambda r: vetting_review_decide(
                review=r,
                decision=VettingDecision.REJECTED,
                acting_user=acting(request),
                request=request,
            ),
            str(_("%(count)d review(s) decided.")),
        )
