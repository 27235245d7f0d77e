"""Plain-words views of a case for the patient: review answers, status, what we need."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from core.languages import language_name
from core.timezones import zone_label

from .models import (
    AlcoholUse,
    CancerHistory,
    Case,
    CaseStatus,
    ConditionDuration,
    ImmuneCompromise,
    SmokingStatus,
    TravelWindow,
)
from .models.patient import Sex
from .steps import STEPS
from .triage import Flag

Label = str | Promise


class PatientText(str):
    """The patient's own words (or file names): shown as written, marked with their language."""

    is_patient_text = True


def _own(value: str | None) -> str:
    return PatientText(value) if value else "-"


@dataclass
class ReviewSection:
    step: str
    title: Label
    rows: list[tuple[Label, str]] = field(default_factory=list)


def _yes_no(value: bool | None) -> str:
    if value is None:
        return str(_("Not answered"))
    return str(_("Yes")) if value else str(_("No"))


def _choice(enum: type, value: str) -> str:
    if not value:
        return str(_("Not answered"))
    try:
        return str(enum(value).label)
    except ValueError:
        return value


def review_sections(case: Case) -> list[ReviewSection]:
    """Every answer, as text; templates escape it."""
    p = case.patient
    titles = {s.name: s.title for s in STEPS}
    lang_names = dict(settings.LANGUAGES)
    about = ReviewSection(
        "about",
        titles["about"],
        [
            (_("Full name"), p.full_name),
            (_("Email"), p.email),
            (_("Phone"), str(p.phone) if p.phone else "-"),
            (_("Date of birth"), date_format(p.date_of_birth) if p.date_of_birth else "-"),
            (_("Sex"), _choice(Sex, p.sex)),
            (_("Country of residence"), str(countries.name(str(p.country))) if p.country else "-"),
            (_("Time zone"), zone_label(str(p.time_zone)) if p.time_zone else "-"),
            (_("Preferred language"), str(lang_names.get(p.language, p.language))),
            (
                _("Languages you speak"),
                ", ".join(language_name(code) for code in p.spoken_languages) or "-",
            ),
        ],
    )
    condition = ReviewSection(
        "condition",
        titles["condition"],
        [
            (_("Condition"), case.condition_label or "-"),
            (_("How long"), _choice(ConditionDuration, case.duration)),
            (_("Severity (0-10)"), "-" if case.severity is None else str(case.severity)),
            (_("Effect on daily life"), _own(case.functional_impact)),
            (_("Symptoms"), _own(case.symptoms)),
            (_("Goals"), _own(case.goals)),
            (_("Diagnosis confirmed by a doctor"), _yes_no(case.diagnosis_confirmed)),
        ],
    )
    history = ReviewSection(
        "history",
        titles["history"],
        [
            (_("Other conditions"), _own(case.other_conditions)),
            (_("Current medications"), _own(case.current_medications)),
            (_("NSAIDs"), _with_details(case.takes_nsaids, case.nsaids_details)),
            (
                _("Immunosuppressants"),
                _with_details(case.takes_immunosuppressants, case.immunosuppressants_details),
            ),
            (
                _("Anticoagulants"),
                _with_details(case.takes_anticoagulants, case.anticoagulants_details),
            ),
            (_("Allergies"), _own(case.allergies)),
            (_("Operations"), _own(case.surgeries)),
            (_("Previous stem-cell or PRP treatment"), _yes_no(case.had_cell_therapy)),
        ],
    )
    if case.had_cell_therapy:
        history.rows += [
            (_("Where"), _own(case.cell_therapy_where)),
            (_("When"), _own(case.cell_therapy_when)),
            (_("Result"), _own(case.cell_therapy_result)),
            (_("Bad reaction"), _yes_no(case.cell_therapy_adverse)),
        ]
    cancer = _choice(CancerHistory, case.cancer)
    if case.cancer in {CancerHistory.PAST, CancerHistory.CURRENT}:
        cancer = f"{cancer}: {case.cancer_which} ({case.cancer_year or '-'})"
    screening = ReviewSection(
        "screening",
        titles["screening"],
        [
            (
                _("Infection now"),
                _with_details(case.active_infection, case.active_infection_details),
            ),
            (_("Cancer"), cancer),
            (
                _("Weakened immune system"),
                _choice(ImmuneCompromise, case.immune_compromise)
                + (f": {case.immune_compromise_details}" if case.immune_compromise_details else ""),
            ),
            (_("Pregnant or breastfeeding"), _yes_no(case.pregnant)),
            (
                _("Bleeding disorder"),
                _with_details(case.bleeding_disorder, case.bleeding_disorder_details),
            ),
            (_("Smoking"), _choice(SmokingStatus, case.smoking)),
            (_("Alcohol"), _choice(AlcoholUse, case.alcohol)),
        ],
    )
    docs = list(case.documents.all())
    records = ReviewSection(
        "records",
        titles["records"],
        [(d.get_doc_type_display(), _own(d.original_name or str(d.kind))) for d in docs],
    )
    if not docs:
        records.rows.append((_("Documents"), str(_("None uploaded yet"))))
    if case.records_later:
        records.rows.append((_("Later"), str(_("I will send my records and imaging later"))))
    budget = _budget(case.budget_min_usd, case.budget_max_usd)
    where = (
        str(_("Any country"))
        if case.any_country
        else ", ".join(str(countries.name(c)) for c in case.countries_accepted)
    )
    plans = ReviewSection(
        "plans",
        titles["plans"],
        [
            (_("Budget"), budget),
            (_("Countries"), where or "-"),
            (_("When"), _choice(TravelWindow, case.travel_window)),
            (_("Someone travels with you"), _yes_no(case.travel_companion)),
            (_("Help with visas or travel"), _yes_no(case.needs_travel_help)),
        ],
    )
    if case.elsewhere_clinic_name:
        plans.rows.append(
            (
                _("Clinic to check"),
                " ".join(filter(None, [case.elsewhere_clinic_name, case.elsewhere_clinic_website])),
            )
        )
    return [about, condition, history, screening, records, plans]


def _budget(low: int | None, high: int | None) -> str:
    if low is None and high is None:
        return str(_("Not sure yet"))
    if high is None:
        return str(_("From USD %(low)s")) % {"low": f"{low:,}"}
    return f"USD {low or 0:,} - {high:,}"


def _with_details(value: bool | None, details: str) -> str:
    text = _yes_no(value)
    return f"{text}: {details}" if value and details else text


STATUS_WORDS: dict[str, tuple[Label, Label]] = {
    CaseStatus.NEW: (
        _("We have your case"),
        _("A member of our team will read it within two working days."),
    ),
    CaseStatus.IN_REVIEW: (
        _("We are reviewing your case"),
        _("Our team is reading your answers and documents."),
    ),
    CaseStatus.CLINICIAN_REVIEW: (
        _("A doctor is reviewing your case"),
        _(
            "Some of your answers need a doctor's view before we look at clinics. "
            "We will write to you."
        ),
    ),
    CaseStatus.READY_FOR_CLINIC: (
        _("We are looking for clinics for you"),
        _(
            "Your case is complete. We are choosing clinics that fit your condition, "
            "countries and budget."
        ),
    ),
    CaseStatus.MATCHED: (
        _("Your clinic proposals are ready"),
        _("See the clinics we propose below and choose which ones may see your case."),
    ),
    # Closed and withdrawn cases show only "Your data" (views/case_page.py).
    CaseStatus.CLOSED: (
        _("Your case is closed"),
        _(
            "We have finished our work on this case: nothing more can be added, shared or "
            "booked here, and clinics can no longer see it on our portal. You can still "
            "download everything we hold about you, or ask us to erase it."
        ),
    ),
    CaseStatus.WITHDRAWN: (
        _("Your case is withdrawn"),
        _(
            "No clinic can see it, and we send you no e-mails about it unless you ask for one. "
            "You can still download everything we hold about you, or ask us to erase it."
        ),
    ),
}


def status_in_words(case: Case) -> tuple[Label, Label]:
    return STATUS_WORDS.get(case.status, (case.get_status_display(), ""))


def what_we_need(case: Case) -> list[Label]:
    """Things the patient can do to move their case on."""
    needs: list[Label] = []
    flags = set(case.triage_flags)
    if Flag.NO_IMAGING in flags:
        needs.append(
            _("Imaging of the affected area (X-ray, MRI, CT or ultrasound), if you have any.")
        )
    if Flag.NO_RECORDS in flags:
        needs.append(_("Medical records: a doctor's letter or report, and recent lab results."))
    return needs
