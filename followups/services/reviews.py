"""Reviews that follow outcomes: after the 1-week check-in about the experience, after the
6-month check-in about the result; verified by the treatment record, published good or bad."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from clinics.models import ClinicMembership, Review, ReviewStage
from clinics.services import review_submit
from consultations.selectors.treatments import REF_PREFIX
from core.exceptions import DomainError
from core.models import Role, User
from intake.models import Patient

from ..instruments import EXPERIENCE_REVIEW_AT, OUTCOME_REVIEW_AT
from ..models import CheckIn, CheckInStatus

STAGE_AT: dict[str, str] = {
    EXPERIENCE_REVIEW_AT: ReviewStage.EXPERIENCE,
    OUTCOME_REVIEW_AT: ReviewStage.OUTCOME,
}


def review_stage_for(check_in: CheckIn) -> str | None:
    """The review this answered check-in invites, if any and not yet written."""
    stage = STAGE_AT.get(check_in.time_point)
    if stage is None or check_in.status != CheckInStatus.ANSWERED or check_in.side_effects_only:
        return None
    user_id = check_in.schedule.case.patient.user_id
    if (
        user_id
        and Review.objects.filter(
            clinic_id=check_in.schedule.clinic_id, author_id=user_id, stage=stage
        ).exists()
    ):
        return None
    return stage


def _patient_account(patient: Patient) -> User:
    """The login that authors the patient's reviews: theirs, or a new one without a password.

    An existing account with the same address is used only if it is a plain patient
    account; a staff or clinic account is never borrowed.
    """
    if patient.user_id:
        return patient.user  # type: ignore[return-value]
    existing = User.objects.filter(email__iexact=patient.email).first()
    if existing is not None:
        if existing.is_staff or ClinicMembership.objects.filter(user=existing).exists():
            raise DomainError(
                _("We cannot attach a review to this e-mail address. Please contact us."),
                code="account_conflict",
            )
        user = existing
    else:
        user = User.objects.create_user(
            email=patient.email,
            full_name=patient.full_name,
            language=patient.language,
            time_zone=patient.time_zone,
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
    from django.contrib.auth.models import Group

    user.groups.add(Group.objects.get_or_create(name=Role.PATIENT.value)[0])
    patient.user = user
    patient.save(update_fields=["user"])
    return user


@transaction.atomic
def checkin_review_submit(
    *,
    check_in: CheckIn,
    rating: int,
    body: str,
    author_display_name: str,
    language: str,
    request: HttpRequest | None = None,
) -> Review:
    """Publish the patient's review, verified by their completed treatment record."""
    stage = review_stage_for(check_in)
    if stage is None:
        raise DomainError(_("There is no review to write for this check-in."), code="no_review")
    patient = check_in.schedule.case.patient
    author = _patient_account(patient)
    return review_submit(
        clinic=check_in.schedule.clinic,
        author=author,
        rating=rating,
        body=body,
        author_display_name=author_display_name,
        acting_user=author,
        treatment_ref=f"{REF_PREFIX}{check_in.schedule.treatment_id}",
        request=request,
        stage=stage,
        language=language,
    )
