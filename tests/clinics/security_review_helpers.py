"""What the security review's regression tests share: a clinic proposing a new price."""

from __future__ import annotations

from clinics.models import ChangeRequest, Offering
from clinics.services import change_request_submit
from tests.conftest import Personas


def propose_price(personas: Personas, offering: Offering, price_max: str) -> ChangeRequest:
    """Clinic A's staff propose ``price_max`` for ``offering`` (a pending request)."""
    return change_request_submit(
        clinic=personas.clinic_a,
        target=offering,
        changes={"price_max": price_max},
        acting_user=personas.clinic_a_staff,
    )
