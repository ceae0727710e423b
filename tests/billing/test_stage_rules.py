"""The stage rule "requires the invoice to be paid" (checked by deals' move and win through the stage-rule
registry) and the automation "a full payment moves the deal" (after commit, idempotent, on the timeline)."""

from __future__ import annotations

import pytest

from tests.dbstate import stage_of
from voronka.activities.models import Activity
from voronka.billing.models import StageBillingRule
from voronka.billing.services import cancel_invoice, create_invoice, record_payment
from voronka.billing.stage_rules import InvoiceNotPaid, deal_is_paid, set_paid_move, set_stage_rule
from voronka.core.errors import DomainError, Forbidden
from voronka.deals.models import DealStatus, StageTransition
from voronka.deals.services import move_deal, win_deal
from voronka.events.dispatch import dispatch_event
from voronka.events.models import OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _issued(world, deal):
    return create_invoice(actor=world.owner, deal=deal)  # issued on creation


def test_a_stage_requiring_the_paid_invoice_refuses_a_move_until_it_is_paid(world, deal):
    qualified = stage_of(world.pipeline, "qualified")
    proposal = stage_of(world.pipeline, "proposal")
    set_stage_rule(actor=world.admin, stage=qualified, requires_paid_invoice="on")
    with pytest.raises(InvoiceNotPaid) as err:  # no invoice at all
        move_deal(actor=world.owner, deal=deal, stage=qualified)
    assert err.value.field == "stage" and err.value.code == "invoice_not_paid"
    assert "Квалификация проведена" in err.value.message
    invoice = _issued(world, deal)
    record_payment(actor=world.owner, invoice=invoice, amount="100000")
    deal.refresh_from_db()
    with pytest.raises(InvoiceNotPaid):  # skipping the stage passes it: the rule still applies
        move_deal(actor=world.owner, deal=deal, stage=proposal)
    assert not deal_is_paid(deal)
    record_payment(actor=world.owner, invoice=invoice, amount="80000")
    deal.refresh_from_db()
    assert deal_is_paid(deal)
    assert move_deal(actor=world.owner, deal=deal, stage=proposal).stage_id == proposal.pk


def test_a_win_passes_the_remaining_stages_so_it_needs_the_paid_invoice_too(world, deal):
    set_stage_rule(actor=world.admin, stage=stage_of(world.pipeline, "signed"), requires_paid_invoice=True)
    invoice = _issued(world, deal)
    with pytest.raises(InvoiceNotPaid) as err:
        win_deal(actor=world.owner, deal=deal, values={"expected_close_date": "2030-01-01"})
    assert "Договор подписан" in err.value.message
    deal.refresh_from_db()
    assert deal.status == DealStatus.OPEN
    record_payment(actor=world.owner, invoice=invoice, amount=invoice.total)
    deal.refresh_from_db()
    assert win_deal(actor=world.owner, deal=deal, values={"expected_close_date": "2030-01-01"}).status == "won"


def test_a_cancelled_invoice_does_not_count_and_switching_the_rule_off_lifts_it(world, deal):
    qualified = stage_of(world.pipeline, "qualified")
    set_stage_rule(actor=world.admin, stage=qualified, requires_paid_invoice=True)
    paid = _issued(world, deal)
    record_payment(actor=world.owner, invoice=paid, amount=paid.total)
    second = _issued(world, deal)
    assert not deal_is_paid(deal)
    cancel_invoice(actor=world.owner, invoice=second, reason="ошибка")
    assert deal_is_paid(deal)
    set_stage_rule(actor=world.admin, stage=qualified, requires_paid_invoice="")
    assert StageBillingRule.objects.get(stage=qualified).requires_paid_invoice is False
    assert move_deal(actor=world.owner, deal=deal, stage=qualified).stage_id == qualified.pk


def test_stage_rule_and_paid_move_settings_are_validated(world):
    qualified = stage_of(world.pipeline, "qualified")
    with pytest.raises(Forbidden):
        set_stage_rule(actor=world.owner, stage=qualified, requires_paid_invoice=True)
    with pytest.raises(DomainError) as err:
        set_stage_rule(actor=world.admin, stage=qualified, requires_paid_invoice="maybe")
    assert err.value.field == f"paid_{qualified.pk}"
    foreign = stage_of(world.other_pipeline, "letter")
    for bad in (foreign, foreign.pk, "x", 10**9):
        with pytest.raises(DomainError) as err:
            set_paid_move(actor=world.admin, pipeline=world.pipeline, stage=bad)
        assert err.value.field == f"move_{world.pipeline.pk}"
    with pytest.raises(Forbidden):
        set_paid_move(actor=world.owner, pipeline=world.pipeline, stage=qualified)


def test_a_full_payment_moves_the_deal_once_after_commit_and_says_so_on_the_timeline(world, deal, commit):
    proposal = stage_of(world.pipeline, "proposal")
    set_paid_move(actor=world.admin, pipeline=world.pipeline, stage=proposal.pk)
    invoice = _issued(world, deal)
    with commit():
        record_payment(actor=world.owner, invoice=invoice, amount="100000")
    deal.refresh_from_db()
    assert deal.stage.slug == "received"  # partly paid: stays
    with commit():
        record_payment(actor=world.owner, invoice=invoice, amount="80000")
    deal.refresh_from_db()
    assert deal.stage_id == proposal.pk
    assert Activity.objects.filter(deal=deal, data__event="paid_move").count() == 1
    moves = StageTransition.objects.filter(deal=deal, to_stage=proposal).count()
    event = OutboxEvent.objects.filter(verb="invoice.paid_changed", target_id=str(invoice.pk)).latest("id")
    OutboxEvent.objects.filter(pk=event.pk).update(dispatched_at=None)  # dispatched again: nothing more
    with commit():
        assert dispatch_event(event.pk) is True
    assert StageTransition.objects.filter(deal=deal, to_stage=proposal).count() == moves == 1
    assert Activity.objects.filter(deal=deal, data__event="paid_move").count() == 1


def test_a_full_payment_that_cannot_move_the_deal_says_why_on_the_timeline(world, deal, commit):
    signed = stage_of(world.pipeline, "signed")  # needs an expected close date the deal lacks
    set_paid_move(actor=world.admin, pipeline=world.pipeline, stage=signed)
    invoice = _issued(world, deal)
    with commit():
        record_payment(actor=world.owner, invoice=invoice, amount=invoice.total)
    deal.refresh_from_db()
    assert deal.stage.slug == "received"
    assert Activity.objects.filter(deal=deal, data__event="paid_move_failed").count() == 1
    event = OutboxEvent.objects.filter(verb="invoice.paid_changed", target_id=str(invoice.pk)).latest("id")
    assert event.dispatched_at is not None


def test_the_billing_rules_page_saves_both_settings_and_shows_a_bad_stage_as_a_field_error(world):
    from django.test import Client as HttpClient
    from django.urls import reverse

    from voronka.billing.models import PaidMove

    url = reverse("settings:billing_rules")
    manager = HttpClient()
    manager.force_login(world.owner)
    assert manager.get(url).status_code == 403
    http = HttpClient()
    http.force_login(world.admin)
    assert http.get(url).status_code == 200
    qualified, signed = stage_of(world.pipeline, "qualified"), stage_of(world.pipeline, "signed")
    foreign = stage_of(world.other_pipeline, "letter")
    bad = http.post(url, {f"paid_{qualified.pk}": "on", f"move_{world.pipeline.pk}": str(foreign.pk)})
    assert bad.status_code == 400 and "errorlist" in bad.content.decode()
    assert not PaidMove.objects.exists()
    http.post(url, {f"paid_{qualified.pk}": "on", f"move_{world.pipeline.pk}": str(signed.pk)})
    assert PaidMove.objects.get(pipeline=world.pipeline).stage_id == signed.pk
    assert set(StageBillingRule.objects.filter(requires_paid_invoice=True).values_list("stage_id", flat=True)) == {
        qualified.pk}
    page = http.get(url).content.decode()
    assert f'name="paid_{qualified.pk}" value="on" checked' in page
    http.post(url, {})
    assert not StageBillingRule.objects.filter(requires_paid_invoice=True).exists()
    assert not PaidMove.objects.exists()
