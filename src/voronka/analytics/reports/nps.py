"""Net Promoter Score of the after-sales surveys (billing) answered in the period.

A survey belongs to one deal; its answer (0-10) counts for the deal's slices (manager, team, product,
pipeline, ...) and, for a period slice, for the local day it was answered. Promoters answer 9-10, passives
7-8, detractors 0-6; NPS = % promoters − % detractors (2 decimals, rounded half up), from −100 to 100.
Only the surveys of deals the reader sees count (report scope, pipeline, filters). One query.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from django.db.models import Case, F, IntegerField, Value, When
from django.utils.translation import gettext_lazy as _

from voronka.billing.models import Survey

from .. import slices as sl
from ..engine import Column, Report, Run, deal_drill, deal_url, register, sort_key
from ..sql import Agg, as_int
from .plan_fact import round_half_up

SURVEYS = sl.Base(prefix="deal__")


def _group(low: int, high: int) -> Case:
    return Case(When(score__gte=low, score__lte=high, then=Value(1)), default=Value(0), output_field=IntegerField())


def nps_of(promoters: int, detractors: int, answers: int) -> float | None:
    if not answers:
        return None
    return float(round_half_up(Fraction(100 * (promoters - detractors), answers), 2))


def share(part: int, whole: int) -> float | None:
    return float(round_half_up(Fraction(100 * part, whole), 2)) if whole else None


@register
class NpsReport(Report):
    name = "nps"
    title = _("NPS")
    description = _("Net Promoter Score of the after-sales surveys answered in the period: % promoters (9-10) "
                    "minus % detractors (0-6), with the counts.")
    date_field = "answered_at"
    default_by = ("manager",)
    chart_value = "nps"
    columns = (Column("answers", _("answers")), Column("promoters", _("promoters (9-10)")),
               Column("passives", _("passives (7-8)")), Column("detractors", _("detractors (0-6)")),
               Column("promoters_pct", _("promoters, %"), "pct"), Column("detractors_pct", _("detractors, %"), "pct"),
               Column("nps", _("NPS"), "float"), Column("avg_score", _("mean score"), "float"))

    def drill(self, params, row: dict[str, Any]) -> dict[str, str]:
        base = deal_drill(params, row, date="answered")
        return {"answers": deal_url(base, nps="answered"), "promoters": deal_url(base, nps="promoter"),
                "passives": deal_url(base, nps="passive"), "detractors": deal_url(base, nps="detractor")}

    def rows(self, run: Run) -> list[dict[str, Any]]:
        surveys = Survey.objects.using(run.alias).filter(run.period_q("answered_at"), answered_at__isnull=False,
                                                         score__isnull=False, deal__in=run.deals().values("pk"))
        rows = run.grouped(surveys, base=SURVEYS, date_field="answered_at",
                           inputs={"score": F("score"), "pro": _group(9, 10), "pas": _group(7, 8),
                                   "det": _group(0, 6)},
                           aggs=[Agg("answers", "count"), Agg("promoters", "sum", "pro"),
                                 Agg("passives", "sum", "pas"), Agg("detractors", "sum", "det"),
                                 Agg("total", "sum", "score")])
        out = []
        for r in rows:
            answers, total = as_int(r.pop("answers")), as_int(r.pop("total"))
            pro, pas, det = as_int(r.pop("promoters")), as_int(r.pop("passives")), as_int(r.pop("detractors"))
            out.append({**r, "answers": answers, "promoters": pro, "passives": pas, "detractors": det,
                        "promoters_pct": share(pro, answers), "detractors_pct": share(det, answers),
                        "nps": nps_of(pro, det, answers),
                        "avg_score": float(round_half_up(Fraction(total, answers), 2)) if answers else None})
        return sorted(out, key=lambda r: sort_key(r, run.params.by))
