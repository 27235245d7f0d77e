"""What staff do to a case from the admin: list actions, the case page's buttons, downloads.

The queue's actions and the change page's buttons (``triage_view``) share the
same helpers, each calling one service, so a status move, an assignment or a
proposal writes the same history and audit rows whichever way staff ask for it.
The document download lives here too: it is the other extra URL ``get_urls``
adds, and it must stay outside ``admin_view`` (see ``document_download_view``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.decorators import method_decorator
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from core.exceptions import DomainError
from core.models import User
from core.uploads import private_file_response

from ..matching import matching_propose
from ..models import Case, CaseStatus
from ..services.access_log import document_download_record
from ..services.staff import cases_assign, cases_transition
from ..staff_selectors import staff_document_or_404
from .base import is_concierge
from .pixels import pixels_clear_command

if TYPE_CHECKING:
    # For mypy, the mixin stands on CaseAdmin's own base, so its message_user, opts,
    # admin_site and super() calls check as they did on CaseAdmin; at run time it
    # stays a plain class and CaseAdmin's bases supply them.
    from simple_history.admin import SimpleHistoryAdmin as _CaseAdminBase
else:
    _CaseAdminBase = object

# Statuses staff may move a case to from the admin (a draft is the patient's).
TARGET_STATUSES: list[CaseStatus] = [s for s in CaseStatus if s != CaseStatus.DRAFT]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


class CaseCommandsMixin(_CaseAdminBase):
    """The case's actions and extra views; each change goes through a service."""

    # --- actions (each calls a service) --------------------------------------------
    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        if not is_concierge(request):
            return actions
        for status in TARGET_STATUSES:
            name = f"move_to_{status.value}"
            description = format_lazy(_("Move to “{}”"), status.label)
            actions[name] = (self._transition_action(status.value), name, description)
        return actions

    @staticmethod
    def _transition_action(to_status: str) -> Any:
        def action(
            modeladmin: CaseCommandsMixin, request: HttpRequest, queryset: QuerySet[Case]
        ) -> None:
            modeladmin.run_transition(request, list(queryset), to_status)

        action.__name__ = f"move_to_{to_status}"
        return action

    def run_transition(self, request: HttpRequest, cases: list[Case], to_status: str) -> bool:
        try:
            done = cases_transition(
                cases=cases, to_status=to_status, acting_user=_user(request), request=request
            )
        except DomainError as exc:
            self.message_user(request, str(exc.message), messages.ERROR)
            return False
        self.message_user(
            request,
            _("%(count)s case(s) moved to “%(status)s”: %(refs)s.")
            % {
                "count": len(done),
                "status": CaseStatus(to_status).label,
                "refs": ", ".join(c.reference for c in done),
            },
            messages.SUCCESS,
        )
        return True

    @admin.action(description=_("Assign to me"))
    def assign_to_me(self, request: HttpRequest, queryset: QuerySet[Case]) -> None:
        self._assign(request, list(queryset), _user(request))

    @admin.action(description=_("Unassign"))
    def unassign(self, request: HttpRequest, queryset: QuerySet[Case]) -> None:
        self._assign(request, list(queryset), None)

    def _assign(self, request: HttpRequest, cases: list[Case], owner: User | None) -> bool:
        try:
            done = cases_assign(
                cases=cases, owner=owner, acting_user=_user(request), request=request
            )
        except DomainError as exc:
            self.message_user(request, str(exc.message), messages.ERROR)
            return False
        if owner is None:
            text = _("%(count)s case(s) unassigned.") % {"count": len(done)}
        else:
            text = _("%(count)s case(s) assigned to you.") % {"count": len(done)}
        self.message_user(request, text, messages.SUCCESS)
        return True

    @admin.action(description=_("Propose clinics (new draft proposal)"))
    def propose_clinics(self, request: HttpRequest, queryset: QuerySet[Case]) -> Any:
        cases = list(queryset)
        if len(cases) != 1:
            self.message_user(request, _("Propose clinics for one case at a time."), messages.ERROR)
            return None
        return self._propose(request, cases[0])

    def _propose(self, request: HttpRequest, case: Case) -> HttpResponse | None:
        try:
            proposal = matching_propose(case=case, acting_user=_user(request), request=request)
        except DomainError as exc:
            self.message_user(request, str(exc.message), messages.ERROR)
            return None
        count = proposal.items.count()
        if count:
            self.message_user(
                request,
                _("Draft proposal with %(count)s clinic(s). Review, reorder, then send it.")
                % {"count": count},
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                _(
                    "No vetted clinic meets every requirement. Add clinics by hand or revisit "
                    "the case."
                ),
                messages.WARNING,
            )
        return HttpResponseRedirect(reverse("admin:intake_proposal_change", args=[proposal.pk]))

    # --- extra views: document download and the change page's buttons ------------------
    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/documents/<int:document_id>/download/",
                self.document_download_view,
                name="{}_{}_document".format(*info),
            ),
            path(
                "<path:object_id>/triage/",
                self.admin_site.admin_view(self.triage_view),
                name="{}_{}_triage".format(*info),
            ),
            *super().get_urls(),
        ]

    @method_decorator(never_cache)
    def document_download_view(
        self, request: HttpRequest, object_id: str, document_id: int
    ) -> HttpResponseBase:
        """Stream one document to concierge staff; 404 for everyone else (and logged)."""
        # Not wrapped in admin_view on purpose: anyone who is not concierge staff
        # gets a plain 404, never a login redirect that confirms the URL exists.
        document = staff_document_or_404(
            user=request.user,  # type: ignore[arg-type]
            case_id=object_id,
            document_id=document_id,
        )
        response = private_file_response(
            document.file,
            download_name=document.download_name,
            content_type=document.content_type,
        )
        # Logged once the file is open: a missing file is a 404, not a download.
        document_download_record(document=document, acting_user=_user(request), request=request)
        return response

    def triage_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The change page's buttons: assign to me, a status move, propose clinics (POST)."""
        if request.method != "POST":
            return HttpResponse(status=405)
        if not is_concierge(request):
            raise Http404
        case = get_object_or_404(Case, pk=object_id) if object_id.isdigit() else None
        if case is None:
            raise Http404
        command = request.POST.get("command", "")
        change_url = reverse("admin:intake_case_change", args=[case.pk])
        if command == "assign_to_me":
            self._assign(request, [case], _user(request))
        elif command == "transition":
            to_status = request.POST.get("to_status", "")
            if to_status not in [s.value for s in TARGET_STATUSES]:
                self.message_user(request, _("Unknown status."), messages.ERROR)
            else:
                self.run_transition(request, [case], to_status)
        elif command == "clear_pixels":
            pixels_clear_command(self, request, case)
        elif command == "propose":
            response = self._propose(request, case)
            if response is not None:
                return response
        else:
            self.message_user(request, _("Unknown command."), messages.ERROR)
        return HttpResponseRedirect(change_url)
