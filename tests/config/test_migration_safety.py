"""Migrations are applied while the old release's web processes and workers still run
(docs/upgrades.md, "expand, then contract"), so a new migration must leave the old code
working:

- an added column is nullable or has a database default (`db_default`), so the old code's
  INSERTs, which do not name it, still succeed; a Python-only `default=` does not count:
  Django fills the existing rows with it and then drops it from the column, so the old
  code's next INSERT fails on NOT NULL. A column of a table created in the same migration
  is free (no old code writes that table);
- removing or renaming a column or a table (RemoveField, RenameField, RenameModel,
  DeleteModel) and making a column NOT NULL (AlterField) break the old code: they are
  contract steps, shipped one release after the code stopped using what they change, in a
  migration whose module says so: `CONTRACT = "<which release stopped using what>"`.

Migrations up to BASELINE were written before these rules and are grandfathered: they were
applied with the app stopped. The test runs the checker over the project's migrations as
`migrate` loads them, and over synthetic migrations written to disk, unsafe ones included,
to prove it catches them."""

from __future__ import annotations

import shutil
import sys
import uuid
from pathlib import Path

import pytest
from django.apps import apps
from django.db import migrations
from django.db.migrations.loader import MigrationLoader
from django.db.models.fields import NOT_PROVIDED

ROOT = Path(__file__).resolve().parents[2]

# The last migration of each app when the rules came in (issue 15): it and everything
# before it are grandfathered. A new app is not listed: all its migrations are checked.
BASELINE = {
    "accounts": "0002_invitation",
    "alerts": "0002_alert_subject_alter_alert_kind",
    "diagnostics": "0006_api_call_bodies",
    "integrations": "0006_connection_drafts",
    "mappings": "0001_initial",
    "sync": "0005_conflict_direction",
}

CONTRACT_ONLY = (
    migrations.RemoveField,
    migrations.RenameField,
    migrations.RenameModel,
    migrations.DeleteModel,
)


# --- the checker ----------------------------------------------------------------------------
def _project_apps() -> set[str]:
    return {
        config.label
        for config in apps.get_app_configs()
        if Path(config.path).resolve().parent == ROOT  # not a library's (.venv is in ROOT)
    }


def _grandfathered(loader: MigrationLoader) -> set[tuple[str, str]]:
    old: set[tuple[str, str]] = set()
    for app, name in BASELINE.items():
        old.update(loader.graph.forwards_plan((app, name)))
    return old


def contract_note(migration) -> str:
    """The migration module's CONTRACT string ("" when it is not a contract step)."""
    note = getattr(sys.modules.get(type(migration).__module__), "CONTRACT", "")
    return note.strip() if isinstance(note, str) else ""


def operation_problem(operation, *, app: str, state_before, created: set[str], contract: str):
    """Why `operation` would break the release still running while it is applied, or None.
    `created`: models (lower-case names) created earlier in the same migration."""
    if isinstance(operation, migrations.SeparateDatabaseAndState):
        # Only the database side touches tables; the state side is bookkeeping.
        for inner in operation.database_operations:
            if problem := operation_problem(
                inner, app=app, state_before=state_before, created=created, contract=contract
            ):
                return problem
        return None
    if isinstance(operation, migrations.CreateModel):
        created.add(operation.name_lower)
        return None
    if isinstance(operation, migrations.AddField):
        field = operation.field
        if (
            field.null
            or field.db_default is not NOT_PROVIDED
            or field.many_to_many  # a table of its own, no column
            or operation.model_name_lower in created
        ):
            return None
        return (
            f"AddField {operation.model_name}.{operation.name} is NOT NULL without db_default: "
            "the running release's INSERTs would fail (make it null=True or give it db_default)"
        )
    if isinstance(operation, CONTRACT_ONLY):
        if contract:
            return None
        return (
            f"{operation.describe()} breaks the running release: it is a contract step "
            '(set CONTRACT = "<which release stopped using it>" in its module)'
        )
    if isinstance(operation, migrations.AlterField):
        before = state_before.models.get((app, operation.model_name_lower))
        old = before.fields.get(operation.name) if before else None
        if old is not None and old.null and not operation.field.null and not contract:
            return (
                f"AlterField {operation.model_name}.{operation.name} makes it NOT NULL: the "
                "running release may still write NULL there: a contract step "
                '(set CONTRACT = "<which release stopped writing NULL>" in its module)'
            )
    return None


def migration_problems(loader: MigrationLoader, key: tuple[str, str]) -> list[str]:
    app, name = key
    migration = loader.graph.nodes[key]
    contract = contract_note(migration)
    state_before = loader.project_state(key, at_end=False)
    created: set[str] = set()
    problems = []
    for operation in migration.operations:
        problem = operation_problem(
            operation, app=app, state_before=state_before, created=created, contract=contract
        )
        if problem:
            problems.append(f"{app}.{name}: {problem}")
    return problems


def project_problems(loader: MigrationLoader) -> list[str]:
    """Every rule broken by a project migration newer than BASELINE."""
    old = _grandfathered(loader)
    mine = _project_apps()
    problems = []
    for key in sorted(loader.disk_migrations):
        if key[0] in mine and key not in old:
            problems += migration_problems(loader, key)
    return problems


# --- a migrations package on disk, for tests ---------------------------------------------
def migrations_copy(root: Path, app: str, extra: dict[str, str]) -> str:
    """A copy of `app`'s migrations under `root` (which must be on sys.path) plus `extra`
    ({name: source}); returns its module name, for MIGRATION_MODULES = {app: name}. The
    copy has the same migration names, so a database that has the app's migrations
    applied sees only `extra` as new."""
    package = f"migrations_copy_{app}_{uuid.uuid4().hex[:8]}"
    source = Path(apps.get_app_config(app).path) / "migrations"
    shutil.copytree(source, root / package, ignore=shutil.ignore_patterns("__pycache__"))
    for name, text in extra.items():
        (root / package / f"{name}.py").write_text(text)
    return package


def latest(app: str) -> tuple[str, str]:
    """The app's newest migration on disk: what a new migration written by a test follows."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    (leaf,) = loader.graph.leaf_nodes(app)
    return leaf


def migration_source(operations: str, *, after: str, contract: str = "") -> str:
    head = f"CONTRACT = {contract!r}\n\n" if contract else ""
    return (
        "from django.db import migrations, models\n\n"
        + head
        + "class Migration(migrations.Migration):\n"
        + f"    dependencies = [{after!r}]\n"
        + f"    operations = [{operations}]\n"
    )


# --- tests ----------------------------------------------------------------------------------
def test_the_baseline_names_real_migrations():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for app, name in BASELINE.items():
        assert (app, name) in loader.disk_migrations, f"BASELINE: no migration {app}.{name}"
    assert set(BASELINE) <= _project_apps()


def test_every_new_migration_is_safe_for_the_running_release():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    assert project_problems(loader) == []


UNSAFE = {
    "not null, python default": (
        "migrations.AddField('runitem', 'attempt', models.PositiveIntegerField(default=1))",
        "AddField runitem.attempt is NOT NULL without db_default",
    ),
    "not null foreign key": (
        "migrations.AddField('recordlink', 'first_run', models.ForeignKey('sync.run',"
        " on_delete=models.CASCADE))",
        "AddField recordlink.first_run is NOT NULL without db_default",
    ),
    "remove field": (
        "migrations.RemoveField('runitem', 'reason')",
        "Remove field reason from runitem breaks the running release",
    ),
    "rename field": (
        "migrations.RenameField('runitem', 'reason', 'why')",
        "Rename field reason on runitem to why breaks the running release",
    ),
    "rename model": (
        "migrations.RenameModel('DriftItem', 'DriftRecord')",
        "Rename model DriftItem to DriftRecord breaks the running release",
    ),
    "delete model": (
        "migrations.DeleteModel('Conflict')",
        "Delete model Conflict breaks the running release",
    ),
    "made not null": (
        "migrations.AlterField('run', 'total', models.PositiveIntegerField(default=0))",
        "AlterField run.total makes it NOT NULL",
    ),
    "hidden in separate database and state": (
        "migrations.SeparateDatabaseAndState(database_operations=["
        "migrations.RemoveField('runitem', 'reason')])",
        "Remove field reason from runitem breaks the running release",
    ),
}

SAFE = {
    "nullable": "migrations.AddField('runitem', 'attempt', models.PositiveIntegerField(null=True))",
    "db default": (
        "migrations.AddField('runitem', 'attempt', models.PositiveIntegerField(db_default=1))"
    ),
    "nullable foreign key": (
        "migrations.AddField('recordlink', 'first_run', models.ForeignKey('sync.run',"
        " null=True, on_delete=models.SET_NULL))"
    ),
    "column of a new table": (
        "migrations.CreateModel('Note', [('id', models.BigAutoField(primary_key=True))]),"
        " migrations.AddField('note', 'text', models.TextField(default=''))"
    ),
    "made nullable": (
        "migrations.AlterField('runitem', 'reason', models.TextField(null=True, blank=True))"
    ),
}


@pytest.fixture
def on_disk(tmp_path, settings, monkeypatch):
    """`on_disk(operations, contract=...)`: the project's migrations as `migrate` would load
    them with one more sync migration holding `operations`; returns the checker's findings."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def check(operations: str, contract: str = "") -> list[str]:
        source = migration_source(operations, after=latest("sync"), contract=contract)
        package = migrations_copy(tmp_path, "sync", {"9999_next": source})
        settings.MIGRATION_MODULES = {"sync": package}
        try:
            loader = MigrationLoader(None, ignore_no_migrations=True)
            assert ("sync", "9999_next") in loader.disk_migrations
            return project_problems(loader)
        finally:
            for name in [name for name in sys.modules if name.startswith(package)]:
                del sys.modules[name]

    return check


@pytest.mark.parametrize("case", UNSAFE)
def test_an_unsafe_new_migration_is_caught(on_disk, case):
    operations, problem = UNSAFE[case]
    problems = on_disk(operations)
    assert len(problems) == 1, problems
    assert problems[0].startswith("sync.9999_next: ")
    assert problem in problems[0]


@pytest.mark.parametrize("case", SAFE)
def test_a_safe_new_migration_passes(on_disk, case):
    assert on_disk(SAFE[case]) == []


@pytest.mark.parametrize("case", [c for c in UNSAFE if not c.startswith("not null")])
def test_a_contract_step_may_remove_rename_and_tighten(on_disk, case):
    operations, _ = UNSAFE[case]
    assert on_disk(operations, contract="1.8: nothing reads or writes it since 1.7") == []


def test_a_contract_step_still_may_not_add_a_not_null_column(on_disk):
    # The release running during the contract migration does not write the new column.
    operations, problem = UNSAFE["not null, python default"]
    problems = on_disk(operations, contract="1.8")
    assert len(problems) == 1 and problem in problems[0]


def test_grandfathered_migrations_are_not_checked_but_would_fail():
    """The baseline is what keeps the old migrations out: without it, the checker finds
    the NOT NULL columns they added (applied with the app stopped, before these rules)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    old = sorted(k for k in _grandfathered(loader) if k[0] in BASELINE)
    found = [p for key in old for p in migration_problems(loader, key)]
    assert "sync.0005_conflict_direction: AddField conflict.direction" in "\n".join(found)
    assert len(found) == 21, found
