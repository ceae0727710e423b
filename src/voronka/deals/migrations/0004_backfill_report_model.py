"""Backfill what 0003 added, from the stage log and the current owners.

- ``StageTransition.pipeline``: the deal's pipeline (nothing wrote ``pipeline_change`` before, so every row
  of a deal belongs to its current pipeline);
- ``Deal.furthest_stage``: the furthest stage, in the pipeline's current order, among the stages the log
  says the deal entered (its ``created`` row and every ``to_stage``), the current stage when a deal has no log;
- ``Deal.owner_team``: the owner's team today (the best snapshot there is for old deals);
- a currency that is not an ISO 4217 code becomes the installation's base currency.

All four are set-based UPDATEs (no loop over deals). The reverse puts the furthest stage's position back
into ``furthest_position``.
"""

from django.conf import settings
from django.db import migrations
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce

from voronka.core.currency import ISO_4217_CODES


def forward(apps, schema_editor):
    Deal = apps.get_model("deals", "Deal")
    StageTransition = apps.get_model("deals", "StageTransition")
    Stage = apps.get_model("pipelines", "Stage")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))

    StageTransition.objects.update(
        pipeline_id=Subquery(Deal.objects.filter(pk=OuterRef("deal_id")).values("pipeline_id")[:1]))
    furthest = (Stage.objects.filter(pipeline_id=OuterRef("pipeline_id"), transitions_in__deal_id=OuterRef("pk"))
                .order_by("-position", "-id").values("pk")[:1])
    Deal.objects.update(furthest_stage_id=Coalesce(Subquery(furthest), F("stage_id")))
    Deal.objects.update(owner_team_id=Subquery(User.objects.filter(pk=OuterRef("owner_id")).values("team_id")[:1]))
    Deal.objects.exclude(currency__in=ISO_4217_CODES).update(currency=settings.VORONKA_DEFAULT_CURRENCY)


def backward(apps, schema_editor):
    Deal = apps.get_model("deals", "Deal")
    Stage = apps.get_model("pipelines", "Stage")
    Deal.objects.update(furthest_position=Coalesce(
        Subquery(Stage.objects.filter(pk=OuterRef("furthest_stage_id")).values("position")[:1]), 0))


class Migration(migrations.Migration):

    dependencies = [
        ("deals", "0003_report_model"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
    ]
