"""Report definitions; importing this package registers them (in the order of the Reports menu)."""

from . import funnel, manager_stage, closed, stuck, clients, campaigns, activity, dips, plan_fact, crm_order, nps  # noqa: F401  (isort: skip)
