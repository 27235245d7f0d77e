"""Patient reviews: publish once the treatment is confirmed; remove only for cause."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from ..models import ModerationReason, Review
from ..services import review_moderate, review_verify_treatment
from .base import ConciergeAdminMixin, acting, run_each


@admin.register(Review)
class ReviewAdmin(ConciergeAdminMixin, SimpleHistoryAdmin):
    """No field is editable: staff verify, or remove for abuse / PHI / non-patient, by action."""

    list_display = (
        "clinic",
        "rating",
        "author_display_name",
        "status",
        "created_at",
        "treatment_verified_at",
        "moderation_reason",
        "has_reply",
    )
    list_filter = ("status", "rating", "moderation_reason")
    list_select_related = ("clinic",)
    search_fields = ("clinic__name", "author_display_name")
    readonly_fields = (
        "clinic",
        "author",
        "author_display_name",
        "rating",
        "body",
        "treatment_ref",
        "treatment_verified_at",
        "treatment_verified_by",
        "status",
        "moderation_reason",
        "moderation_note",
        "moderated_at",
        "moderated_by",
        "reply_body",
        "replied_at",
        "replied_by",
        "created_at",
    )
    fields = readonly_fields
    actions = ("verify_and_publish", "remove_abuse", "remove_phi", "remove_not_a_patient")

    @admin.display(description=_("reply"), boolean=True)
    def has_reply(self, obj: Review) -> bool:
        return bool(obj.reply_body)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the actions are the only way to change a review

    @admin.action(description=_("Treatment confirmed: publish"))
    def verify_and_publish(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        run_each(
            self,
            request,
            queryset,
            lambda r: review_verify_treatment(
                review=r, acting_user=acting(request), request=request
            ),
            str(_("%(count)d review(s) published.")),
        )

    def _remove(self, request: HttpRequest, queryset: QuerySet[Review], reason: str) -> None:
        run_each(
            self,
            request,
            queryset,
            lambda r: review_moderate(
                review=r, reason=reason, note="", acting_user=acting(request), request=request
            ),
            str(_("%(count)d review(s) removed.")),
        )

    @admin.action(description=_("Remove: abusive or threatening"))
    def remove_abuse(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        self._remove(request, queryset, ModerationReason.ABUSE)

    @admin.action(description=_("Remove: contains personal health information"))
    def remove_phi(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        self._remove(request, queryset, ModerationReason.PHI)

    @admin.action(description=_("Remove: author was not a patient here"))
    def remove_not_a_patient(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        self._remove(request, queryset, ModerationReason.NOT_A_PATIENT)
