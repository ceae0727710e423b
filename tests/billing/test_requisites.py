"""Client requisites as structured fields: validated on the client, in the field registry, so a stage can
require them; company requisites for administrators only."""

from __future__ import annotations

import pytest

from tests.dbstate import stage_of
from tests.factories import make_client, make_deal
from voronka.billing.services import update_requisites
from voronka.clients.services import update_client
from voronka.core.errors import DomainError, Forbidden, MissingFields
from voronka.deals.services import move_deal
from voronka.pipelines.services import update_stage

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("field", "bad"), [("kpp", "12345"), ("ogrn", "123"), ("bik", "04452522x"),
                                            ("settlement_account", "4070"), ("corr_account", "٣٠١٠١٨١٠٤٠٠٠٠٠٠٠٠٢٢٥")])
def test_client_requisites_are_checked(world, field, bad):
    client = make_client(world.owner)
    with pytest.raises(DomainError) as err:
        update_client(actor=world.owner, client=client, **{field: bad})
    assert err.value.field == field
    client = update_client(actor=world.owner, client=client, kpp="7701-01001", ogrn="1027700132195",
                           bik="044 525 225", settlement_account="40702810938000000001",
                           corr_account="30101810400000000225", legal_address=" Москва ", bank_name="Сбер")
    assert (client.kpp, client.bik, client.legal_address) == ("770101001", "044525225", "Москва")


def test_a_stage_can_require_client_requisites(world):
    signed = stage_of(world.pipeline, "signed")
    update_stage(actor=world.admin, stage=signed, required_fields=["client.kpp", "client.bik"])
    deal = make_deal(world.owner, world.pipeline, values={"amount": "100", "expected_close_date": "2030-01-01"})
    with pytest.raises(MissingFields) as err:
        move_deal(actor=world.owner, deal=deal, stage=signed)
    assert set(err.value.fields) == {"client.kpp", "client.bik"}
    deal.refresh_from_db()
    moved = move_deal(actor=world.owner, deal=deal, stage=signed, values={"client.kpp": "770101001",
                                                                         "client.bik": "044525225"})
    moved.client.refresh_from_db()
    assert moved.stage_id == signed.pk and moved.client.kpp == "770101001"
    deal2 = make_deal(world.owner, world.pipeline, values={"amount": "100", "expected_close_date": "2030-01-01"})
    with pytest.raises(DomainError) as bad:
        move_deal(actor=world.owner, deal=deal2, stage=signed, values={"client.kpp": "1", "client.bik": "044525225"})
    assert bad.value.field == "client.kpp"


def test_company_requisites_need_an_administrator_and_valid_values(world):
    with pytest.raises(Forbidden):
        update_requisites(actor=world.owner, legal_name="x")
    with pytest.raises(DomainError) as err:
        update_requisites(actor=world.admin, vat_rate="18")
    assert err.value.field == "vat_rate"
    with pytest.raises(DomainError) as err:
        update_requisites(actor=world.admin, inn="123")
    assert err.value.field == "inn"
    with pytest.raises(DomainError):
        update_requisites(actor=world.admin, unknown="1")
    saved = update_requisites(actor=world.admin, legal_name="ООО «Воронка»", payment_days="10")
    assert saved.pk == 1 and saved.payment_days == 10


def test_the_inbound_template_requires_the_client_requisites_at_contract_signed(world):
    from voronka.demo.bootstrap import install_defaults
    from voronka.pipelines.services import install_pipeline_template

    install_defaults()  # the custom fields the template requires
    pipeline = install_pipeline_template(actor=world.admin, name="inbound", slug="inbound-tpl")
    signed = pipeline.stages.get(slug="contract-signed")
    assert {"client.inn", "client.legal_address"} <= set(signed.required_fields)
    from voronka.deals.rules import missing_required_fields

    client = make_client(world.owner, name="ООО Без адреса", inn="7702345678")
    deal = make_deal(world.owner, world.pipeline, client=client)
    missing = missing_required_fields(deal, signed)
    assert "client.legal_address" in missing and "client.inn" not in missing
    update_client(actor=world.owner, client=client, legal_address="г. Москва, ул. Тверская, д. 7")
    deal.refresh_from_db()
    assert "client.legal_address" not in missing_required_fields(deal, signed)
