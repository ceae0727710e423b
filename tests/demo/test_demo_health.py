"""The small demo looks like a working team: open deals mostly within their stage's max days, funnels full."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from voronka.accounts.models import Role, User
from voronka.analytics.engine import full_scope_actor, run_report
from voronka.deals.models import Deal, DealStatus
from voronka.deals.selectors import DealFilter, filter_deals
from voronka.demo.generator import build_demo

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def small(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_demo(size="small", seed=42, reset=True)
        transaction.set_rollback(True)


def test_a_minority_of_each_managers_open_deals_is_past_its_stages_max_days(small):
    managers = list(User.objects.filter(role=Role.MANAGER))
    assert len(managers) >= 4
    for manager in managers:
        open_deals = Deal.objects.filter(owner=manager, status=DealStatus.OPEN, is_archived=False)
        stuck = filter_deals(open_deals, DealFilter(rotting=True)).count()
        assert open_deals.count() >= 20, manager.username
        # a minority (under a third; 5-26 % seen on SQLite and PostgreSQL), not 97 of 111 as before
        assert 0 < stuck < open_deals.count() / 3, (manager.username, stuck, open_deals.count())


def test_open_deals_are_recent_and_old_ones_were_lost_with_a_reason(small):
    now = timezone.now()
    open_ages = sorted((now - c).days for c in Deal.objects.filter(status=DealStatus.OPEN)
                       .values_list("created_at", flat=True))
    assert open_ages[len(open_ages) // 2] < 120  # the median open deal is months, not years old
    old = Deal.objects.filter(created_at__lt=now - dt.timedelta(days=365))
    assert old.filter(status=DealStatus.LOST).count() > old.filter(status=DealStatus.OPEN).count() * 3
    assert not Deal.objects.filter(status=DealStatus.LOST, lost_reason__isnull=True).exists()


def test_reports_on_the_demo_show_full_funnels(small):
    today = timezone.localdate()
    period = {"from": (today - dt.timedelta(days=180)).isoformat(), "to": today.isoformat()}
    for pipeline in ("inbound", "outreach"):
        rows = run_report(actor=full_scope_actor(), name="funnel", params={**period, "pipeline": pipeline}).rows
        reached = [r["reached"] for r in rows]
        assert reached[0] > 0 and reached[-1] > 0 and all(r["conversion_pct"] for r in rows[:-1]), pipeline
    assert run_report(actor=full_scope_actor(), name="win-rate", params=period).rows
    stuck = run_report(actor=full_scope_actor(), name="stuck", params={}).rows
    assert sum(r["past_max_days"] for r in stuck) < 0.25 * sum(r["open_deals"] for r in stuck)
