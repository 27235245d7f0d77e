"""The back-office roles and the rights each one holds (docs/architecture.md "Who sees what").

* ``concierge``: the triage queue, matching, clinics and vetting - without the
  patients' clinical answers or documents. Checked in code (core.admin_access).
* ``clinician``: added to a concierge who reviews cases clinically: the clinical
  answers and the documents. Checked in code (``is_clinician``).
* ``administrator``: accounts and their roles, second factors (to reset a lost
  phone) and lock-outs, through Django's model permissions granted below. No
  patient data, and never a superuser's account.
* ``clinic_staff``: the clinic portal only; never the admin, whatever their flags.

Migration ``core.0005_roles_by_need`` creates the same groups with a frozen copy
of these permissions; this module keeps seed data and tests in step with it.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType

from .models import Role

ADMINISTRATOR_PERMISSIONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("core", "user"): ("view", "add", "change"),
    ("auth", "group"): ("view",),
    ("mfa", "authenticator"): ("view", "delete"),
    ("axes", "accessattempt"): ("view", "delete"),
    ("axes", "accessfailurelog"): ("view",),
    ("axes", "accesslog"): ("view",),
}


def role_groups_ensure() -> None:
    """Create every role's group and grant the administrator's permissions; idempotent."""
    for role in Role:
        Group.objects.get_or_create(name=role.value)
    administrator = Group.objects.get(name=Role.ADMINISTRATOR.value)
    wanted = sum(len(actions) for actions in ADMINISTRATOR_PERMISSIONS.values())
    if administrator.permissions.count() >= wanted:
        return
    for (app_label, model), actions in ADMINISTRATOR_PERMISSIONS.items():
        content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
        for action in actions:
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type,
                codename=f"{action}_{model}",
                defaults={"name": f"Can {action} {model}"},
            )
            administrator.permissions.add(permission)
