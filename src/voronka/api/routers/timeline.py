"""The timeline of a deal or a client (calls, emails, meetings, notes, stage changes, system events) and new
entries written by people."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status

from voronka.activities.selectors import timeline_entries
from voronka.activities.services import add_timeline_entry
from voronka.clients.selectors import get_client
from voronka.deals.selectors import get_deal

from ..pagination import Page, paginate
from ..schemas import ERRORS, Cursor, Id, Limit, LongText, Ref, RefId, UserRef, ref, resolve, user_ref

router = Router(tags=["timeline"])


class EntryOut(Schema):
    id: int
    kind: str
    at: dt.datetime
    author: UserRef | None
    deal: Ref | None
    client: int | None
    body: str
    data: dict[str, Any]


class EntryIn(Schema):
    kind: Literal["call", "email", "meeting", "note"]
    body: LongText
    deal: RefId | None = None
    client: RefId | None = None


def entry_out(a) -> dict[str, Any]:
    return {"id": a.pk, "kind": a.kind, "at": a.at, "author": user_ref(a.author), "deal": ref(a.deal, "title"),
            "client": a.client_id, "body": a.body, "data": a.data or {}}


def _page(request: HttpRequest, qs, limit: int, cursor: str | None) -> dict[str, Any]:
    rows, next_url = paginate(request, qs, limit=limit, cursor=cursor)
    return {"items": [entry_out(a) for a in rows], "next": next_url}


@router.get("/deals/{deal_id}/timeline", response={200: Page[EntryOut], **ERRORS}, summary="A deal's timeline",
            description="Newest first.")
def deal_timeline(request: HttpRequest, deal_id: Id, limit: Limit = 50, cursor: Cursor | None = None):
    deal = get_deal(actor=request.auth, deal_id=deal_id)
    return _page(request, timeline_entries(deal=deal), limit, cursor)


@router.get("/clients/{client_id}/timeline", response={200: Page[EntryOut], **ERRORS},
            summary="A client's timeline", description="With the entries of its deals, newest first.")
def client_timeline(request: HttpRequest, client_id: Id, limit: Limit = 50, cursor: Cursor | None = None):
    client = get_client(actor=request.auth, client_id=client_id)
    return _page(request, timeline_entries(client=client), limit, cursor)


@router.post("/timeline", response={201: EntryOut, **ERRORS}, summary="Add a timeline entry",
             description="A call, email, meeting or note on a deal or a client.")
def timeline_create(request: HttpRequest, payload: EntryIn):
    actor = request.auth
    deal = None if payload.deal is None else resolve(get_deal, "deal", actor=actor, deal_id=payload.deal)
    client = None if payload.client is None else resolve(get_client, "client", actor=actor,
                                                         client_id=payload.client)
    entry = add_timeline_entry(actor=actor, kind=payload.kind, body=payload.body, deal=deal, client=client)
    return Status(201, entry_out(entry))
