"""Every model change has its migration: a missing one would break a user's upgrade."""

from io import StringIO

from django.core.management import call_command


def test_no_model_change_is_without_a_migration(db):
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    assert "No changes detected" in out.getvalue()
