# The e-mails moved onto the outbox (core.Notification): a link records the
# message it was issued for, and the per-row "was it sent" stamps are gone.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0003_notification'),
        ('intake', '0004_proposal_patient_notified'),
    ]

    operations = [
        migrations.AddField(
            model_name='accesstoken',
            name='notification',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='core.notification', verbose_name='issued for e-mail'),
        ),
        migrations.RemoveField(
            model_name='case',
            name='acknowledged_at',
        ),
        migrations.RemoveField(
            model_name='case',
            name='concierge_notified_at',
        ),
        migrations.RemoveField(
            model_name='historicalcase',
            name='acknowledged_at',
        ),
        migrations.RemoveField(
            model_name='historicalcase',
            name='concierge_notified_at',
        ),
        migrations.RemoveField(
            model_name='casemessage',
            name='staff_notified_at',
        ),
        migrations.RemoveField(
            model_name='proposal',
            name='patient_notified_at',
        ),
        migrations.RemoveField(
            model_name='historicalproposal',
            name='patient_notified_at',
        ),
    ]
