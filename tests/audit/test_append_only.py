"""The audit trail is append-only in the ORM, the admin and (PostgreSQL) the database itself."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models.deletion import ProtectedError
from django.urls import reverse

from tests.factories import make_deal
from voronka.audit.models import AuditEntry
from voronka.core.append_only import AppendOnlyError


@pytest.fixture
def entry(world) -> AuditEntry:
    make_deal(world.owner, world.pipeline)
    return AuditEntry.objects.filter(actor=world.owner).first()


def test_the_orm_refuses_to_change_or_delete_entries(entry):
    entry.new = "rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(new="rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).new != "rewritten"


def test_a_user_with_entries_cannot_be_deleted(world, entry):
    with pytest.raises(ProtectedError):
        world.owner.delete()
    assert AuditEntry.objects.filter(pk=entry.pk, actor=world.owner).exists()


def test_the_admin_offers_no_delete_one_by_one_or_in_bulk(client, world, entry):
    client.force_login(world.admin)
    changelist = reverse("admin:audit_auditentry_changelist")
    page = client.get(changelist)
    assert page.status_code == 200 and b"delete_selected" not in page.content
    assert client.get(reverse("admin:audit_auditentry_delete", args=[entry.pk])).status_code in (403, 302)
    response = client.post(changelist, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"})
    assert response.status_code in (200, 302, 403)
    assert client.post(reverse("admin:audit_auditentry_change", args=[entry.pk]),
                       {"new": "rewritten"}).status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
    assert AuditEntry.objects.get(pk=entry.pk).new != "rewritten"


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL): the trigger")
@pytest.mark.parametrize("sql", ["UPDATE audit_auditentry SET new = 'x' WHERE id = %s",
                                 "DELETE FROM audit_auditentry WHERE id = %s"])
def test_the_database_refuses_raw_updates_and_deletes(entry, sql):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [entry.pk])
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
