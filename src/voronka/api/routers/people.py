"""Users and teams (read): for pickers of owners and assignees in integrations."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from voronka.accounts.selectors import get_user_for_settings, list_teams, visible_users

from ..pagination import Page, paginate
from ..schemas import ERRORS, Cursor, Id, Limit, Ref, UserRef, ref, user_ref

router = Router(tags=["users and teams"])


class UserOut(Schema):
    id: int
    username: str
    name: str
    email: str
    role: str
    team: Ref | None
    is_active: bool


class TeamOut(Schema):
    id: int
    name: str
    lead: UserRef | None


def user_out(u) -> dict[str, Any]:
    return {"id": u.pk, "username": u.username, "name": u.get_full_name() or u.username, "email": u.email,
            "role": u.role, "team": ref(u.team), "is_active": u.is_active}


@router.get("/users/me", response={200: UserOut, **ERRORS}, summary="Who am I")
def users_me(request: HttpRequest):
    return user_out(request.auth)


@router.get("/users", response={200: Page[UserOut], **ERRORS}, summary="List users")
def users_list(request: HttpRequest, active: bool | None = None, limit: Limit = 50, cursor: Cursor | None = None):
    qs = visible_users(actor=request.auth)
    if active is not None:
        qs = qs.filter(is_active=active)
    rows, next_url = paginate(request, qs, limit=limit, cursor=cursor, descending=False)
    return {"items": [user_out(u) for u in rows], "next": next_url}


@router.get("/users/{user_id}", response={200: UserOut, **ERRORS}, summary="Get a user")
def users_get(request: HttpRequest, user_id: Id):
    return user_out(get_user_for_settings(actor=request.auth, user_id=user_id))


@router.get("/teams", response={200: Page[TeamOut], **ERRORS}, summary="List teams")
def teams_list(request: HttpRequest, limit: Limit = 50, cursor: Cursor | None = None):
    rows, next_url = paginate(request, list_teams(), limit=limit, cursor=cursor, descending=False)
    return {"items": [{"id": t.pk, "name": t.name, "lead": user_ref(t.lead)} for t in rows], "next": next_url}
