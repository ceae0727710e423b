"""Clients and their contacts: list (search, filters), get, create (duplicate check), update on a version."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from voronka.accounts.selectors import get_user_for_settings
from voronka.catalog.selectors import get_dictionary_item
from voronka.clients.selectors import ClientFilter, get_client, list_clients, list_contacts
from voronka.clients.services import add_contact, create_client, update_client

from ..pagination import Page, paginate
from ..schemas import (
    ERRORS,
    Cursor,
    Id,
    Limit,
    LongText,
    Ref,
    RefId,
    Text,
    UserRef,
    Version,
    ref,
    resolve,
    user_ref,
)

router = Router(tags=["clients"])

REFS = {"region": "regions", "industry": "industries", "target_audience": "target-audiences",
        "source": "sources", "channel": "channels", "campaign": "campaigns"}


class ContactOut(Schema):
    id: int
    client: int
    name: str
    position: str
    phone: str
    email: str
    is_primary: bool
    created_at: dt.datetime


class ClientOut(Schema):
    id: int
    kind: str
    name: str
    status: str
    inn: str
    phone: str
    email: str
    website: str
    address: str
    rating: str
    responsible: UserRef | None
    region: Ref | None
    industry: Ref | None
    target_audience: Ref | None
    source: Ref | None
    channel: Ref | None
    campaign: Ref | None
    refusal_reason: Ref | None
    custom: dict[str, Any]
    notes: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


def contact_out(contact) -> dict[str, Any]:
    return {"id": contact.pk, "client": contact.client_id, "name": contact.name, "position": contact.position,
            "phone": contact.phone, "email": contact.email, "is_primary": contact.is_primary,
            "created_at": contact.created_at}


def client_out(c) -> dict[str, Any]:
    return {
        "id": c.pk, "kind": c.kind, "name": c.name, "status": c.status, "inn": c.inn, "phone": c.phone,
        "email": c.email, "website": c.website, "address": c.address, "rating": c.rating,
        "responsible": user_ref(c.responsible), "region": ref(c.region), "industry": ref(c.industry),
        "target_audience": ref(c.target_audience), "source": ref(c.source), "channel": ref(c.channel),
        "campaign": ref(c.campaign), "refusal_reason": ref(c.refusal_reason), "custom": c.custom or {},
        "notes": c.notes, "version": c.version, "created_at": c.created_at, "updated_at": c.updated_at,
    }


LIST_RELATIONS = ("responsible", "region", "industry", "target_audience", "source", "channel", "campaign",
                  "refusal_reason")


class ClientFilters(Schema):
    q: Annotated[str, Field(max_length=100)] = ""
    status: Literal["lead", "client", "refused", "archived", ""] = ""
    rating: Literal["A", "B", "C", ""] = ""
    responsible: Id | None = None
    region: Id | None = None
    source: Id | None = None
    limit: Limit = 50
    cursor: Cursor | None = None


class ContactIn(Schema):
    name: Text
    phone: Annotated[str, Field(max_length=64)] = ""
    email: Annotated[str, Field(max_length=254)] = ""
    position: Annotated[str, Field(max_length=160)] = ""
    is_primary: bool = False


class ClientFields(Schema):
    """The client's own fields; references are ids of dictionary items and users."""

    kind: Literal["company", "person"] | None = None
    inn: Annotated[str, Field(max_length=32)] | None = None
    phone: Annotated[str, Field(max_length=64)] | None = None
    email: Annotated[str, Field(max_length=254)] | None = None
    website: Text | None = None
    address: Annotated[str, Field(max_length=500)] | None = None
    requisites: LongText | None = None
    notes: LongText | None = None
    rating: Literal["A", "B", "C", ""] | None = None
    region: RefId | None = None
    industry: RefId | None = None
    target_audience: RefId | None = None
    source: RefId | None = None
    channel: RefId | None = None
    campaign: RefId | None = None
    responsible: RefId | None = None
    custom: dict[str, Any] | None = None


class ClientIn(ClientFields):
    name: Text
    contacts: Annotated[list[ContactIn], Field(max_length=20)] = []
    allow_duplicate: bool = False


class ClientPatch(ClientFields):
    name: Text | None = None
    version: Version


def _service_fields(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """Ids to objects (a missing one is a 404 naming the field); ``None`` clears a reference."""
    out = dict(data)
    for field, kind in REFS.items():
        if out.get(field) is not None:
            out[field] = resolve(get_dictionary_item, field, actor=request.auth, kind=kind, item_id=out[field])
    if out.get("responsible") is not None:
        out["responsible"] = resolve(get_user_for_settings, "responsible", actor=request.auth,
                                     user_id=out["responsible"])
    for field in ("inn", "phone", "email", "website", "address", "requisites", "notes", "rating"):
        if field in out and out[field] is None:
            out[field] = ""
    return out


def _client(request: HttpRequest, client_id: int):
    return get_client(actor=request.auth, client_id=client_id)


@router.get("/clients", response={200: Page[ClientOut], **ERRORS}, summary="List clients",
            description="Clients in your scope, newest first. Filters as on the client list; `q` searches the "
                        "name, INN, email, phone and contacts.")
def clients_list(request: HttpRequest, filters: Query[ClientFilters]):
    f = ClientFilter(status=filters.status, rating=filters.rating, responsible=filters.responsible,
                     region=filters.region, source=filters.source, q=filters.q.strip())
    qs = list_clients(actor=request.auth, filters=f).select_related(*LIST_RELATIONS)
    rows, next_url = paginate(request, qs, limit=filters.limit, cursor=filters.cursor)
    return {"items": [client_out(c) for c in rows], "next": next_url}


@router.get("/clients/{client_id}", response={200: ClientOut, **ERRORS}, summary="Get a client")
def clients_get(request: HttpRequest, client_id: Id):
    return client_out(_client(request, client_id))


@router.post("/clients", response={201: ClientOut, **ERRORS}, summary="Create a client",
             description="Refused with 409 `duplicate` when a client with the same phone, email, INN or name "
                         "exists, unless `allow_duplicate` is true.")
def clients_create(request: HttpRequest, payload: ClientIn):
    data = payload.model_dump(exclude_unset=True)
    contacts = data.pop("contacts", [])
    allow = data.pop("allow_duplicate", False)
    custom = data.pop("custom", None)
    name = data.pop("name")
    fields = _service_fields(request, {k: v for k, v in data.items() if v is not None})
    client = create_client(actor=request.auth, name=name, allow_duplicate=allow, contacts=contacts,
                           custom=custom, **fields)
    return Status(201, client_out(client))


@router.patch("/clients/{client_id}", response={200: ClientOut, **ERRORS}, summary="Update a client",
              description="Send the `version` you read: a client changed meanwhile is a 409 `stale`. Only the "
                          "fields sent are changed; `null` clears a reference.")
def clients_update(request: HttpRequest, client_id: Id, payload: ClientPatch):
    client = _client(request, client_id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    custom = data.pop("custom", None)
    if "name" in data and data["name"] is None:
        data["name"] = ""
    client = update_client(actor=request.auth, client=client, custom=custom, expected_version=version,
                           **_service_fields(request, data))
    return client_out(client)


@router.get("/clients/{client_id}/contacts", response={200: Page[ContactOut], **ERRORS},
            summary="List a client's contacts")
def contacts_list(request: HttpRequest, client_id: Id, limit: Limit = 50, cursor: Cursor | None = None):
    client = _client(request, client_id)
    rows, next_url = paginate(request, list_contacts(client=client), limit=limit, cursor=cursor, descending=False)
    return {"items": [contact_out(c) for c in rows], "next": next_url}


@router.post("/clients/{client_id}/contacts", response={201: ContactOut, **ERRORS}, summary="Add a contact")
def contacts_create(request: HttpRequest, client_id: Id, payload: ContactIn):
    client = _client(request, client_id)
    contact = add_contact(actor=request.auth, client=client, **payload.model_dump())
    return Status(201, contact_out(contact))
