"""The audit trail and the outbox are readable in the admin, never editable or deletable there."""

from __future__ import annotations

import pytest
from django.contrib import admin as django_admin

from tests.factories import make_client
from voronka.audit.models import AuditEntry
from voronka.events.models import OutboxEvent


@pytest.mark.parametrize("model", [AuditEntry, OutboxEvent])
def test_admin_lists_but_never_changes_or_deletes(client, world, model):
    make_client(world.owner)
    client.force_login(world.admin)
    row = model.objects.first()
    meta = model._meta
    assert client.get(f"/admin/{meta.app_label}/{meta.model_name}/").status_code == 200
    assert client.get(f"/admin/{meta.app_label}/{meta.model_name}/{row.pk}/change/").status_code == 200
    assert client.get(f"/admin/{meta.app_label}/{meta.model_name}/{row.pk}/delete/").status_code == 403
    model_admin = django_admin.site._registry[model]
    assert not model_admin.has_add_permission(None)
    assert not model_admin.has_change_permission(None, row)
    assert not model_admin.has_delete_permission(None, row)
