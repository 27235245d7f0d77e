"""Demo people for ``seed_demo``. Passwords are printed, never used in production."""

from __future__ import annotations

from django.contrib.auth.models import Group

from .models import Role, User
from .roles import role_groups_ensure

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - demo only, printed by seed_demo


def ensure_role_groups() -> None:
    role_groups_ensure()


def ensure_user(
    email: str, *, full_name: str, role: Role, is_staff: bool = False, time_zone: str = "UTC"
) -> User:
    """Create or refresh a demo login; idempotent."""
    ensure_role_groups()
    user, created = User.objects.get_or_create(
        email=email,
        defaults={"full_name": full_name, "is_staff": is_staff, "time_zone": time_zone},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    user.groups.add(Group.objects.get(name=role.value))
    return user
