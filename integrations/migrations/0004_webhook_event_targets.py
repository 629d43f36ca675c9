# One processing row per (event, connection): an event several connections share is no longer
# stored without one. Each event's old `connection` becomes its one row (same status, attempts
# and error) before the column goes, so no event loses its connection.

import django.db.models.deletion
from django.db import migrations, models


def connections_to_rows(apps, schema_editor):
    WebhookEvent = apps.get_model("integrations", "WebhookEvent")
    WebhookEventTarget = apps.get_model("integrations", "WebhookEventTarget")
    db = schema_editor.connection.alias
    events = WebhookEvent.objects.using(db).filter(connection__isnull=False)
    rows = (
        WebhookEventTarget(
            event_id=event.pk,
            connection_id=event.connection_id,
            status=event.status,
            attempts=event.attempts,
            last_error=event.last_error,
            processed_at=event.processed_at,
        )
        for event in events.iterator()
    )
    while batch := [row for _, row in zip(range(500), rows)]:
        WebhookEventTarget.objects.using(db).bulk_create(batch)


def rows_to_connections(apps, schema_editor):
    WebhookEvent = apps.get_model("integrations", "WebhookEvent")
    WebhookEventTarget = apps.get_model("integrations", "WebhookEventTarget")
    db = schema_editor.connection.alias
    for row in WebhookEventTarget.objects.using(db).order_by("event_id", "pk").iterator():
        WebhookEvent.objects.using(db).filter(pk=row.event_id, connection__isnull=True).update(
            connection_id=row.connection_id, last_error=row.last_error
        )


class Migration(migrations.Migration):

    dependencies = [
        ('integrations', '0003_token_health_and_audit'),
    ]

    operations = [
        migrations.CreateModel(
            name='WebhookEventTarget',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('unconfirmed', 'Waiting for confirmation'), ('pending', 'Pending'), ('processed', 'Processed'), ('ignored', 'Ignored'), ('failed', 'Failed'), ('rejected', 'Rejected')], default='pending', max_length=20)),
                ('attempts', models.PositiveIntegerField(default=0)),
                ('last_error', models.TextField(blank=True, default='')),
                ('confirmed_payload', models.JSONField(blank=True, null=True)),
                ('not_before', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('processed_at', models.DateTimeField(blank=True, null=True)),
                ('connection', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='webhook_targets', to='integrations.connection')),
                ('event', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='targets', to='integrations.webhookevent')),
            ],
            options={
                'indexes': [models.Index(fields=['status', 'not_before'], name='integration_status_5e847a_idx')],
                'constraints': [models.UniqueConstraint(fields=('event', 'connection'), name='unique_webhook_event_target')],
            },
        ),
        migrations.RunPython(connections_to_rows, rows_to_connections),
        migrations.RemoveField(
            model_name='webhookevent',
            name='connection',
        ),
        migrations.RemoveField(
            model_name='webhookevent',
            name='last_error',
        ),
        migrations.AlterField(
            model_name='webhookevent',
            name='status',
            field=models.CharField(choices=[('pending', 'Pending'), ('processed', 'Processed'), ('ignored', 'Ignored'), ('failed', 'Failed'), ('rejected', 'Rejected')], default='pending', max_length=20),
        ),
    ]
