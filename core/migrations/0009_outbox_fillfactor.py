"""The outbox table leaves a fifth of each page free, so starting a message's attempt is
an update in place.

When a worker starts the next message of its chunk it counts the attempt and, once less
than half of the lease is left, renews it (core.notifications.services.sending._SENT_AND_START).
Neither touches an indexed column, so PostgreSQL can write the new row version beside the
old one on the same page with no entry in any of the table's eleven indexes (a HOT update)
- but only if the page has room, and a table filled by inserts has none. With fillfactor
80, new pages keep that room (measured on the bench: about half of the drain's updates,
the starts, became HOT). It applies to pages written from now on; nothing is rewritten.
"""

from django.db import migrations


def _set(fillfactor: int | None):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return  # SQLite has no fillfactor
        table = schema_editor.quote_name("core_notification")
        if fillfactor is None:
            schema_editor.execute(f"ALTER TABLE {table} RESET (fillfactor)")
        else:
            schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {int(fillfactor)})")

    return apply


class Migration(migrations.Migration):
    dependencies = [("core", "0008_outbox_fewer_indexes")]

    operations = [migrations.RunPython(_set(80), _set(None), elidable=False)]
