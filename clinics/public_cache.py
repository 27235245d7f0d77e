"""The public clinic pages (directory, profiles) as one cached namespace (core.public_cache).

Every service that changes what those pages show calls ``public_pages_changed()`` in
its transaction: clinic facts and status, offerings, the team, credentials, reviews,
exchange rates, the legality table, the conditions list, and (from followups) the
patient-reported outcomes. A change to any clinic renders every public page afresh:
such changes are rare beside the reads, and a page never shows another's stale data.
"""

from __future__ import annotations

from core.public_cache import public_content_changed

PUBLIC_PAGES = "clinics.public"


def public_pages_changed() -> None:
    """The directory and every profile are rendered afresh after this transaction commits."""
    public_content_changed(PUBLIC_PAGES)
