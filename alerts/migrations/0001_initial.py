# The Alert model moved here from diagnostics. Its table (diagnostics_alert) stays where it
# is: this migration only takes the model into this app's state, and
# diagnostics/0003_move_alert_to_alerts drops it from diagnostics' state. No data moves.

import django.db.models.deletion
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    """Admin log entries and permissions follow the model to its new app."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label="alerts", model="alert").exists():
        ContentType.objects.using(db).filter(app_label="diagnostics", model="alert").update(
            app_label="alerts"
        )


def move_content_type_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label="diagnostics", model="alert").exists():
        ContentType.objects.using(db).filter(app_label="alerts", model="alert").update(
            app_label="diagnostics"
        )


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0001_initial'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('diagnostics', '0002_alert'),
        ('integrations', '0003_token_health_and_audit'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Alert',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('token_refresh_failed', 'Token refresh failed')], max_length=40)),
                        ('message', models.TextField()),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('resolved_at', models.DateTimeField(blank=True, null=True)),
                        ('connection', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='alerts', to='integrations.connection')),
                        ('workspace', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='alerts', to='accounts.workspace')),
                    ],
                    options={
                        'db_table': 'diagnostics_alert',
                        'ordering': ['-created_at', '-pk'],
                        'indexes': [models.Index(fields=['workspace', 'resolved_at'], name='diagnostics_workspa_eb92da_idx')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
