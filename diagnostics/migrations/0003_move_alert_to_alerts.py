# Alert now lives in the alerts app (alerts/0001_initial), on the same table: drop it from
# this app's state only; the table and its rows stay.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('alerts', '0001_initial'),
        ('diagnostics', '0002_alert'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='Alert')],
            database_operations=[],
        ),
    ]
