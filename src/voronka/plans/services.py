"""Writes of sales plans: set (create, change or, with both targets empty, delete) and delete, one month's grid
at once; every write checks who may plan for whom (``selectors.may_plan_for``) and is audited.

Input is untrusted (the grid, imports): amounts go through ``core.money.parse_money`` (0 or more, fits the
column), counts are whole numbers 0..999 999 999; a bad value is a field error and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from voronka.accounts.models import Team, User
from voronka.accounts.permissions import require_perm
from voronka.core.errors import Conflict, DomainError, Forbidden
from voronka.core.money import parse_money
from voronka.events.services import record_event
from voronka.pipelines.models import Pipeline

from .models import SalesPlan
from .selectors import may_plan_for, parse_month

logger = logging.getLogger(__name__)
MAX_COUNT = 999_999_999
_DIGITS = re.compile(r"[0-9]{1,12}", re.ASCII)
_SPACES = str.maketrans({" ": None, "\u00a0": None, "\u202f": None, "\u2009": None})


class PlanInputError(DomainError):
    """Some values of a plan grid are bad; ``errors`` maps each cell key to its message (nothing was written)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(_("Some values are not valid; nothing was saved."), field=next(iter(errors), None),
                         fields=list(errors), code="invalid_plan")
        self.errors = errors


def parse_amount(value: Any, *, field: str) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_money(value, field=field)


def parse_count(value: Any, *, field: str) -> int | None:
    """A whole number of deals (ASCII digits, thousands spaces), or None for an empty value."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise DomainError(_("Enter a whole number."), field=field, code="invalid_number")
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip().translate(_SPACES)
        if text.startswith("-") and _DIGITS.fullmatch(text[1:]):
            raise DomainError(_("The value cannot be negative."), field=field, code="invalid_number")
        if not _DIGITS.fullmatch(text):
            raise DomainError(_("Enter a whole number (digits 0–9)."), field=field, code="invalid_number")
        number = int(text)
    if number < 0:
        raise DomainError(_("The value cannot be negative."), field=field, code="invalid_number")
    if number > MAX_COUNT:
        raise DomainError(_("The number is too large (at most %(max)s).") % {"max": "999 999 999"}, field=field,
                          code="invalid_number")
    return number


def _require_planner(actor: User, *, user: User | None, team: Team | None) -> None:
    require_perm(actor, "change")
    if (user is None) == (team is None):
        raise DomainError(_("A plan is for a manager or for a team."), field="subject")
    if user is not None and (not user.is_active or user.is_system):
        raise DomainError(_("Plans are set for active users."), field="subject")
    if not may_plan_for(actor, user=user, team=team):
        raise Forbidden(_("You may not set plans for %(subject)s.") % {"subject": user or team})


def _subject_filter(user: User | None, team: Team | None, pipeline: Pipeline | None) -> dict[str, Any]:
    return {"user": user, "team": team, "pipeline": pipeline} if pipeline is not None else \
        {"user": user, "team": team, "pipeline__isnull": True}


def _apply(*, actor: User, month: dt.date, user: User | None, team: Team | None, pipeline: Pipeline | None,
           amount: Decimal | None, count: int | None) -> tuple[SalesPlan | None, bool]:
    """Create, change or delete one plan; returns it (None when deleted or absent) and whether it changed."""
    existing = SalesPlan.objects.select_for_update().filter(month=month, **_subject_filter(user, team, pipeline)).first()
    if amount is None and count is None:
        if existing is not None:
            _delete(actor=actor, plan=existing)
        return None, existing is not None
    if existing is None:
        plan = SalesPlan(month=month, user=user, team=team, pipeline=pipeline)
        old_amount = old_count = None
    else:
        plan, old_amount, old_count = existing, existing.target_amount, existing.target_count
        if old_amount == amount and old_count == count:
            return plan, False
    plan.target_amount, plan.target_count, plan.updated_by = amount, count, actor if actor.pk else None
    plan.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():  # a savepoint: a concurrent twin of a new plan is a conflict, not a 500
            plan.save()
    except IntegrityError as exc:
        raise Conflict(_("This plan was just saved by somebody else; reload the page."), field="subject") from exc
    record_event(actor=actor, verb="plan.set", target=plan,
                 changes={"target_amount": (old_amount, amount), "target_count": (old_count, count)},
                 data={"month": month, "user": user, "team": team, "pipeline": pipeline})
    logger.info("sales plan set", extra={"plan_id": plan.pk})
    return plan, True


def _delete(*, actor: User, plan: SalesPlan) -> None:
    record_event(actor=actor, verb="plan.deleted", target=plan,
                 changes={"target_amount": (plan.target_amount, None), "target_count": (plan.target_count, None)},
                 data={"month": plan.month, "user": plan.user_id, "team": plan.team_id, "pipeline": plan.pipeline_id})
    logger.info("sales plan deleted", extra={"plan_id": plan.pk})
    plan.delete()


@transaction.atomic
def set_plan(*, actor: User, month: Any, user: User | None = None, team: Team | None = None,
             pipeline: Pipeline | None = None, target_amount: Any = None, target_count: Any = None
             ) -> SalesPlan | None:
    """Set the plan of ``user`` or ``team`` for ``month`` (and ``pipeline``; none = every pipeline).

    Both targets empty delete the plan (returns None). Amount: 0 or more, base currency; count: whole.
    """
    _require_planner(actor, user=user, team=team)
    month = parse_month(month)
    amount = parse_amount(target_amount, field="target_amount")
    count = parse_count(target_count, field="target_count")
    plan, _changed = _apply(actor=actor, month=month, user=user, team=team, pipeline=pipeline, amount=amount,
                            count=count)
    return plan


@transaction.atomic
def delete_plan(*, actor: User, plan: SalesPlan) -> None:
    _require_planner(actor, user=plan.user, team=plan.team)
    _delete(actor=actor, plan=plan)


@dataclass(frozen=True)
class PlanCell:
    """One row of the plan grid as typed: ``key`` names its inputs in errors (``<key>-amount``, ``<key>-count``)."""

    key: str
    user: User | None = None
    team: Team | None = None
    amount: Any = None
    count: Any = None


@transaction.atomic
def set_month_plans(*, actor: User, month: Any, pipeline: Pipeline | None, cells: list[PlanCell]) -> int:
    """Set a month's plans from the grid, all or nothing: every bad value is reported (``PlanInputError``)
    before anything is written. Returns how many plans were created, changed or deleted."""
    month = parse_month(month)
    parsed = []
    errors: dict[str, str] = {}
    for cell in cells:
        _require_planner(actor, user=cell.user, team=cell.team)
        values: dict[str, Any] = {}
        for name, parse, raw in (("amount", parse_amount, cell.amount), ("count", parse_count, cell.count)):
            try:
                values[name] = parse(raw, field=f"{cell.key}-{name}")
            except DomainError as exc:
                errors[exc.field or f"{cell.key}-{name}"] = exc.message
        parsed.append((cell, values))
    if errors:
        raise PlanInputError(errors)
    changed = 0
    for cell, values in parsed:
        _plan, did = _apply(actor=actor, month=month, user=cell.user, team=cell.team, pipeline=pipeline,
                            amount=values.get("amount"), count=values.get("count"))
        changed += did
    return changed
