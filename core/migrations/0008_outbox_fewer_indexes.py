"""The outbox keeps the indexes its queries use and no others.

Marking a message sent changes indexed columns (status, lease), so PostgreSQL writes a
new entry into every index of the table for every message: 15 of them. Four were never
read: the LIKE-pattern twins Django adds to ``kind`` and to the unique ``dedupe_key`` and
``message_id`` (nothing searches them by prefix; the admin's search is "contains") and
``about_type``'s own index (``core_notif_about_idx`` leads with it). The unique rules stay,
as named constraints without twins. On a large outbox this rebuilds two unique indexes:
run it in a quiet hour (docs/deploy.md).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0007_outbox_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="notification",
            name="about_type",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="contenttypes.contenttype",
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="dedupe_key",
            field=models.CharField(max_length=200, verbose_name="dedupe key"),
        ),
        migrations.AlterField(
            model_name="notification",
            name="kind",
            field=models.CharField(max_length=64, verbose_name="kind"),
        ),
        migrations.AlterField(
            model_name="notification",
            name="message_id",
            field=models.CharField(max_length=255, verbose_name="Message-ID"),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(fields=["kind"], name="core_notif_kind_idx"),
        ),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.UniqueConstraint(
                fields=("dedupe_key",), name="core_notif_dedupe_key_uniq"
            ),
        ),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.UniqueConstraint(
                fields=("message_id",), name="core_notif_message_id_uniq"
            ),
        ),
    ]
