"""What goes into a patient's export: the records of every source, their history, the trail.

``patient_records`` asks every registered source (``intake.patient_data``) for
the patient's rows, adds the simple-history versions of those rows, the audit
rows about them (ids and actions only: who looked, never what they saw) and
the e-mails the outbox sent about them (kinds and dates, no addresses).
``write_export_zip`` writes ``data.json``, a printable ``index.html`` in the
patient's language and the stored files, copying each in 1 MiB chunks.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import zipfile
import zoneinfo
from dataclasses import dataclass, field
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.models import AuditEvent, Notification

from ..models import Case, DataExport, Patient
from ..patient_data import ExportFile, Row, Rows, model_label, patient_data_sources

CHUNK = 1024 * 1024
FORMAT = "stemcell-concierge.patient-export/1"
TRAIL_LABELS = (model_label(AuditEvent), model_label(Notification))


class ExportEncoder(DjangoJSONEncoder):
    """Dates, decimals and UUIDs as Django writes them; phone numbers, zones and
    countries (in history rows, read raw) as their text."""

    def default(self, o: Any) -> Any:
        try:
            return super().default(o)
        except TypeError:
            return str(o)


@dataclass
class ExportContents:
    records: Rows
    files: list[ExportFile]
    missing: list[str] = field(default_factory=list)

    @property
    def record_count(self) -> int:
        return sum(len(rows) for rows in self.records.values())


def historical_models() -> list[type[models.Model]]:
    """simple-history's models: each names the model it keeps versions of."""
    return [m for m in apps.get_models() if hasattr(m, "instance_type")]


def _pk_values(records: Rows, label: str) -> list[Any]:
    model = apps.get_model(label)
    key = model._meta.pk.attname
    return [row[key] for row in records.get(label, []) if key in row]


def history_filter(
    model: type[models.Model], pks: list[Any], case_ids: list[int], patient_ids: list[int]
) -> Q | None:
    """Versions of these rows, and any version pointing at these cases or patients."""
    query = Q(id__in=pks) if pks else Q()
    for f in model._meta.concrete_fields:
        if not f.is_relation or f.name == "history_user":
            continue
        if f.related_model is Case and case_ids:
            query |= Q(**{f"{f.attname}__in": case_ids})
        elif f.related_model is Patient and patient_ids:
            query |= Q(**{f"{f.attname}__in": patient_ids})
    return query if query else None


def _add_history(records: Rows) -> None:
    case_ids = _pk_values(records, model_label(Case))
    patient_ids = _pk_values(records, model_label(Patient))
    for model in historical_models():
        base = model_label(model.instance_type)  # type: ignore[attr-defined]
        if base not in records:
            continue
        query = history_filter(model, _pk_values(records, base), case_ids, patient_ids)
        rows = (
            []
            if query is None
            else list(model._default_manager.filter(query).order_by("history_date").values())
        )
        records[model_label(model)] = rows


def object_refs(records: Rows) -> dict[ContentType, list[str]]:
    """Every exported row (history and trail aside) as content type -> ids."""
    refs: dict[ContentType, list[str]] = {}
    for label in records:
        model = apps.get_model(label)
        if hasattr(model, "instance_type") or label in TRAIL_LABELS:
            continue
        pks = [str(pk) for pk in _pk_values(records, label)]
        if pks:
            refs[ContentType.objects.get_for_model(model)] = pks
    return refs


def refs_query(refs: dict[ContentType, list[str]], type_field: str, id_field: str) -> Q:
    query = Q(pk__in=[])
    for content_type, ids in refs.items():
        query |= Q(**{type_field: content_type, f"{id_field}__in": ids})
    return query


def _actor_kind(event: AuditEvent, user_id: int | None) -> str:
    if event.actor_label == "patient" or (user_id and event.actor_id == user_id):
        return "patient"
    if event.actor_id is None:
        return "system"
    return "clinic" if event.action.startswith("portal.") else "concierge"


def _add_trail(records: Rows, patient: Patient) -> None:
    refs = object_refs(records)
    user_id = patient.user_id
    audit = refs_query(refs, "target_type", "target_id")
    if user_id:
        audit |= Q(actor_id=user_id)
    records[model_label(AuditEvent)] = [
        {
            "id": e.pk,
            "created_at": e.created_at,
            "action": e.action,
            "actor": _actor_kind(e, user_id),
            "actor_id": e.actor_id,
            "clinic_id": e.data.get("clinic") if isinstance(e.data, dict) else None,
            "target": f"{e.target_type.app_label}.{e.target_type.model}" if e.target_type else "",
            "target_id": e.target_id,
        }
        for e in AuditEvent.objects.filter(audit).select_related("target_type").order_by("pk")
    ]
    mail = refs_query(refs, "about_type", "about_id") | Q(recipient_address__iexact=patient.email)
    if user_id:
        mail |= Q(recipient_user_id=user_id)
    records[model_label(Notification)] = [
        {
            "id": n["id"],
            "kind": n["kind"],
            "status": n["status"],
            "created_at": n["created_at"],
            "due_at": n["due_at"],
            "sent_at": n["sent_at"],
            "about_id": n["about_id"],
        }
        for n in Notification.objects.filter(mail)
        .order_by("pk")
        .values("id", "kind", "status", "created_at", "due_at", "sent_at", "about_id")
    ]


def patient_records(patient: Patient) -> ExportContents:
    """Every record and file we hold about ``patient``, from every registered source."""
    records: Rows = {}
    files: list[ExportFile] = []
    for source in patient_data_sources():
        for label, rows in source.export(patient).items():
            records.setdefault(label, []).extend(rows)
        files.extend(source.files(patient))
    _add_history(records)
    _add_trail(records, patient)
    return ExportContents(records=records, files=files)


# --- index.html ----------------------------------------------------------------------------
def _display(f: models.Field[Any, Any] | None, value: Any, zone: dt.tzinfo) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "-"
    if f is not None and f.flatchoices and not isinstance(value, (list, dict)):
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dt.datetime):
        return date_format(timezone.localtime(value, zone), "DATETIME_FORMAT")
    if isinstance(value, dt.date):
        return date_format(value, "DATE_FORMAT")
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, cls=ExportEncoder)
    return str(value)


def _trail_labels() -> dict[str, str]:
    """Names for the trail's columns that are not model fields (in the active language)."""
    return {
        "actor": _("by"),
        "clinic_id": _("clinic number"),
        "target": _("record"),
        "about_id": _("about record number"),
    }


def _actors() -> dict[str, str]:
    return {
        "patient": _("you"),
        "concierge": _("our concierge team"),
        "clinic": _("a clinic"),
        "system": _("our system"),
    }


def _table(label: str, rows: list[Row], zone: dt.tzinfo) -> dict[str, Any]:
    model = apps.get_model(label)
    by_name = {f.attname: f for f in model._meta.concrete_fields}
    extra = _trail_labels()
    actors = _actors()

    def cell(key: str, value: Any) -> tuple[str, str]:
        name = str(by_name[key].verbose_name) if key in by_name else extra.get(key, key)
        if key == "actor" and key not in by_name:
            return name, actors.get(str(value), str(value))
        return name, _display(by_name.get(key), value, zone)

    return {
        "title": str(model._meta.verbose_name_plural).capitalize(),
        "rows": [[cell(k, v) for k, v in row.items()] for row in rows],
    }


def render_index(patient: Patient, contents: ExportContents, generated_at: dt.datetime) -> str:
    """The printable summary, in the patient's language and zone."""
    zone = zoneinfo.ZoneInfo(str(patient.time_zone) or "UTC")
    language = patient.language or settings.LANGUAGE_CODE
    with translation.override(language):
        sections = []
        for source in patient_data_sources():
            tables = [
                _table(label, contents.records[label], zone)
                for label in source.models
                if contents.records.get(label)
            ]
            if tables:
                sections.append({"title": str(source.label), "tables": tables})
        trail = [
            _table(label, contents.records[label], zone)
            for label in TRAIL_LABELS
            if contents.records.get(label)
        ]
        return render_to_string(
            "intake/rights/export_index.html",
            {
                "patient": patient,
                "language": language,
                "rtl": translation.get_language_bidi(),
                "generated": date_format(timezone.localtime(generated_at, zone), "DATETIME_FORMAT"),
                "sections": sections,
                "trail": trail,
                "files": contents.files,
                "missing": contents.missing,
            },
        )


# --- the zip ---------------------------------------------------------------------------------
def write_export_zip(export: DataExport, out: IO[bytes]) -> ExportContents:
    """Write the whole export into ``out``; memory holds the records, never a file."""
    patient = export.patient
    contents = patient_records(patient)
    present = []
    for item in contents.files:
        if item.file.name and item.file.storage.exists(item.file.name):
            present.append(item)
        else:
            contents.missing.append(item.path)
    contents.files = present
    now = timezone.now()
    payload = {
        "format": FORMAT,
        "generated_at": now,
        "patient_id": patient.pk,
        "case_references": list(patient.cases.order_by("pk").values_list("reference", flat=True)),
        "records": contents.records,
        "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in contents.files],
        "files_missing": contents.missing,
    }
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        with zf.open("data.json", "w") as raw, io.TextIOWrapper(raw, encoding="utf-8") as text:
            json.dump(payload, text, cls=ExportEncoder, ensure_ascii=False, indent=1)
        zf.writestr("index.html", render_index(patient, contents, now))
        for item in contents.files:
            with (
                item.file.storage.open(str(item.file.name), "rb") as src,
                zf.open(item.path, "w", force_zip64=True) as dst,
            ):
                shutil.copyfileobj(src, dst, CHUNK)
    return contents
