from voronka.deals.models import StageTransition
from tests.factories import make_deal


def test_create_deal_writes_created_transition_and_task(world):
    deal = make_deal(world.owner, world.pipeline)
    assert deal.tasks.filter(status="open").count() == 1
    assert StageTransition.objects.filter(deal=deal).count() == 1
