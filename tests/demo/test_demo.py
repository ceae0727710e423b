"""The demo generator: deterministic, and its bulk-written data keeps the invariants the services enforce."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import pytest
from django.db import transaction
from django.utils import timezone

from tests.factories import sign_in
from voronka.accounts.models import Role, Team, User
from voronka.activities.models import Activity, Task, TaskStatus
from voronka.clients.models import Client, ClientStatus, Contact
from voronka.deals.models import Deal, DealLine, DealStatus, StageTransition, TransitionKind
from voronka.deals.rules import missing_required_fields
from voronka.demo.generator import SIZES, build_demo

pytestmark = pytest.mark.django_db

TINY = SIZES["tiny"]


def _shape() -> list[tuple]:
    return list(Deal.objects.order_by("id").values_list("title", "amount", "status", "stage__slug"))


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """One tiny build for the whole module (each test runs in a savepoint inside it), rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_demo(size="tiny", seed=42, reset=True)
        transaction.set_rollback(True)


def test_build_demo_returns_the_counts_it_wrote(demo):
    assert demo["deals"] == TINY == Deal.objects.count()
    assert demo["clients"] == Client.objects.count()
    assert demo["tasks"] == Task.objects.count()
    assert demo["activities"] == Activity.objects.count()
    assert demo["transitions"] == StageTransition.objects.count()
    assert demo["users"] == 11


def test_build_demo_is_deterministic_for_a_seed(demo):
    first = _shape()
    build_demo(size="tiny", seed=42, reset=True)
    assert _shape() == first
    build_demo(size="tiny", seed=7, reset=True)
    assert _shape() != first
    # reset leaves nothing of the previous build behind
    assert Deal.objects.count() == TINY
    assert Client.objects.count() == Client.objects.filter(deals__isnull=False).distinct().count()
    assert Contact.objects.count() >= Client.objects.count()


def test_the_history_is_the_same_relative_to_any_day(demo, monkeypatch):
    from voronka.demo import generator

    def shape_on(day: dt.date) -> list[tuple]:
        noon = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
        monkeypatch.setattr(generator, "_now", lambda: noon)
        build_demo(size="tiny", seed=5, reset=True)
        midnight = timezone.make_aware(dt.datetime.combine(day, dt.time(0)))
        return [(*row[:4], row[4] - midnight, row[5] and row[5] - day)
                for row in Deal.objects.order_by("id").values_list(
                    "title", "amount", "status", "stage__slug", "created_at", "expected_close_date")]

    assert shape_on(dt.date(2026, 3, 4)) == shape_on(dt.date(2026, 3, 7))


def test_build_demo_without_reset_leaves_existing_data_alone(demo):
    first = _shape()
    again = build_demo(size="tiny", seed=99)
    assert _shape() == first
    assert again["deals"] == TINY


def test_every_open_deal_has_an_open_task(demo):
    without = Deal.objects.filter(status=DealStatus.OPEN).exclude(tasks__status=TaskStatus.OPEN)
    assert not without.exists()
    assert not Task.objects.filter(status=TaskStatus.OPEN).exclude(deal__status=DealStatus.OPEN).exists()


def test_no_deal_misses_the_required_fields_of_its_stage(demo):
    missing = {}
    for deal in Deal.objects.select_related("stage", "client"):
        keys = missing_required_fields(deal, deal.stage)
        if keys:
            missing[deal.pk] = (deal.stage.slug, keys)
    assert missing == {}


def test_transitions_are_time_ordered_and_end_on_the_deals_stage(demo):
    by_deal = defaultdict(list)
    for t in StageTransition.objects.order_by("deal_id", "at", "id"):
        by_deal[t.deal_id].append(t)
    deals = {d.pk: d for d in Deal.objects.all()}
    assert set(by_deal) == set(deals)
    for deal_id, transitions in by_deal.items():
        deal = deals[deal_id]
        assert transitions[0].kind == TransitionKind.CREATED
        ats = [t.at for t in transitions]
        assert ats == sorted(ats) and len(set(ats)) == len(ats)
        entered = None
        for t in transitions:
            if t.kind not in (TransitionKind.CREATED, TransitionKind.REOPEN):
                assert t.seconds_in_from_stage == int((t.at - entered).total_seconds())
            if t.to_stage_id is not None:
                entered = t.at
        last = transitions[-1]
        if deal.status == DealStatus.OPEN:
            assert last.to_stage_id == deal.stage_id
            assert deal.closed_at is None
        else:
            assert last.kind == deal.status and last.from_stage_id == deal.stage_id
            assert deal.closed_at == last.at
        assert deal.stage_entered_at == entered
        assert deal.version == 1
        assert deal.created_at == transitions[0].at


def test_the_report_columns_are_in_step_with_the_log_and_the_owners(demo):
    """furthest_stage is the furthest stage the log entered; owner_team the owner's team; every row has its pipeline."""
    from django.db.models import F
    from django.db.models.functions import Coalesce

    from voronka.pipelines.selectors import furthest_visited_stage

    recomputed = Deal.objects.annotate(f=Coalesce(furthest_visited_stage(), F("stage_id")))
    assert not recomputed.exclude(furthest_stage_id=F("f")).exists()
    assert not Deal.objects.exclude(owner_team_id=F("owner__team_id")).filter(owner__team__isnull=False).exists()
    assert not StageTransition.objects.exclude(pipeline_id=F("deal__pipeline_id")).exists()


def test_the_stage_stay_summary_equals_the_log(demo):
    """The demo writes the per-(deal, stage) summary with the log (COPY), equal to the log summed by hand."""
    from tests.deals.test_stage_stays import expected_rows, summary_rows

    assert summary_rows() == expected_rows()


def test_closed_deals_have_an_amount_or_a_reason(demo):
    assert not Deal.objects.filter(status=DealStatus.WON, amount__lte=0).exists()
    assert not Deal.objects.filter(status=DealStatus.LOST, lost_reason__isnull=True).exists()
    assert not Deal.objects.filter(status=DealStatus.LOST, lost_comment="").exists()


def test_deal_amount_is_the_sum_of_its_lines(demo):
    with_lines = Deal.objects.filter(lines__isnull=False).distinct().prefetch_related("lines")
    assert with_lines.exists()
    for deal in with_lines:
        assert deal.amount == sum(line.total for line in deal.lines.all())
    assert DealLine.objects.count() >= with_lines.count()


def test_done_tasks_carry_their_outcome(demo):
    done = Task.objects.filter(status=TaskStatus.DONE)
    assert done.exists()
    assert not done.filter(outcome="").exists()
    assert not done.filter(outcome_comment="").exists()
    assert not done.filter(outcome="refusal", lost_reason__isnull=True).exists()
    assert set(done.values_list("outcome", flat=True)) == {"result", "postpone", "refusal"}
    assert not Task.objects.filter(outcome="postpone", follow_up__isnull=True).exists()


def test_the_mix_is_believable(demo):
    deals = Deal.objects.count()
    status = Counter(Deal.objects.values_list("status", flat=True))
    assert 0.15 <= status[DealStatus.WON] / deals <= 0.35
    assert 0.25 <= status[DealStatus.LOST] / deals <= 0.50
    assert 0.2 <= status[DealStatus.OPEN] / deals <= 0.55
    pipelines = Counter(Deal.objects.values_list("pipeline__slug", flat=True))
    assert pipelines.most_common(1)[0][0] == "inbound"
    assert {"inbound", "outreach", "renewal", "return"} <= set(pipelines)
    assert 1.8 <= deals / Client.objects.count() <= 3.5
    assert Task.objects.count() > deals and StageTransition.objects.count() > deals
    assert Activity.objects.count() > 2 * deals
    kinds = Counter(StageTransition.objects.values_list("kind", flat=True))
    assert kinds["forward"] > kinds["skip"] > 0 and kinds["backward"] > 0
    assert Client.objects.filter(status=ClientStatus.REFUSED).exists()
    assert not Client.objects.filter(status=ClientStatus.REFUSED, refusal_reason__isnull=True).exists()


def test_open_tasks_are_overdue_today_and_upcoming(demo):
    today = timezone.localdate()
    dues = Task.objects.filter(status=TaskStatus.OPEN).values_list("due_date", flat=True)
    assert any(d < today for d in dues) and any(d == today for d in dues) and any(d > today for d in dues)


def test_phones_and_emails_are_normalised(demo):
    for phone, email in Client.objects.values_list("phone", "email"):
        assert phone.startswith("+") and phone[1:].isdigit()
        assert email == email.lower() and "@" in email
    inns = [i for i in Client.objects.filter(kind="company").values_list("inn", flat=True) if i]
    assert inns and all(len(i) == 10 and i.isdigit() for i in inns)


def test_the_demo_users_sign_in_with_demo(demo, client):
    names = ["admin", "head", "lead1", "lead2", *[f"manager{i}" for i in range(1, 7)], "analyst"]
    for username in names:
        assert sign_in(client, username, "demo"), username
        client.logout()
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.role == Role.ADMIN
    team1 = Team.objects.get(name="Отдел продаж 1")
    assert team1.lead.username == "lead1"
    assert set(team1.members.filter(role=Role.MANAGER).values_list("username", flat=True)) == {
        "manager1", "manager2", "manager3"}
    assert User.objects.get(username="manager5").team.name == "Отдел продаж 2"


def test_rows_written_after_the_demo_get_fresh_ids(demo):
    """The demo writes ids itself: the tables' sequences must still hand out unused ones."""
    deal = Deal.objects.order_by("-id").first()
    contact = Contact.objects.create(client=deal.client, name="Новый контакт")
    task = Task.objects.create(deal=deal, client=deal.client, assignee=deal.owner, title="Позвонить",
                               due_date=deal.created_at.date(), created_at=deal.created_at)
    client = Client.objects.create(name="Новый клиент", responsible=deal.owner)
    assert contact.pk > Contact.objects.exclude(pk=contact.pk).order_by("-pk").first().pk
    assert task.pk > Task.objects.exclude(pk=task.pk).order_by("-pk").first().pk
    assert client.pk > Client.objects.exclude(pk=client.pk).order_by("-pk").first().pk


def test_an_english_demo_writes_english_texts(demo):
    build_demo(size="tiny", seed=42, reset=True, language="en")
    titles = set(Task.objects.values_list("title", flat=True))
    assert "Call back on the request" in titles and "Позвонить по заявке" not in titles
    assert Activity.objects.filter(body__startswith="Deal created at stage").exists()
    assert Deal.objects.filter(pipeline__slug="inbound", status=DealStatus.OPEN).exists()


def test_the_demo_plans_every_seller_and_team_for_recent_months(demo):
    from voronka.analytics.engine import full_scope_actor, run_report
    from voronka.plans.models import SalesPlan

    current = timezone.localdate().replace(day=1)
    sellers = User.objects.filter(role__in=(Role.MANAGER, Role.LEAD), team__isnull=False, is_system=False)
    months = sorted(set(SalesPlan.objects.values_list("month", flat=True)))
    assert len(months) == 4 and months[-1] == current
    for month in months:
        plans = SalesPlan.objects.filter(month=month, pipeline__isnull=True)
        assert set(plans.filter(user__isnull=False).values_list("user_id", flat=True)) == \
            set(sellers.values_list("pk", flat=True))
        assert plans.filter(team__isnull=False).count() == Team.objects.count() == 2
        assert all(p.target_amount > 0 and p.target_count >= 1 for p in plans)
    rows = run_report(actor=full_scope_actor(), name="plan-fact",
                      params={"from": months[0].isoformat(), "to": current.isoformat()}).rows
    assert {r["month"] for r in rows} == set(months) and all(r["plan_amount"] for r in rows if r["manager_id"])


def test_the_demo_ships_the_site_form_on_the_inbound_pipeline(demo, client):
    from voronka.integrations.models import LeadForm

    form = LeadForm.objects.get(slug="site")
    assert form.pipeline.slug == "inbound" and form.is_active and form.assign_mode == "round_robin"
    assert form.source is not None
    assert client.get("/forms/site/").status_code == 200
