"""Who vouches that a review's author was treated at the clinic.

A review is published at once only when a registered verifier confirms its
``treatment_ref``: the consultations app registers one from its ``AppConfig.ready()``
that looks for a completed treatment record of that patient at that clinic.
``clinics`` never imports that app; with no verifier registered, nothing
verifies and every review waits for staff (``review_verify_treatment``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.models import User

    from .models import Clinic

# (clinic, author, treatment_ref) -> True if the ref proves the author's treatment there.
TreatmentVerifier = Callable[["Clinic", "User", str], bool]

_VERIFIERS: dict[str, TreatmentVerifier] = {}


def treatment_verifier_register(name: str, verifier: TreatmentVerifier) -> None:
    """Register (or, on re-import, replace) a verifier under ``name``."""
    _VERIFIERS[name] = verifier


def treatment_verified(*, clinic: Clinic, author: User, treatment_ref: str) -> bool:
    """Whether any registered verifier confirms ``treatment_ref`` for ``author`` at ``clinic``."""
    if not treatment_ref:
        return False
    return any(verify(clinic, author, treatment_ref) for verify in _VERIFIERS.values())
