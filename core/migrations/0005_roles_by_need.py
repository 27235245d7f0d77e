"""Roles by need: clinician reviewers and administrators join the back-office groups.

The ``concierge`` and ``clinician`` roles are enforced by ``core.admin_access``
(checked per request, with the groups prefetched once). ``administrator`` works
through Django's own model permissions, granted here: accounts and their groups,
second factors (to reset a lost phone) and lock-outs - and no patient data.
"""

from django.db import migrations

ADMINISTRATOR_PERMISSIONS = {
    ("core", "user"): ("view", "add", "change"),
    ("auth", "group"): ("view",),
    ("mfa", "authenticator"): ("view", "delete"),
    ("axes", "accessattempt"): ("view", "delete"),
    ("axes", "accessfailurelog"): ("view",),
    ("axes", "accesslog"): ("view",),
}


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    for name in ("concierge", "clinician", "administrator", "clinic_staff", "patient"):
        Group.objects.get_or_create(name=name)
    administrator = Group.objects.get(name="administrator")
    for (app_label, model), actions in ADMINISTRATOR_PERMISSIONS.items():
        # Permissions are normally made after migrating; make the few we grant now.
        content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
        for action in actions:
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type,
                codename=f"{action}_{model}",
                defaults={"name": f"Can {action} {model}"},
            )
            administrator.permissions.add(permission)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["clinician", "administrator"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_user_session_generation"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_roles, remove_roles)]
