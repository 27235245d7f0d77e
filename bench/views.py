"""Baselines for the bench: views that do the least a real view must do.

``bare`` answers through the full middleware stack and nothing else. ``case_queue_work``
does the admin case list's work (the changelist: filters, search, count, the page's rows)
and answers JSON, to tell the queue's queries from the page drawn around them. ``bare_upload``
streams a multipart upload to disk (Django's parser and upload handlers, as the
intake's upload does) and deletes it. ``month_of_slots`` runs the one slot function
(``consultations.slots.slot_grid``) over thirty days for one consultation type.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from consultations.models import ConsultationType
from consultations.slots import slot_grid
from core.uploads import CappedUploadHandler
from intake.models import Case

MONTH = timedelta(days=30)


@require_GET
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


@require_GET
def case_queue_work(request: HttpRequest) -> JsonResponse:
    # The admin's own ChangeList for the case admin, as the list page builds it (it runs
    # the page's queries), with none of the page: no columns, templates or menus.
    model_admin = admin.site.get_model_admin(Case)
    if not model_admin.has_view_permission(request):
        raise Http404
    changelist = model_admin.get_changelist_instance(request)
    rows = [case.reference for case in changelist.result_list]
    return JsonResponse({"count": changelist.result_count, "rows": rows})


@csrf_exempt
@require_POST
def bare_upload(request: HttpRequest) -> JsonResponse:
    # The same streaming handler as the intake (64 KB chunks to a temporary file).
    request.upload_handlers = [CappedUploadHandler(request)]
    sizes = []
    for uploaded in request.FILES.getlist("files"):
        sizes.append(uploaded.size)
        uploaded.close()  # the temporary file goes with it
    return JsonResponse({"ok": bool(sizes), "sizes": sizes})


@require_GET
def month_of_slots(request: HttpRequest, type_id: int) -> JsonResponse:
    ctype = get_object_or_404(ConsultationType.objects.select_related("host"), pk=type_id)
    start = timezone.now()
    slots = slot_grid(consultation_type=ctype, window_start=start, window_end=start + MONTH)
    free = sum(1 for slot in slots if slot.is_free)
    return JsonResponse({"starts": len(slots), "free": free})
