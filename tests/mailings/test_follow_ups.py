"""Renewal and upsell rules (run by ``voronka tick``), and the reanimation sequence the templates ship."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import make_client, make_deal
from voronka.activities.models import Task
from voronka.catalog.models import LostReason, Product
from voronka.cli import main
from voronka.deals.models import Deal
from voronka.deals.services import lose_deal, win_deal
from voronka.mailings.models import Enrolment, FollowUp, Send, Sequence
from voronka.mailings.services import open_follow_ups, save_renewal_rule, save_upsell_rule
from voronka.pipelines.services import add_stage, create_pipeline, install_pipeline_from_template

pytestmark = pytest.mark.django_db


@pytest.fixture
def renewal_pipeline(world):
    pipeline = create_pipeline(actor=world.system, name="Renewal", slug="renewal", kind="renewal")
    add_stage(actor=world.system, pipeline=pipeline, name="Напоминание отправлено", slug="reminder")
    return pipeline


@pytest.fixture
def won(world, commit):
    customer = make_client(world.owner, name="Сигма", email="s@example.com", responsible=world.owner)
    deal = make_deal(world.owner, world.pipeline, client=customer, values={"product": world.product.pk})
    with commit():
        win_deal(actor=world.owner, deal=deal, values={"amount": "120000", "expected_close_date": "2099-12-31"})
    return deal


def _tick(at: dt.datetime) -> None:
    assert main(["tick", "--now", at.isoformat()]) == 0


def test_a_product_with_a_term_opens_a_renewal_deal_days_before_the_end_once(world, won, renewal_pipeline):
    save_renewal_rule(actor=world.admin, product=world.product, term_months=12, days_before=30,
                      pipeline=renewal_pipeline)
    won.refresh_from_db()
    end = won.closed_at + dt.timedelta(days=365)
    _tick(end - dt.timedelta(days=40))
    assert not Deal.objects.filter(pipeline=renewal_pipeline).exists()
    _tick(end - dt.timedelta(days=29))
    _tick(end - dt.timedelta(days=29))
    _tick(end - dt.timedelta(days=10))
    renewal = Deal.objects.get(pipeline=renewal_pipeline)
    assert renewal.owner == world.owner and renewal.client == won.client and renewal.product == world.product
    assert Task.objects.get(deal=renewal, status="open").assignee == world.owner
    assert FollowUp.objects.get().created_deal == renewal


def test_an_upsell_rule_opens_a_deal_for_the_other_product_after_n_days(world, won, renewal_pipeline):
    offer = Product.objects.create(name="Глоссарий", price=30000)
    save_upsell_rule(actor=world.admin, product=world.product, offer=offer, after_days=14, pipeline=world.pipeline)
    won.refresh_from_db()
    assert open_follow_ups(won.closed_at + dt.timedelta(days=13)) == 0
    assert open_follow_ups(won.closed_at + dt.timedelta(days=15)) == 1
    assert open_follow_ups(won.closed_at + dt.timedelta(days=16)) == 0
    upsell = Deal.objects.exclude(pk=won.pk).get()
    assert upsell.product == offer and upsell.owner == world.owner and upsell.status == "open"


def test_rules_are_checked(world, renewal_pipeline):
    from voronka.core.errors import DomainError

    with pytest.raises(DomainError) as exc:
        save_renewal_rule(actor=world.admin, product=world.product, term_months=0, days_before=30,
                          pipeline=renewal_pipeline)
    assert exc.value.field == "term_months"
    with pytest.raises(DomainError) as exc:
        save_upsell_rule(actor=world.admin, product=world.product, offer=world.product, after_days=3,
                         pipeline=world.pipeline)
    assert exc.value.field == "offer"


def test_the_return_template_ships_a_working_reanimation_sequence(world, commit, smtp_server):
    no_time = LostReason.objects.create(name="Нет времени")
    with commit():
        install_pipeline_from_template(actor=world.admin, name="return", language="ru")
    sequence = Sequence.objects.get()
    assert {r.name for r in sequence.lost_reasons.all()} == {"Нет времени", "Нет денег"}
    assert [s.delay_days for s in sequence.steps.order_by("position")] == [0, 14, 14, 21]
    customer = make_client(world.owner, name="Тау", email="tau@example.com")
    deal = make_deal(world.owner, world.pipeline, client=customer)
    with commit():
        lose_deal(actor=world.owner, deal=deal, reason=no_time)
    assert Enrolment.objects.get().client == customer
    start = timezone.now()
    for days in (29, 30.01, 44.02, 58.03, 79.04, 120):
        _tick(start + dt.timedelta(days=days))
    messages = smtp_server.wait(4)
    assert len(messages) == 4 and Send.objects.filter(sent_at__isnull=False).count() == 4
    assert Enrolment.objects.get().status == "finished"


def test_the_settings_page_saves_rules_with_field_errors(world, client, renewal_pipeline):
    from django.urls import reverse

    from voronka.mailings.models import RenewalRule, UpsellRule

    client.force_login(world.admin)
    url = reverse("settings:follow_up_rules")
    response = client.post(url, {"kind": "renewal", "renewal-product": world.product.pk, "renewal-term_months": "0",
                                 "renewal-days_before": "30", "renewal-pipeline": renewal_pipeline.pk})
    assert response.status_code == 400 and not RenewalRule.objects.exists()
    response = client.post(url, {"kind": "renewal", "renewal-product": world.product.pk, "renewal-term_months": "12",
                                 "renewal-days_before": "30", "renewal-pipeline": renewal_pipeline.pk,
                                 "renewal-is_active": "on"})
    assert response.status_code == 302 and RenewalRule.objects.get().term_months == 12
    response = client.post(url, {"kind": "upsell", "upsell-product": world.product.pk,
                                 "upsell-offer": world.product.pk, "upsell-after_days": "5",
                                 "upsell-pipeline": world.pipeline.pk})
    assert response.status_code == 400 and not UpsellRule.objects.exists()
    assert world.product.name in client.get(url).content.decode()


def test_the_rules_page_runs_a_fixed_number_of_queries(world, client, renewal_pipeline, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    client.force_login(world.admin)

    def make(n, start):
        for i in range(start, start + n):
            product = Product.objects.create(name=f"P{i}", price=10)
            offer = Product.objects.create(name=f"O{i}", price=10)
            save_renewal_rule(actor=world.admin, product=product, term_months=12, days_before=30,
                              pipeline=renewal_pipeline)
            save_upsell_rule(actor=world.admin, product=product, offer=offer, after_days=3, pipeline=world.pipeline)

    make(3, 0)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("settings:follow_up_rules"))
    make(10, 3)
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(reverse("settings:follow_up_rules"))
