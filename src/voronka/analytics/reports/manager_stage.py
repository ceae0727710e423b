"""Each manager's conversion on each stage against his team's (cohort funnel of one pipeline)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Any

from django.utils.translation import gettext_lazy as _

from ..engine import REPORTS, Column, Report, Run, deal_drill, register
from ..sql import ratio


@register
class ManagerStage(Report):
    name = "manager-stage"
    title = _("Managers × stages")
    description = _("Conversion from each stage to the next per manager and for his team (deals created in the "
                    "period, the team as recorded on the deal), and the difference in percentage points.")
    date_field = "created_at"
    slices = ()
    needs_pipeline = True
    chart = "heatmap"
    chart_value = "conversion_pct"
    columns = (Column("team_id", "id", "id"), Column("team", _("team"), "str"),
               Column("manager_id", "id", "id"), Column("manager", _("manager"), "str"),
               Column("stage_id", "id", "id"), Column("stage", _("stage"), "str"),
               Column("reached", _("reached")), Column("converted", _("converted")),
               Column("conversion_pct", _("conversion, %"), "pct"),
               Column("team_conversion_pct", _("team's conversion, %"), "pct"),
               Column("delta_pp", _("difference, p.p."), "float"))

    def drills(self, params, rows: list[dict[str, Any]]) -> list[dict[str, str]]:
        from .funnel import next_stage, stage_links

        following = next_stage(params.pipeline.pk) if params.pipeline is not None else {}
        out = []
        for row in rows:
            base = {**deal_drill(params, None, date="created"), "owner": row["manager_id"],
                    "deal_team": "none" if row["team_id"] is None else row["team_id"]}
            links = stage_links(base, row, following)
            out.append({k: links[k] for k in ("reached", "converted")})
        return out

    def rows(self, run: Run) -> list[dict[str, Any]]:
        # One cohort funnel by (team, manager), without the days on stages (not shown here); the team's
        # figures are the sums of its managers' (each deal has one owner and one recorded team).
        funnel = REPORTS["funnel"]
        cohort = replace(run.params, mode="cohort")
        mine = funnel.rows(replace(run, params=replace(cohort, by=("team", "manager"))), with_stays=False)
        team_counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        for r in mine:
            counts = team_counts[(r["team_id"], r["stage_id"])]
            counts[0] += r["reached"]
            counts[1] += r["converted"]
        team_pct = {key: ratio(converted, reached, pct=True) for key, (reached, converted) in team_counts.items()}
        out = []
        for r in mine:
            if not r["reached"]:
                continue
            theirs = team_pct.get((r["team_id"], r["stage_id"]))
            mine_pct = r["conversion_pct"]
            out.append({k: r[k] for k in ("team_id", "team", "manager_id", "manager", "stage_id", "stage",
                                           "reached", "converted")}
                       | {"conversion_pct": mine_pct, "team_conversion_pct": theirs,
                          "delta_pp": None if mine_pct is None or theirs is None else round(mine_pct - theirs, 2)})
        return out
