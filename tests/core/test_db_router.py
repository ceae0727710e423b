"""Reports read from the replica on request; writes and ordinary reads stay on the primary."""

import textwrap

import pytest
from django.db import DEFAULT_DB_ALIAS
from django.test import override_settings

from tests.core.test_settings import _run
from voronka.core.db_router import PrimaryReplicaRouter, reporting_db
from voronka.deals.models import Deal

router = PrimaryReplicaRouter()


def test_reporting_db_is_the_primary_without_a_replica(settings):
    assert "replica" not in settings.DATABASES
    assert reporting_db() == DEFAULT_DB_ALIAS


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_reporting_db_is_the_replica_when_configured(settings):
    with override_settings(DATABASES={**settings.DATABASES, "replica": dict(settings.DATABASES["default"])}):
        assert reporting_db() == "replica"


def test_ordinary_reads_and_every_write_go_to_the_primary():
    assert router.db_for_read(Deal) == DEFAULT_DB_ALIAS
    from_replica = Deal()
    from_replica._state.db = "replica"
    # Related lookups stay where their instance was read; saving it writes to the primary.
    assert router.db_for_read(Deal, instance=from_replica) == "replica"
    assert router.db_for_write(Deal, instance=from_replica) == DEFAULT_DB_ALIAS
    on_primary = Deal()
    on_primary._state.db = DEFAULT_DB_ALIAS
    assert router.allow_relation(from_replica, on_primary) is True


def test_only_the_primary_is_migrated():
    assert router.allow_migrate("default", "deals", "deal") is True
    assert router.allow_migrate("replica", "deals", "deal") is False


_SCRIPT = textwrap.dedent("""
    import os, sqlite3, sys, django
    os.environ["DJANGO_SETTINGS_MODULE"] = "voronka.settings"
    django.setup()
    from django.core.management import call_command
    from django.db import connections
    from voronka.core.db_router import reporting_db, reporting_cursor
    from voronka.catalog.models import Source
    primary, replica = sys.argv[1], sys.argv[2]
    call_command("migrate", "--no-input", "-v", "0")
    Source.objects.create(name="Сайт", sort_order=1)
    connections["default"].close()
    with sqlite3.connect(primary) as src, sqlite3.connect(replica) as dst:
        src.backup(dst)  # the replica as of now; it lags from here on
    Source.objects.create(name="Выставка", sort_order=2)
    assert reporting_db() == "replica", reporting_db()
    assert Source.objects.count() == 2  # ordinary reads: the primary
    assert Source.objects.using(reporting_db()).count() == 1  # report reads: the (lagging) replica
    row = Source.objects.using(reporting_db()).get(sort_order=1)
    assert row._state.db == "replica"
    row.name = "Site"
    row.save()  # a row read from the replica is written to the primary
    assert Source.objects.get(sort_order=1).name == "Site"
    with reporting_cursor() as cursor:
        cursor.execute("SELECT name FROM catalog_source ORDER BY name")
        assert cursor.fetchall() == [("Сайт",)], "the replica was written to"
    print("ok")
""")


def test_a_configured_replica_serves_report_reads_and_takes_no_writes(tmp_path):
    primary, replica = tmp_path / "primary.sqlite3", tmp_path / "replica.sqlite3"
    result = _run(_SCRIPT, {"VORONKA_DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{primary}",
                            "DATABASE_REPLICA_URL": f"sqlite:///{replica}"}, args=[str(primary), str(replica)])
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ok"]
