"""Health endpoints used by load balancers."""

import pytest


def test_healthz_answers_without_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_database_and_migrations(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] in ("sqlite", "postgresql")


@pytest.mark.django_db
def test_readyz_is_503_when_a_migration_is_pending(client, monkeypatch):
    from django.db.migrations import Migration
    from django.db.migrations.executor import MigrationExecutor

    fake = Migration("0999_fake", "deals")
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [(fake, False)])
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "migrations_pending"
