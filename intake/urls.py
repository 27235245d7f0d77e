"""Public intake wizard and the patient's magic-link case pages (mounted at /intake/)."""

from __future__ import annotations

from django.urls import path

from .views import case_page, documents, links, records, rights, wizard

app_name = "intake"

urlpatterns = [
    path("", wizard.start, name="start"),
    # Before the generic step: the records step reads its own (multipart) body.
    path("step/records/", records.records_step, name="records_step"),
    path("step/<slug:step>/", wizard.step, name="step"),
    path("step/records/upload/", documents.wizard_upload, name="wizard_upload"),
    path(
        "step/records/documents/<int:document_id>/",
        documents.wizard_document,
        name="wizard_document",
    ),
    path(
        "step/records/documents/<int:document_id>/remove/",
        documents.wizard_document_remove,
        name="wizard_document_remove",
    ),
    path("email-me-a-link/", wizard.email_resume_link, name="email_resume_link"),
    path("start-over/", wizard.start_over, name="start_over"),
    path("done/", wizard.done, name="done"),
    path("resume/<str:token>/", links.resume_link, name="resume_link"),
    path("c/<str:token>/", links.case_link, name="case_link"),
    path("lost-link/", links.request_link, name="request_link"),
    path("case/<str:reference>/", case_page.case_page, name="case"),
    path("case/<str:reference>/upload/", documents.case_upload, name="case_upload"),
    path(
        "case/<str:reference>/documents/<int:document_id>/",
        documents.case_document,
        name="case_document",
    ),
    path("case/<str:reference>/share/", case_page.case_share, name="case_share"),
    path("case/<str:reference>/message/", case_page.case_message, name="case_message"),
    path("case/<str:reference>/withdraw/", case_page.case_withdraw, name="case_withdraw"),
    path("case/<str:reference>/my-data/", rights.case_export_request, name="case_export"),
    path(
        "case/<str:reference>/my-data/<str:token>/",
        rights.case_export_download,
        name="case_export_download",
    ),
    path("case/<str:reference>/erasure/", rights.case_erasure_request, name="case_erasure"),
]
