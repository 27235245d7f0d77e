# Staff see when a credential PDF was stored disarmed (core.uploads.pdf).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('clinics', '0006_condition_translations'),
    ]

    operations = [
        migrations.AddField(
            model_name='credential',
            name='document_active_content_removed',
            field=models.BooleanField(default=False, verbose_name='active content removed'),
        ),
        migrations.AddField(
            model_name='historicalcredential',
            name='document_active_content_removed',
            field=models.BooleanField(default=False, verbose_name='active content removed'),
        ),
    ]
