# Expiry notices and change-request decisions are sent through the outbox
# (core.Notification): their own send bookkeeping is gone.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('clinics', '0007_credential_document_active_content_removed'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='changerequest',
            name='decision_notified_at',
        ),
        migrations.RemoveField(
            model_name='credentialnotice',
            name='attempts',
        ),
        migrations.RemoveField(
            model_name='credentialnotice',
            name='claimed_at',
        ),
        migrations.RemoveField(
            model_name='credentialnotice',
            name='last_error',
        ),
        migrations.RemoveField(
            model_name='credentialnotice',
            name='sent_at',
        ),
        migrations.RemoveField(
            model_name='historicalchangerequest',
            name='decision_notified_at',
        ),
    ]
