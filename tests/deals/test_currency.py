"""Currencies are ISO 4217 codes, on deals and products, in the service and in the database."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.db import IntegrityError, transaction

from tests.dbstate import unchanged
from tests.factories import make_deal
from voronka.catalog.services import create_dictionary_item
from voronka.core.currency import normalize_currency
from voronka.core.errors import DomainError
from voronka.deals.models import Deal
from voronka.deals.services import update_deal


def test_update_deal_refuses_a_currency_that_is_not_iso(world):
    deal = make_deal(world.owner, world.pipeline)
    with unchanged(), pytest.raises(DomainError) as err:
        update_deal(actor=world.owner, deal=deal, values={"currency": "XYZ"})
    assert err.value.field == "currency"
    update_deal(actor=world.owner, deal=Deal.objects.get(pk=deal.pk), values={"currency": " usd "})
    assert Deal.objects.get(pk=deal.pk).currency == "USD"


def test_the_database_refuses_a_deal_currency_that_is_not_iso(world):
    deal = make_deal(world.owner, world.pipeline)
    with pytest.raises(IntegrityError), transaction.atomic():
        Deal.objects.filter(pk=deal.pk).update(currency="XYZ")


def test_a_product_currency_must_be_iso(world):
    with pytest.raises(DomainError) as err:
        create_dictionary_item(actor=world.admin, kind="products", name="Лицензия", price="10", currency="XYZ")
    assert err.value.field == "currency"
    product = create_dictionary_item(actor=world.admin, kind="products", name="Лицензия", price="10", currency="eur")
    assert product.currency == "EUR"


def test_normalize_currency_knows_current_codes_only():
    assert [normalize_currency(c) for c in ("rub", "USD", "KZT", "XYZ", "", None, "RUR")] == [
        "RUB", "USD", "KZT", None, None, None, None]


def test_a_default_currency_that_is_not_iso_stops_the_start(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "VORONKA_ENV")}
    env.update(VORONKA_DATA_DIR=str(tmp_path), VORONKA_DEFAULT_CURRENCY="XYZ")
    result = subprocess.run([sys.executable, "-c", "import voronka.settings"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0
    assert "VORONKA_DEFAULT_CURRENCY must be an ISO 4217 code" in result.stderr
    env["VORONKA_DEFAULT_CURRENCY"] = "usd"
    ok = subprocess.run([sys.executable, "-c", "import voronka.settings as s; print(s.VORONKA_DEFAULT_CURRENCY)"],
                        env=env, capture_output=True, text=True, timeout=60)
    assert ok.stdout.strip() == "USD", ok.stderr


def test_board_totals_are_per_currency_and_never_added(client, world):
    from decimal import Decimal

    from django.urls import reverse

    from tests.dbstate import stage_of
    from voronka.deals.selectors import board, board_summary
    from voronka.pipelines.selectors import get_pipeline

    proposal = stage_of(world.pipeline, "proposal")
    make_deal(world.owner, world.pipeline, stage=proposal, values={"amount": "1200000"})
    make_deal(world.owner, world.pipeline, stage=proposal, values={"amount": "3000", "currency": "USD"})
    make_deal(world.owner, world.pipeline, values={"amount": "500", "currency": "EUR"})
    pipeline = get_pipeline(pipeline_id=world.pipeline.pk)
    columns = {c.stage.slug: c for c in board(actor=world.owner, pipeline=pipeline)}
    assert columns["proposal"].totals == [("RUB", Decimal("1200000")), ("USD", Decimal("3000"))]
    assert columns["received"].totals == [("EUR", Decimal("500"))]
    assert columns["signed"].totals == [("RUB", Decimal("0"))]
    assert board_summary(actor=world.owner, pipeline=pipeline)["totals"] == [
        ("RUB", Decimal("1200000")), ("EUR", Decimal("500")), ("USD", Decimal("3000"))]
    client.force_login(world.owner)
    html = client.get(reverse("deals:board", args=[world.pipeline.slug])).content.decode()
    assert "1\u00a0200\u00a0000\u00a0₽ + 3\u00a0000\u00a0$" in html  # the proposal column
    assert "1\u00a0200\u00a0000\u00a0₽ + 500\u00a0€ + 3\u00a0000\u00a0$" in html  # the board's total
    assert "1\u00a0203\u00a0000" not in html and "1\u00a0203\u00a0500" not in html
