import pytest
import tests.props.test_deal_machine as m
import voronka.deals.services as s

@pytest.mark.django_db
def test_mutant(world, monkeypatch):
    def old(deal):
        if deal.is_open:
            s._require_fields(deal, deal.stage)
    monkeypatch.setattr(s, "_require_kept", old)
    m.test_random_service_calls_keep_every_deal_invariant(world)
