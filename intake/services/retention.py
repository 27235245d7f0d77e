"""Data retention: abandoned drafts and dead magic links are deleted, not kept forever.

A draft holds a patient's health answers and uploaded files before they chose
to send them, so it is kept only while the patient is still working on it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.core.files.storage import Storage
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from core.audit import audit_event_record
from core.models import User

from ..models import (
    AccessToken,
    Case,
    CaseDocument,
    CaseStatus,
    ClinicShare,
    Patient,
    PreparedDownload,
    PrivacyConsent,
    Proposal,
    StudyArchive,
)

logger = logging.getLogger(__name__)

D = TypeVar("D", bound=PreparedDownload)

# A dead link is kept this long after it expired or was revoked, so staff can
# still see in the admin why a patient's link stopped working. Deleting it
# later changes nothing for the patient: an unknown token and an expired one
# get the same "link not valid" page (access_token_lookup).
ACCESS_TOKEN_GRACE = timedelta(days=30)


def _idle_drafts(*, cutoff: datetime) -> Q:
    """Drafts with no sign of the patient since ``cutoff``.

    Last activity is the latest of:
    - ``Case.updated_at``: every wizard save and the consent step save the case
      (patient "about you" answers are saved together with it);
    - ``CaseDocument.uploaded_at``: an upload adds rows but does not save the case;
    - ``AccessToken.last_used_at``: opening a "continue later" link is a return
      even if nothing was saved yet.
    ``Patient.updated_at`` is not used: for a draft it moves only with the case,
    and a patient with another case may be edited for that case.
    """
    recent_upload = CaseDocument.objects.filter(case=OuterRef("pk"), uploaded_at__gte=cutoff)
    recent_link_use = AccessToken.objects.filter(case=OuterRef("pk"), last_used_at__gte=cutoff)
    return (
        Q(status=CaseStatus.DRAFT, submitted_at__isnull=True, updated_at__lt=cutoff)
        & ~Exists(recent_upload)
        & ~Exists(recent_link_use)
    )


def _delete_files(files: list[tuple[Storage, str]]) -> None:
    # Runs after commit: a failure here leaves an orphan file (logged by name,
    # which is a random server name), never a row pointing at a missing file.
    for storage, name in files:
        try:
            storage.delete(name)
        except OSError:
            logger.exception("retention: could not delete private file %s", name)


def prepared_downloads_delete(expired: QuerySet[D]) -> tuple[list[int], int]:
    """Delete these prepared downloads now and their files after commit: (ids, files).

    Rows a build holds locked are skipped (the next sweep gets them). Runs inside
    the caller's transaction, which writes the audit row.
    """
    rows = list(expired.select_for_update(skip_locked=True).only("pk", "file"))
    files = [(d.file.storage, d.file.name) for d in rows if d.file.name]
    ids = [d.pk for d in rows]
    expired.model._default_manager.filter(pk__in=ids).delete()
    transaction.on_commit(lambda: _delete_files(files))
    return ids, len(files)


@transaction.atomic(durable=True)
def drafts_purge(*, now: datetime | None = None, acting_user: User | None = None) -> int:
    """Delete drafts idle for ``INTAKE_DRAFT_RETENTION_DAYS``; returns how many.

    Goes with each draft: its documents (rows now, files after commit), links,
    consents, messages, any share/proposal rows, the history rows that copy its
    answers, and the patient when they have no other case. A case that was ever
    submitted is never selected. Writes one audit row per run, counts only.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.INTAKE_DRAFT_RETENTION_DAYS)
    # Lock the drafts we delete; one being saved or uploaded to right now is
    # locked by that request and skipped (it is not idle anyway).
    case_ids = list(
        Case.objects.filter(_idle_drafts(cutoff=cutoff))
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    counts = {"cases": 0, "documents": 0, "bytes": 0, "links": 0, "consents": 0, "patients": 0}
    if case_ids:
        documents = CaseDocument.objects.filter(case_id__in=case_ids)
        files = [(d.file.storage, d.file.name) for d in documents.only("file") if d.file.name]
        counts["documents"] = len(files)
        counts["bytes"] = sum(documents.values_list("size", flat=True))
        counts["links"] = AccessToken.objects.filter(case_id__in=case_ids).count()
        counts["consents"] = PrivacyConsent.objects.filter(case_id__in=case_ids).count()
        patient_ids = set(Case.objects.filter(pk__in=case_ids).values_list("patient_id", flat=True))

        _total, deleted = Case.objects.filter(pk__in=case_ids).delete()
        counts["cases"] = deleted.get(Case._meta.label, 0)
        orphans = list(
            Patient.objects.filter(pk__in=patient_ids)
            .exclude(cases__isnull=False)
            .values_list("pk", flat=True)
        )
        _total, deleted = Patient.objects.filter(pk__in=orphans).delete()
        counts["patients"] = deleted.get(Patient._meta.label, 0)

        # simple_history keeps every saved version (and writes one more on
        # delete): those copies hold the same answers, so they go too.
        Case.history.model.objects.filter(id__in=case_ids).delete()  # type: ignore[attr-defined]
        Patient.history.model.objects.filter(id__in=orphans).delete()  # type: ignore[attr-defined]
        ClinicShare.history.model.objects.filter(case_id__in=case_ids).delete()  # type: ignore[attr-defined]
        Proposal.history.model.objects.filter(case_id__in=case_ids).delete()  # type: ignore[attr-defined]

        transaction.on_commit(lambda: _delete_files(files))

    audit_event_record(
        action="intake.drafts_purged",
        acting_user=acting_user,
        data={
            **counts,
            "case_ids": case_ids,
            "retention_days": settings.INTAKE_DRAFT_RETENTION_DAYS,
            "cutoff": cutoff.isoformat(),
        },
    )
    return counts["cases"]


@transaction.atomic(durable=True)
def access_tokens_purge(*, now: datetime | None = None) -> int:
    """Delete links that expired or were revoked over 30 days ago; returns how many."""
    now = now or timezone.now()
    cutoff = now - ACCESS_TOKEN_GRACE
    _total, deleted = AccessToken.objects.filter(
        Q(expires_at__lt=cutoff) | Q(revoked_at__lt=cutoff)
    ).delete()
    count = deleted.get(AccessToken._meta.label, 0)
    audit_event_record(
        action="intake.links_purged",
        acting_user=None,
        data={"count": count, "cutoff": cutoff.isoformat()},
    )
    return count


@transaction.atomic(durable=True)
def study_archives_purge(*, now: datetime | None = None) -> int:
    """Delete clinics' imaging zips past their expiry (rows now, files after commit).

    A build still running when its archive expires finds its row gone and
    removes its own file. Audit ``intake.study_archives_purged`` (count and ids).
    """
    now = now or timezone.now()
    ids, files = prepared_downloads_delete(StudyArchive.objects.filter(expires_at__lte=now))
    audit_event_record(
        action="intake.study_archives_purged",
        acting_user=None,
        data={"count": len(ids), "archive_ids": ids, "files": files},
    )
    return len(ids)
