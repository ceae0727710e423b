"""The importers of each kind (users, products, clients, deals) and the context they share.

The context turns a row into field values (column, constant or template; value map; ``if_empty`` default),
resolves dictionary entries by name (creating the missing ones through ``catalog.services`` when the mapping
allows, reported), tags every created object with the batch (``ImportedRow``) and collects row errors and
warnings. Small kinds (users, products, clients) go through the domain services row by row; deals, the bulk
of any history, are validated here with the same rules and inserted with ``bulk_create`` in chunks together
with their stage log and first task.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connections, models, router
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.accounts.models import Role, Team, User
from voronka.accounts.permissions import require_assignable
from voronka.accounts.services import create_team, update_team
from voronka.activities.models import Task, TaskStatus
from voronka.activities.services import build_task
from voronka.catalog.fields import coerce_custom
from voronka.catalog.models import (
    Campaign,
    Channel,
    CustomFieldDefinition,
    Industry,
    LostReason,
    Product,
    Region,
    Source,
    TargetAudience,
)
from voronka.catalog.services import create_custom_field, create_dictionary_item, update_dictionary_item
from voronka.clients.models import Client, ClientKind, ClientStatus, Contact
from voronka.clients.normalize import normalize_email, normalize_inn, normalize_name, normalize_phone
from voronka.clients.services import add_contact, create_client, mark_client_won, update_client
from voronka.core.currency import normalize_currency
from voronka.core.dates import parse_moment
from voronka.core.errors import DomainError
from voronka.core.money import parse_money
from voronka.deals.models import Deal, DealStageStay, DealStatus, StageTransition, TransitionKind
from voronka.deals.stays import summarise as summarise_stays
from voronka.imports.mapping import FieldMap, Mapping, MappingError
from voronka.imports.models import ImportBatch, ImportedRow
from voronka.imports.readers import FileError
from voronka.pipelines.models import Pipeline, Stage
from voronka.pipelines.services import add_stage, create_pipeline
from voronka.plans.models import SalesPlan
from voronka.plans.selectors import parse_month
from voronka.plans.services import parse_amount, parse_count, set_plan

MAX_ERRORS = 1000
_STATUSES = frozenset(DealStatus.values)
SAMPLE_ROWS = 20  # rows listed per warning
CHUNK = 1000

DICTIONARIES: dict[str, tuple[type[models.Model], str]] = {
    "region": (Region, "regions"), "industry": (Industry, "industries"),
    "target_audience": (TargetAudience, "target-audiences"), "source": (Source, "sources"),
    "channel": (Channel, "channels"), "campaign": (Campaign, "campaigns"), "product": (Product, "products"),
    "lost_reason": (LostReason, "lost-reasons"),
}


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class RowError(DomainError):
    """A value of one row is refused (raised inside ``process``; collected, never stops the reading)."""


class ImportContext:
    def __init__(self, *, actor: User, batch: ImportBatch, mapping: Mapping, header: list[str]) -> None:
        self.actor, self.batch, self.mapping, self.header = actor, batch, mapping, header
        self.index = {name: i for i, name in enumerate(header) if name}
        self.now = timezone.now()
        self.rows_total = 0
        self.errors: list[dict[str, Any]] = []
        self.error_count = 0
        self.counts: dict[str, dict[str, int]] = {"created": {}, "updated": {}, "skipped": {}}
        self.created_names: dict[str, list[str]] = {}
        self.value_maps: dict[str, Counter] = {}
        self.warnings: dict[str, dict[str, Any]] = {}
        self.pending_tags: list[list[Any]] = []
        self.versions: dict[str, dict[str, int]] = {}
        self._types: dict[type[models.Model], int] = {}
        self._dictionaries: dict[str, dict[str, models.Model]] = {}
        self._custom: dict[tuple[str, str], CustomFieldDefinition] = {}
        self._current_row = 0
        self.last_row = 0
        # A field that is a plain column (no constant, template, value map or empty default) is read by index.
        self._plain = {name: self.index[fm.column] for name, fm in mapping.fields.items()
                       if fm.column and fm.column in self.index and fm.value is None and not fm.template
                       and not fm.values and fm.if_empty is None}
        self._assignable: set[int] = set()
        self._custom_names: dict[str, list[str]] = {}

    # --- reading values -------------------------------------------------------------------------------------

    def check_columns(self) -> None:
        missing = sorted({c for fm in self.mapping.fields.values() for c in fm.columns() if c not in self.index})
        if missing:
            raise FileError(_("The file has no column(s) %(missing)s named in the mapping; its columns: %(cols)s.")
                            % {"missing": ", ".join(f"“{c}”" for c in missing),
                               "cols": ", ".join(f"“{c}”" for c in self.header if c)}, field="file")

    def column_of(self, name: str) -> str:
        fm = self.mapping.fields.get(name)
        return (fm.column or fm.template) if fm else ""

    def _cell(self, values: list[Any], column: str) -> Any:
        i = self.index[column]
        value = values[i] if i < len(values) else ""
        return value.strip() if isinstance(value, str) else value

    def get(self, values: list[Any], name: str, *, default: Any = None) -> Any:
        """The value of field ``name`` in this row after the value map and the empty default (or ``default``)."""
        i = self._plain.get(name)
        if i is not None:
            value = values[i] if i < len(values) else ""
            return value.strip() if isinstance(value, str) else value
        fm = self.mapping.fields.get(name)
        if fm is None:
            return default
        if fm.value is not None:
            raw = fm.value
        elif fm.template:
            raw = re.sub(r"\{([^{}]+)\}", lambda m: str(self._cell(values, m.group(1)) or ""), fm.template).strip()
        else:
            raw = self._cell(values, fm.column)
        if fm.values:
            key = str(raw).strip() if raw is not None else ""
            if key in fm.values:
                mapped = fm.values[key]
                if mapped != raw:
                    counter = self.value_maps.get(name)
                    if counter is None:
                        counter = self.value_maps[name] = Counter()
                    counter[f"{key} → {mapped}"] += 1
                raw = mapped
        if _empty(raw) and fm.if_empty is not None:
            self.warn(f"empty_{name}", lambda: _("Empty “%(col)s”: %(field)s set to %(default)s (the mapping's "
                                                 "if_empty).") % {"col": fm.column or name, "field": name,
                                                                  "default": fm.if_empty})
            return fm.if_empty
        return raw

    def raw(self, values: list[Any], name: str) -> Any:
        fm = self.mapping.fields.get(name)
        if fm is None or not fm.column:
            return fm.value if fm is not None else None
        return self._cell(values, fm.column)

    # --- errors and report ----------------------------------------------------------------------------------

    @property
    def too_many_errors(self) -> bool:
        return self.error_count >= MAX_ERRORS

    def error(self, row: int | None, column: str, value: Any, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"row": row, "column": column, "value": "" if value is None else str(value)[:200],
                                "message": str(message)})

    def warn(self, code: str, message: str | Callable[[], str]) -> None:
        entry = self.warnings.get(code)
        if entry is None:
            text = message() if callable(message) else message
            entry = self.warnings[code] = {"code": code, "message": text, "count": 0, "rows": []}
        entry["count"] += 1
        if len(entry["rows"]) < SAMPLE_ROWS and self._current_row:
            entry["rows"].append(self._current_row)

    def count(self, what: str, label: str, n: int = 1) -> None:
        self.counts[what][label] = self.counts[what].get(label, 0) + n

    def row(self, number: int, values: list[Any], process: Callable[[int, list[Any]], None]) -> None:
        self._current_row = self.last_row = number
        try:
            process(number, values)
        except DomainError as exc:
            name = exc.field or ""
            column = self.column_of(name) or name
            value = self.raw(values, name) if name in self.mapping.fields else ""
            self.error(number, column, value, exc.message)
        finally:
            self._current_row = 0

    def guard(self, step: Callable[[], None]) -> None:
        try:
            step()
        except DomainError as exc:
            self.error(None, exc.field or "", "", exc.message)
        except IntegrityError as exc:
            self.error(None, "", "", _("The database refused the batch: %(e)s") % {"e": exc})

    def report_dict(self) -> dict[str, Any]:
        return {
            "created_dictionaries": self.created_names,
            "value_maps": {k: dict(v) for k, v in self.value_maps.items()},
            "warnings": list(self.warnings.values()),
            "errors_total": self.error_count,
            **({"versions": self.versions} if self.versions else {}),
        }

    # --- tagging ------------------------------------------------------------------------------------------

    def tag(self, *objects: models.Model) -> None:
        for o in objects:
            self.tag_ids(type(o), [o.pk])

    def tag_ids(self, model: type[models.Model], ids: list[int]) -> None:
        ct = self._types.get(model)
        if ct is None:
            ct = self._types[model] = ContentType.objects.get_for_model(model, for_concrete_model=True).pk
        batch = self.batch.pk
        self.pending_tags.extend([batch, ct, pk] for pk in ids)  # ImportedRow's columns, in their order
        if len(self.pending_tags) >= CHUNK:
            self.flush_tags()

    def flush_tags(self) -> None:
        if not self.pending_tags:
            return
        insert_prepared(ImportedRow, ("batch_id", "content_type_id", "object_id"), self.pending_tags)
        self.pending_tags = []

    def created_ids(self, label: str, model: type[models.Model], ids: list[int]) -> None:
        self.count("created", label, len(ids))
        self.tag_ids(model, ids)

    def created(self, label: str, *objects: models.Model) -> None:
        self.count("created", label, len(objects))
        self.tag(*objects)

    # --- dictionaries ---------------------------------------------------------------------------------------

    def dictionary(self, name: str, value: Any) -> models.Model | None:
        """The entry of dictionary ``name`` called ``value`` (case-insensitive), created if the mapping allows."""
        if _empty(value):
            return None
        model, slug = DICTIONARIES[name]
        cache = self._dictionaries.get(name)
        if cache is None:
            cache = {item.name.casefold(): item for item in model.objects.all()}
            self._dictionaries[name] = cache
        text = " ".join(str(value).split())
        found = cache.get(text.casefold())
        if found is not None:
            return found
        fm = self.mapping.fields.get(name)
        allowed = fm.create if fm is not None and fm.create is not None else name != "product"
        if not allowed:
            raise RowError(_("No %(dict)s “%(v)s” (the mapping does not allow creating it).")
                           % {"dict": model._meta.verbose_name, "v": text}, field=name)
        item = create_dictionary_item(actor=self.actor, kind=slug, name=text)
        cache[text.casefold()] = item
        self.created_names.setdefault(name, []).append(text)
        self.created(slug.replace("-", " "), item)
        return item

    def custom_definition(self, entity: str, key: str) -> CustomFieldDefinition:
        """The custom field ``key`` of ``entity``; created (as declared in ``custom_fields``, reported) if missing."""
        cached = self._custom.get((entity, key))
        if cached is not None:
            return cached
        definition = CustomFieldDefinition.objects.filter(entity=entity, key=key, is_active=True).first()
        if definition is None:
            declared = next((d for d in self.mapping.raw.get("custom_fields") or []
                             if isinstance(d, dict) and d.get("key") == key and d.get("entity", entity) == entity),
                            None)
            if declared is None:
                raise MappingError(_("No active custom field “%(k)s” on %(e)s; declare it under custom_fields.")
                                   % {"k": key, "e": entity}, field=f"cf:{key}")
            definition = create_custom_field(actor=self.actor, entity=entity, key=key,
                                             label=str(declared.get("label") or key),
                                             field_type=str(declared.get("type") or "text"),
                                             decimal_places=declared.get("decimal_places"))
            self.created_names.setdefault("custom_fields", []).append(f"{entity}.{key}")
            self.created("custom fields", definition)
        self._custom[(entity, key)] = definition
        return definition

    def custom_values(self, values: list[Any], entity: str, prefix: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        names = self._custom_names.get(prefix)
        if names is None:
            names = self._custom_names[prefix] = [n for n in self.mapping.fields if n.startswith(prefix)]
        for name in names:
            definition = self.custom_definition(entity, name[len(prefix):])
            value = coerce_custom(definition, self.get(values, name), field=name)
            if value is not None:
                out[definition.key] = value
        return out

    # --- people --------------------------------------------------------------------------------------------

    def user_index(self) -> dict[str, User]:
        if not hasattr(self, "_users"):
            self._users: dict[str, User] = {}
            for user in User.objects.filter(is_system=False):
                self.index_user(user)
        return self._users

    def index_user(self, user: User) -> None:
        users = self._users
        for key in (user.username, user.email, user.get_full_name(),
                    f"{user.last_name} {user.first_name}".strip()):
            if key:
                users.setdefault(key.casefold(), user)

    def find_user(self, value: Any, field: str) -> User | None:
        """A user by username, email or full name (either order), case-insensitive."""
        if _empty(value):
            return None
        user = self.user_index().get(" ".join(str(value).split()).casefold())
        if user is None:
            raise RowError(_("No user “%(v)s” (by username, email or full name).") % {"v": value}, field=field)
        return user


_CONVERTED = ("DateTimeField", "DateField", "TimeField", "DecimalField", "JSONField")


MEMO_LIMIT = 50_000  # distinct values kept per converter (cleared past it: memory stays flat)


def _memo(convert: Any) -> Any:
    """Dates and moments repeat a lot in a history (one per day): convert each distinct value once."""
    cache: dict[Any, Any] = {}

    def converted(value: Any) -> Any:
        try:
            return cache[value]
        except KeyError:
            if len(cache) >= MEMO_LIMIT:
                cache.clear()
            result = cache[value] = convert(value)
            return result

    return converted


def _json(convert: Any) -> Any:
    """JSON values are mostly the empty object (no custom fields mapped): encode that one once."""
    empty = convert({})

    def converted(value: Any) -> Any:
        return empty if value == {} else convert(value)

    return converted


_PLANS: dict[tuple[type[models.Model], str], tuple[Any, list[models.Field], list[Any], dict[str, Any]]] = {}


def _plan(model: type[models.Model]) -> tuple[Any, list[models.Field], list[Any], dict[str, Any]]:
    """The real connection, the insertable fields, a converter per field (``None``: the value goes as it is)
    and the defaults; built once per model and connection, so the converters' memos span the whole batch."""
    alias = router.db_for_write(model)
    conn = connections[alias]
    key = (model, alias)
    found = _PLANS.get(key)
    if found is not None and found[0] is conn:  # defaults afresh (a default may be a moment or a new object)
        return conn, found[1], found[2], {f.attname: f.get_default() for f in found[1]}
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    converters: list[Any] = []
    for f in fields:
        kind = f.get_internal_type()
        convert = partial(f.get_db_prep_save, connection=conn) if kind in _CONVERTED else None
        if convert is not None:
            convert = _json(convert) if kind == "JSONField" else _memo(convert)
        converters.append(convert)
    plan = _PLANS[key] = (conn, fields, converters, {f.attname: f.get_default() for f in fields})
    return plan


def _params(rows: list[dict[str, Any]], fields: list[models.Field], converters: list[Any],
            defaults: dict[str, Any]) -> list[list[Any]]:
    names = [(f.attname, defaults[f.attname]) for f in fields]
    converted = [(i, convert) for i, convert in enumerate(converters) if convert is not None]
    out = []
    for row in rows:
        get = row.get
        values = [get(name, default) for name, default in names]
        for i, convert in converted:
            values[i] = convert(values[i])
        out.append(values)
    return out


def insert_rows(model: type[models.Model], rows: list[dict[str, Any]]) -> None:
    """INSERT plain rows (``attname -> value``, defaults for the rest) with one ``executemany``: no model
    instances, for the tables whose ids nobody reads back (the stage log, first tasks, batch tags)."""
    if not rows:
        return
    conn, fields, converters, defaults = _plan(model)
    if conn.vendor == "postgresql":  # COPY: one stream, no statement to parse
        _copy(conn, model, fields, _params(rows, fields, converters, defaults))
        return
    if conn.vendor != "sqlite":  # one round trip per statement, not per row
        _insert_values(model, rows, returning=False)
        return
    qn = conn.ops.quote_name
    sql = (f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    with conn.cursor() as cursor:
        cursor.executemany(sql, _params(rows, fields, converters, defaults))


def insert_prepared(model: type[models.Model], columns: tuple[str, ...], params: list[list[Any]]) -> None:
    """INSERT rows given as lists of database-ready values for ``columns``, which must be the model's
    insertable fields in their order (no defaults, no conversion): the batch tags, ids only."""
    if not params:
        return
    conn, fields, _converters, _defaults = _plan(model)
    if tuple(f.attname for f in fields) != columns:  # pragma: no cover - the model changed under the caller
        raise TypeError(f"{model._meta.label} columns are {[f.attname for f in fields]}, not {columns}")
    if conn.vendor == "postgresql":
        _copy(conn, model, fields, params)
        return
    qn = conn.ops.quote_name
    sql = (f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    with conn.cursor() as cursor:
        cursor.executemany(sql, params)


def insert_returning(model: type[models.Model], rows: list[dict[str, Any]]) -> list[int]:
    """INSERT rows with multi-row ``VALUES ... RETURNING id`` (SQLite ≥ 3.35, PostgreSQL), the new ids in row
    order, as ``bulk_create`` does but without building and preparing model instances."""
    return _insert_values(model, rows, returning=True)


def _copy(conn: Any, model: type[models.Model], fields: list[models.Field], params: list[list[Any]],
          ids: list[int] | None = None) -> None:
    """PostgreSQL ``COPY ... FROM STDIN`` of prepared rows (with explicit ids when given)."""
    qn = conn.ops.quote_name
    columns = [f.column for f in fields] if ids is None else [model._meta.pk.column, *(f.column for f in fields)]
    sql = f"COPY {qn(model._meta.db_table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN"
    with conn.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for i, values in enumerate(params):
            copy.write_row(values if ids is None else [ids[i], *values])


def _insert_values(model: type[models.Model], rows: list[dict[str, Any]], *, returning: bool) -> list[int]:
    if not rows:
        return []
    if returning and connections[router.db_for_write(model)].vendor == "postgresql":
        conn, fields, converters, defaults = _plan(model)
        qn = conn.ops.quote_name
        with conn.cursor() as cursor:  # ids reserved from the sequence (safe with concurrent writers), then COPY
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                           [qn(model._meta.db_table), model._meta.pk.column, len(rows)])
            ids = [r[0] for r in cursor.fetchall()]
        _copy(conn, model, fields, _params(rows, fields, converters, defaults), ids=ids)
        return ids
    conn, fields, converters, defaults = _plan(model)
    qn = conn.ops.quote_name
    limit = conn.features.max_query_params
    if conn.vendor == "sqlite":
        import sqlite3

        limit = conn.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) if conn.connection else limit
    per_statement = max(1, min(CHUNK, (limit or 65535) // len(fields)))
    head = f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) VALUES "
    one = f"({', '.join(['%s'] * len(fields))})"
    pk = qn(model._meta.pk.column)
    ids: list[int] = []
    params = _params(rows, fields, converters, defaults)
    with conn.cursor() as cursor:
        for start in range(0, len(params), per_statement):
            part = params[start:start + per_statement]
            cursor.execute(head + ", ".join([one] * len(part)) + (f" RETURNING {pk}" if returning else ""),
                           [v for values in part for v in values])
            if returning:
                ids.extend(r[0] for r in cursor.fetchall())
    return ids


# --- parsing helpers -------------------------------------------------------------------------------------------

_MOMENTS: dict[tuple[str, str, str], dt.datetime] = {}
_TITLE = gettext_lazy("Title")


def parse_when(value: Any, *, field: str, fmt: str = "", tzname: str = "") -> dt.datetime | None:
    """A moment from a date or date-time cell (ISO or Russian), aware in the project's time zone (each
    distinct text parsed once: a history repeats its dates). ``tzname``: the current zone's name, when the
    caller knows it."""
    if _empty(value):
        return None
    if isinstance(value, str):
        key = (value, fmt, tzname or timezone.get_current_timezone_name())
        found = _MOMENTS.get(key)
        if found is None:
            found = _parse_when(value, field=field, fmt=fmt)
            if len(_MOMENTS) > 100_000:
                _MOMENTS.clear()
            _MOMENTS[key] = found
        return found
    return _parse_when(value, field=field, fmt=fmt)


def _parse_when(value: Any, *, field: str, fmt: str = "") -> dt.datetime:
    try:
        moment = parse_moment(value, fmt=fmt)
    except (ValueError, OverflowError) as exc:
        raise RowError(_("Not a date: use YYYY-MM-DD or DD.MM.YYYY."), field=field) from exc
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime(moment.year, moment.month, moment.day)
    if not 1900 <= moment.year <= 2200:
        raise RowError(_("The date is out of range (1900–2200)."), field=field)
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def text_of(value: Any, *, field: str, limit: int, required: bool = False, label: str = "") -> str:
    text = "" if value is None else (f"{value:g}" if isinstance(value, float) else str(value)).strip()
    if required and not text:
        raise RowError(_("%(f)s is empty.") % {"f": label or field}, field=field)
    if len(text) > limit:
        raise RowError(_("At most %(n)s characters (now %(len)s).") % {"n": limit, "len": len(text)}, field=field)
    return text


def money_of(value: Any, *, field: str) -> Decimal | None:
    if _empty(value):
        return None
    return parse_money(value, field=field)


# --- importers ---------------------------------------------------------------------------------------------------

class Importer:
    FIELDS: tuple[str, ...] = ()

    def __init__(self, ctx: ImportContext) -> None:
        self.ctx = ctx
        self.mapping = ctx.mapping

    def prepare(self) -> None:
        """Checks and lookups before the first row."""

    def process(self, number: int, values: list[Any]) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        self.ctx.flush_tags()


def _username_from(name: str) -> str:
    return re.sub(r"[^\w.@+-]", "", ".".join(name.lower().split()))[:150]


class UsersImporter(Importer):
    """Users with their teams and team leads. A ``lead`` column names the team's lead (created as a user with
    the team lead role if missing); a second, different lead named for one team is reported."""

    FIELDS = ("name", "username", "email", "first_name", "last_name", "role", "team", "lead", "phone")

    def prepare(self) -> None:
        if "name" not in self.mapping.fields and "username" not in self.mapping.fields:
            raise MappingError(_("Map “name” or “username”."), field="name")
        self.teams = {t.name.casefold(): t for t in Team.objects.all()}
        self.ctx.user_index()

    def team(self, value: Any) -> Team | None:
        if _empty(value):
            return None
        name = " ".join(str(value).split())
        team = self.teams.get(name.casefold())
        if team is None:
            team = create_team(actor=self.ctx.actor, name=name)
            self.teams[name.casefold()] = team
            self.ctx.created_names.setdefault("team", []).append(name)
            self.ctx.created("teams", team)
        return team

    def ensure_user(self, *, name: str, username: str, email: str, role: str, team: Team | None,
                    phone: str = "", first: str = "", last: str = "") -> tuple[User, bool]:
        existing = self.ctx.user_index().get((username or "").casefold()) or (
            self.ctx.user_index().get(email.casefold()) if email else None) or (
            self.ctx.user_index().get(name.casefold()) if name else None)
        if existing is not None:
            return existing, False
        if not first and not last and name:
            first, _sep, last = name.partition(" ")
        username = username or _username_from(name)
        try:
            User.username_validator(username)
        except ValidationError as exc:
            raise RowError(" ".join(exc.messages), field="username") from exc
        if not username:
            raise RowError(_("Enter the username."), field="username")
        if User.objects.filter(username__iexact=username).exists():
            raise RowError(_("The username “%(u)s” is taken.") % {"u": username}, field="username")
        user = User(username=username, email=email, role=role, team=team, phone=phone[:32],
                    first_name=first[:150], last_name=last[:150])
        user.set_unusable_password()  # imported people sign in after an admin sets or resets their password
        user.save()
        self.ctx.index_user(user)
        self.ctx.created("users", user)
        return user, True

    def process(self, number: int, values: list[Any]) -> None:
        ctx = self.ctx
        name = text_of(ctx.get(values, "name"), field="name", limit=300)
        first = text_of(ctx.get(values, "first_name"), field="first_name", limit=150)
        last = text_of(ctx.get(values, "last_name"), field="last_name", limit=150)
        name = name or f"{first} {last}".strip()
        username = text_of(ctx.get(values, "username"), field="username", limit=150)
        if not name and not username:
            raise RowError(_("The name is empty."), field="name")
        email = text_of(ctx.get(values, "email"), field="email", limit=254).lower()
        if email:
            try:
                validate_email(email)
            except ValidationError as exc:
                raise RowError(_("Not an email address."), field="email") from exc
        role = text_of(ctx.get(values, "role", default=Role.MANAGER), field="role", limit=16).lower() or Role.MANAGER
        if role not in Role.values:
            raise RowError(_("Unknown role; one of: %(r)s.") % {"r": ", ".join(Role.values)}, field="role")
        team = self.team(ctx.get(values, "team"))
        lead_name = text_of(ctx.get(values, "lead"), field="lead", limit=300)
        if lead_name:
            if team is None:
                raise RowError(_("A team lead is named but the team is empty."), field="team")
            lead, _created = self.ensure_user(name=lead_name, username="", email="", role=Role.LEAD, team=team)
            if team.lead_id is None:
                update_team(actor=ctx.actor, team=team, name=team.name, lead=lead)
            elif team.lead_id != lead.pk:
                ctx.warn(f"second_lead:{team.name}:{lead.pk}",
                         _("Team “%(t)s” is led by %(a)s; %(b)s is named as lead too: %(b)s joins the team with "
                           "the team lead role, the team keeps one lead.") % {"t": team.name, "a": team.lead,
                                                                              "b": lead})
        _user, created = self.ensure_user(name=name, username=username, email=email, role=role, team=team,
                                         phone=text_of(ctx.get(values, "phone"), field="phone", limit=32),
                                         first=first, last=last)
        if not created:
            ctx.count("skipped", "users")
            ctx.warn("user_exists", _("Users that exist already are matched and left unchanged."))


class ProductsImporter(Importer):
    FIELDS = ("name", "sku", "price", "currency", "is_active")

    def prepare(self) -> None:
        if "name" not in self.mapping.fields:
            raise MappingError(_("Map “name”."), field="name")
        self.existing = {p.name.casefold(): p for p in Product.objects.all()}
        self.policy = self.mapping.option("dedupe", "skip")

    def process(self, number: int, values: list[Any]) -> None:
        ctx = self.ctx
        name = " ".join(text_of(ctx.get(values, "name"), field="name", limit=160, required=True).split())
        fields: dict[str, Any] = {}
        price = money_of(ctx.get(values, "price"), field="price")
        if price is not None:
            fields["price"] = price
        currency = ctx.get(values, "currency")
        if not _empty(currency):
            fields["currency"] = currency
        sku = text_of(ctx.get(values, "sku"), field="sku", limit=64)
        if sku:
            fields["sku"] = sku
        found = self.existing.get(name.casefold())
        if found is not None:
            if self.policy == "update":
                update_dictionary_item(actor=ctx.actor, kind="products", item=found, **fields)
                ctx.count("updated", "products")
            else:
                ctx.count("skipped", "products")
                ctx.warn("product_exists", _("Products that exist already (by name) are skipped (dedupe: skip)."))
            return
        product = create_dictionary_item(actor=ctx.actor, kind="products", name=name, **fields)
        self.existing[name.casefold()] = product
        ctx.created("products", product)


CLIENT_TEXT = {"inn": 12, "phone": 64, "email": 254, "website": 255, "address": 500, "notes": 10_000,
               "requisites": 4_000}


class ClientsImporter(Importer):
    """Clients (companies by default) through ``clients.services``; duplicates by INN, email, phone or
    normalised name are skipped, updated or created again as ``options.dedupe`` says, each one reported."""

    FIELDS = ("name", "kind", *CLIENT_TEXT, "region", "industry", "target_audience", "source", "channel",
              "campaign", "rating", "responsible")

    def prepare(self) -> None:
        if "name" not in self.mapping.fields:
            raise MappingError(_("Map “name”."), field="name")
        self.policy = self.mapping.option("dedupe", "skip")
        self.keys: dict[tuple[str, str], int] = {}
        for row in Client.objects.values("pk", "name_normalized", "inn", "email", "phone"):
            self._remember(row["pk"], row["name_normalized"], row["inn"], row["email"], row["phone"])
        self.default_responsible: User | None = None
        default = self.mapping.option("default_responsible")
        if default:
            self.default_responsible = self.ctx.find_user(default, "responsible")
        elif not self.ctx.actor.is_system:
            self.default_responsible = self.ctx.actor

    def _remember(self, pk: int, name: str, inn: str, email: str, phone: str) -> None:
        for key in (("inn", inn), ("email", email), ("phone", phone), ("name", name)):
            if key[1]:
                self.keys.setdefault(key, pk)

    def process(self, number: int, values: list[Any]) -> None:
        ctx = self.ctx
        name = text_of(ctx.get(values, "name"), field="name", limit=255, required=True)
        data: dict[str, Any] = {}
        for field, limit in CLIENT_TEXT.items():
            if field in self.mapping.fields:
                data[field] = text_of(ctx.get(values, field), field=field, limit=limit)
        data["phone"] = normalize_phone(data.get("phone", ""))
        data["email"] = normalize_email(data.get("email", ""))
        data["inn"] = normalize_inn(data.get("inn", ""))
        kind = str(ctx.get(values, "kind", default=ClientKind.COMPANY) or ClientKind.COMPANY).lower()
        if kind not in ClientKind.values:
            raise RowError(_("Kind is company or person."), field="kind")
        data["kind"] = kind
        rating = str(ctx.get(values, "rating", default="") or "").upper()
        if rating not in ("", "A", "B", "C"):
            raise RowError(_("The rating is A, B or C."), field="rating")
        data["rating"] = rating
        for field in ("region", "industry", "target_audience", "source", "channel", "campaign"):
            if field in self.mapping.fields:
                data[field] = ctx.dictionary(field, ctx.get(values, field))
        responsible = ctx.find_user(ctx.get(values, "responsible"), "responsible") or self.default_responsible
        if responsible is None:
            raise RowError(_("No responsible manager: map “responsible” or set options.default_responsible."),
                           field="responsible")
        custom = ctx.custom_values(values, "client", "cf:")
        normalized = normalize_name(name)
        match = next((self.keys[k] for k in (("inn", data["inn"]), ("email", data["email"]),
                                             ("phone", data["phone"]), ("name", normalized))
                      if k[1] and k in self.keys), None)
        if match is not None and self.policy != "create":
            if self.policy == "skip":
                ctx.count("skipped", "clients")
                ctx.warn("client_duplicate", _("Duplicates of existing clients (INN, email, phone or name) are "
                                               "skipped (dedupe: skip)."))
                return
            client = Client.objects.get(pk=match)
            update_client(actor=ctx.actor, client=client, custom=custom or None,
                          **{k: v for k, v in data.items() if v not in ("", None)})
            ctx.count("updated", "clients")
            return
        if match is not None:
            ctx.warn("client_duplicate_created", _("Duplicates of existing clients are created again (dedupe: "
                                                   "create)."))
        client = create_client(actor=ctx.actor, name=name, responsible=responsible, allow_duplicate=True,
                               custom=custom or None, **data)
        self._remember(client.pk, client.name_normalized, client.inn, client.email, client.phone)
        ctx.created("clients", client)


class DealsImporter(Importer):
    """Deals with their history: stage, status, created and closed moments stored as given, the stage log
    (``created`` on the stage, then ``won``/``lost`` from it at the close) and, for open deals, the first task
    (invariant 1). Rules: the owner can hold records, a won deal has a positive amount (when configured) and a
    close date, a lost one a reason and a close date, an open one none, the close is not before the creation."""

    FIELDS = ("title", "pipeline", "stage", "status", "client", "owner", "amount", "currency", "product",
              "source", "channel", "campaign", "created_at", "closed_at", "expected_close_date", "lost_reason",
              "lost_comment")

    def prepare(self) -> None:
        for required in ("title", "stage", "client", "owner"):
            if required not in self.mapping.fields:
                raise MappingError(_("Map “%(f)s”.") % {"f": required}, field=required)
        self.pipelines: dict[str, Pipeline] = {}
        for p in Pipeline.objects.filter(is_active=True):
            self.pipelines.setdefault(p.slug.casefold(), p)
            self.pipelines.setdefault(p.name.casefold(), p)
        self.stages: dict[tuple[int, str], Stage] = {}
        for s in Stage.objects.filter(is_archived=False):
            self.stages.setdefault((s.pipeline_id, s.slug.casefold()), s)
            self.stages.setdefault((s.pipeline_id, s.name.casefold()), s)
        self.default_pipeline = self._declared_pipeline()
        self.clients: dict[str, int] = {}
        for pk, normalized in Client.objects.order_by("pk").values_list("pk", "name_normalized"):
            self.clients.setdefault(normalized, pk)
        self.by_text: dict[str, int] = {}  # the cell's text -> client id, so each name is normalised once
        self.placeholders: dict[str, int] = {}
        self.new_clients: list[int] = []
        self.ctx.user_index()
        self.task_spec = self.mapping.option("open_deal_task", {"title": _("Imported deal: plan the next step")})
        if not isinstance(self.task_spec, dict) or not self.task_spec:  # invariant 1: no open deal without one
            raise MappingError(_("options.open_deal_task is a dictionary (title, kind, due_in_days)."),
                               field="open_deal_task")
        try:
            days = int(self.task_spec.get("due_in_days", 1))
        except (TypeError, ValueError) as exc:
            raise MappingError(_("options.open_deal_task.due_in_days is a number of days."),
                               field="open_deal_task") from exc
        spec = {k: v for k, v in self.task_spec.items() if k != "due_in_days"}
        spec["due_date"] = timezone.localdate() + dt.timedelta(days=days)
        # Validated once by the activities service (title, kind, date); every open deal gets this task.
        probe = build_task(actor=self.ctx.actor, spec=spec, client=Client(pk=0), keep_assignee=self.ctx.actor)
        self.task_fields: dict[str, Any] = {"title": probe.title, "kind": probe.kind, "due_date": probe.due_date,
                                            "due_time": probe.due_time}
        self.touched_clients: set[int] = set()
        self.deal_range: list[int] = []
        self.pending: list[tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any] | None]] = []
        self.won_clients: set[int] = set()
        self.currency = settings.VORONKA_DEFAULT_CURRENCY
        # Read once, not per row:
        fields = self.mapping.fields
        self.won_requires_amount = settings.VORONKA_WON_REQUIRES_AMOUNT
        self.tzname = timezone.get_current_timezone_name()
        self.created_fmt = fields["created_at"].fmt if "created_at" in fields else ""
        self.closed_fmt = fields["closed_at"].fmt if "closed_at" in fields else ""
        self.mapped_dictionaries = [n for n in ("product", "source", "channel", "campaign") if n in fields]
        self.maps_expected = "expected_close_date" in fields
        self.maps_comment = "lost_comment" in fields
        self.has_custom = any(n.startswith("cf:") for n in fields)
        self.by = self.ctx.actor.pk

    def _declared_pipeline(self) -> Pipeline | None:
        spec = self.mapping.raw.get("pipeline")
        if spec is None:
            return None
        if not isinstance(spec, dict) or not spec.get("name"):
            raise MappingError(_("“pipeline” is a dictionary with name, slug and stages."), field="pipeline")
        found = self.pipelines.get(str(spec.get("slug") or "").casefold()) or self.pipelines.get(
            str(spec["name"]).casefold())
        if found is None:
            found = create_pipeline(actor=self.ctx.actor, name=str(spec["name"]), slug=str(spec.get("slug") or ""))
            self.pipelines[found.slug.casefold()] = found
            self.ctx.created_names.setdefault("pipeline", []).append(found.name)
            self.ctx.created("pipelines", found)
        for name in spec.get("stages") or []:
            name = str(name)
            if (found.pk, name.casefold()) not in self.stages:
                stage = add_stage(actor=self.ctx.actor, pipeline=found, name=name)
                self.stages[(found.pk, name.casefold())] = stage
                self.stages[(found.pk, stage.slug.casefold())] = stage
                self.ctx.created_names.setdefault("stage", []).append(f"{found.name}: {name}")
                self.ctx.created("stages", stage)
        return found

    def _pipeline(self, values: list[Any]) -> Pipeline:
        value = self.ctx.get(values, "pipeline")
        if _empty(value):
            if self.default_pipeline is None:
                raise RowError(_("No pipeline: map “pipeline” or declare one."), field="pipeline")
            return self.default_pipeline
        found = self.pipelines.get(str(value).strip().casefold())
        if found is None:
            raise RowError(_("No active pipeline “%(v)s”.") % {"v": value}, field="pipeline")
        return found

    def _client(self, values: list[Any], owner: User) -> int:
        ctx = self.ctx
        fm: FieldMap = self.mapping.fields["client"]
        value = ctx.raw(values, "client") if fm.column else ctx.get(values, "client")
        if fm.values and str(value) in fm.values:
            value = ctx.get(values, "client")
        if _empty(value):
            placeholder = fm.if_empty.get("placeholder") if isinstance(fm.if_empty, dict) else None
            if not placeholder:
                raise RowError(_("The client is empty."), field="client")
            ctx.warn("placeholder_client", lambda: _("No client in the row: the deal goes to the placeholder "
                                                     "client “%(p)s” (the mapping's if_empty).") % {"p": placeholder})
            return self._placeholder(str(placeholder), owner)
        text = str(value)
        pk = self.by_text.get(text)
        if pk is not None:
            return pk
        normalized = normalize_name(text)
        pk = self.clients.get(normalized)
        if pk is not None:
            self.by_text[text] = pk
        if pk is None:
            if not fm.create:
                raise RowError(_("No client “%(v)s” (import the clients first, or set create: true).")
                               % {"v": value}, field="client")
            client = create_client(actor=ctx.actor, name=str(value).strip()[:255], responsible=owner,
                                   allow_duplicate=True)
            ctx.created("clients", client)
            ctx.created_names.setdefault("client", []).append(client.name)
            pk = self.clients[normalized] = client.pk
            self.new_clients.append(pk)
        return pk

    def _placeholder(self, name: str, owner: User) -> int:
        pk = self.placeholders.get(name) or self.clients.get(normalize_name(name))
        if pk is None:
            client = create_client(actor=self.ctx.actor, name=name, responsible=self.ctx.actor
                                   if not self.ctx.actor.is_system else owner, allow_duplicate=True,
                                   notes=_("Placeholder for imported deals without a client (batch %(b)s).")
                                   % {"b": self.ctx.batch.pk})
            self.ctx.created("clients", client)
            self.ctx.created_names.setdefault("client", []).append(name)
            pk = client.pk
            self.new_clients.append(pk)
            self.clients[client.name_normalized] = pk
        self.placeholders[name] = pk
        return pk

    def process(self, number: int, values: list[Any]) -> None:
        ctx = self.ctx
        title = text_of(ctx.get(values, "title"), field="title", limit=255, required=True, label=_TITLE)
        pipeline = self._pipeline(values)
        stage_name = ctx.get(values, "stage")
        if _empty(stage_name):
            raise RowError(_("The stage is empty."), field="stage")
        stage = self.stages.get((pipeline.pk, str(stage_name).strip().casefold()))
        if stage is None:
            raise RowError(_("No stage “%(s)s” in pipeline “%(p)s”.") % {"s": stage_name, "p": pipeline.name},
                           field="stage")
        status = str(ctx.get(values, "status", default=DealStatus.OPEN) or DealStatus.OPEN).strip().lower()
        if status not in _STATUSES:
            raise RowError(_("The status is open, won or lost (map other values with “values”)."), field="status")
        owner = ctx.find_user(ctx.get(values, "owner"), "owner")
        if owner is None:
            raise RowError(_("The owner is empty."), field="owner")
        if owner.pk not in ctx._assignable:  # the same few owners on every row: checked once each
            require_assignable(ctx.actor, owner)
            ctx._assignable.add(owner.pk)
        client_id = self._client(values, owner)
        amount = money_of(ctx.get(values, "amount"), field="amount") or Decimal("0")
        currency = self.currency
        raw_currency = ctx.get(values, "currency")
        if not _empty(raw_currency):
            currency = normalize_currency(raw_currency)
            if currency is None:
                raise RowError(_("Enter an ISO 4217 currency code, e.g. RUB, USD or EUR."), field="currency")
        created_value = ctx.get(values, "created_at")
        created_at = ctx.now if created_value == "now" else parse_when(created_value, field="created_at",
                                                                        fmt=self.created_fmt, tzname=self.tzname)
        if created_at is None:
            raise RowError(_("The creation date is empty (give if_empty: now to use the import moment)."),
                           field="created_at")
        closed_at = parse_when(ctx.get(values, "closed_at"), field="closed_at", fmt=self.closed_fmt,
                               tzname=self.tzname)
        lost_reason = None
        if status == DealStatus.OPEN:
            if closed_at is not None:
                raise RowError(_("An open deal has no close date (map the column to expected_close_date)."),
                               field="closed_at")
        else:
            if closed_at is None:
                raise RowError(_("A closed deal needs its close date."), field="closed_at")
            if closed_at < created_at:
                raise RowError(_("The deal closes before it was created."), field="closed_at")
            if status == DealStatus.WON and self.won_requires_amount and amount <= 0:
                raise RowError(_("A won deal needs an amount greater than zero."), field="amount")
            if status == DealStatus.LOST:
                lost_reason = ctx.dictionary("lost_reason", ctx.get(values, "lost_reason"))
                if lost_reason is None:
                    raise RowError(_("A lost deal needs a lost reason."), field="lost_reason")
        pipeline_id, stage_id, owner_id = pipeline.pk, stage.pk, owner.pk
        deal = {"title": title, "pipeline_id": pipeline_id, "stage_id": stage_id, "furthest_stage_id": stage_id,
                "client_id": client_id, "owner_id": owner_id, "owner_team_id": owner.team_id, "amount": amount,
                "currency": currency, "status": status, "lost_reason_id": self._pk(lost_reason),
                "closed_at": closed_at, "stage_entered_at": created_at, "created_at": created_at,
                "updated_at": ctx.now, "version": 1, "is_new_client": True,
                "custom": ctx.custom_values(values, "deal", "cf:") if self.has_custom else {}}
        for name in self.mapped_dictionaries:  # the unmapped ones stay empty (the insert's defaults)
            deal[f"{name}_id"] = self._pk(ctx.dictionary(name, ctx.get(values, name)))
        if self.maps_expected:
            expected = parse_when(ctx.get(values, "expected_close_date"), field="expected_close_date",
                                  tzname=self.tzname)
            deal["expected_close_date"] = expected.date() if expected else None
        if self.maps_comment:
            deal["lost_comment"] = text_of(ctx.get(values, "lost_comment"), field="lost_comment", limit=4000)
        by = self.by
        log = [{"pipeline_id": pipeline_id, "kind": TransitionKind.CREATED, "from_stage_id": None,
                "to_stage_id": stage_id, "by_user_id": by, "at": created_at, "seconds_in_from_stage": 0}]
        if status != DealStatus.OPEN:
            log.append({"pipeline_id": pipeline_id, "kind": status, "from_stage_id": stage_id, "to_stage_id": None,
                        "by_user_id": by, "at": closed_at,
                        "seconds_in_from_stage": int((closed_at - created_at).total_seconds())})
            if status == DealStatus.WON:
                self.won_clients.add(client_id)
        task = None
        if status == DealStatus.OPEN:
            task = {"assignee_id": owner_id, "client_id": client_id, "created_by_id": by, "created_at": ctx.now,
                    "status": TaskStatus.OPEN, **self.task_fields}
        self.touched_clients.add(client_id)
        self.pending.append((deal, log, task))
        if len(self.pending) >= CHUNK and not ctx.errors:
            self.flush()
        elif ctx.errors:
            self.pending = []

    @staticmethod
    def _pk(obj: models.Model | None) -> int | None:
        return obj.pk if obj is not None else None

    def flush(self) -> None:
        if not self.pending:
            return
        ids = insert_returning(Deal, [d for d, _log, _task in self.pending])
        log: list[dict[str, Any]] = []
        tasks: list[dict[str, Any]] = []
        for deal_id, (_deal, transitions, task) in zip(ids, self.pending, strict=True):
            for t in transitions:
                t["deal_id"] = deal_id
                log.append(t)
            if task is not None:
                task["deal_id"] = deal_id
                tasks.append(task)

        insert_rows(StageTransition, log)
        insert_rows(DealStageStay, summarise_stays(log))  # the per-(deal, stage) summary the reports read
        insert_rows(Task, tasks)
        self.ctx.created_ids("deals", Deal, ids)
        low, high = min(ids), max(ids)
        self.deal_range = [min([*self.deal_range, low]), max([*self.deal_range, high])]
        # The log rows and first tasks go with their deal (cascade) and are not tagged: undo tells them from
        # later ones (the deal's version for moves, the task's creation time for tasks).
        self.ctx.count("created", "stage transitions", len(log))
        self.ctx.count("created", "tasks", len(tasks))
        self.pending = []

    def finish(self) -> None:
        self.flush()
        self.ctx.flush_tags()
        if self.deal_range:
            self._mark_current_clients()
        for client in Client.objects.filter(pk__in=self.won_clients).exclude(status=ClientStatus.CLIENT):
            mark_client_won(client=client)
        if self.new_clients:  # their version as the batch leaves them: undo compares with it, not with 1
            self.ctx.versions["clients.Client"] = {
                str(pk): v for pk, v in Client.objects.filter(pk__in=self.new_clients).values_list("pk", "version")}


    def _mark_current_clients(self) -> None:
        """New vs current client (DESIGN §5): a deal created after the client's first win (its history
        included) is not a new client's. One grouped read of the first wins, one UPDATE per such client."""
        low, high = self.deal_range
        clients = sorted(self.touched_clients)
        for start in range(0, len(clients), 500):
            first_wins = (Deal.objects.filter(client_id__in=clients[start:start + 500], status=DealStatus.WON)
                          .values("client_id").annotate(first=Min("closed_at")).values_list("client_id", "first"))
            pairs = list(first_wins)
            if not pairs:
                continue
            conn = connections[router.db_for_write(Deal)]
            qn, table = conn.ops.quote_name, conn.ops.quote_name(Deal._meta.db_table)
            cast = "CAST(%s AS timestamptz)" if conn.vendor == "postgresql" else "%s"
            values = ", ".join([f"(%s, {cast})"] * len(pairs))
            params: list[Any] = []
            for client_id, first in pairs:
                params += [client_id, conn.ops.adapt_datetimefield_value(first)]
            # One UPDATE ... FROM (VALUES ...) per 500 clients (SQLite ≥ 3.33 and PostgreSQL), not one per client.
            with conn.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET {qn('is_new_client')} = %s FROM (SELECT column1 AS client_id, column2 AS first "
                    f"FROM (VALUES {values}) AS v) AS w "
                    f"WHERE {table}.{qn('client_id')} = w.client_id AND {table}.{qn('created_at')} > w.first "
                    f"AND {table}.{qn('id')} BETWEEN %s AND %s", [False, *params, low, high])


class ContactsImporter(Importer):
    """Contacts of existing clients. The client is found by ``client_inn``, ``client_email``,
    ``client_phone`` or ``client`` (a name, an INN, an email or a phone: tried in that order); a row whose
    client is not found (or is ambiguous) is a row error. A contact whose email or phone the client's
    contacts already have (in the database or earlier rows) is skipped and reported."""

    FIELDS = ("client", "client_inn", "client_email", "client_phone", "name", "position", "phone", "email",
              "is_primary")

    def prepare(self) -> None:
        if "name" not in self.mapping.fields:
            raise MappingError(_("Map “name”."), field="name")
        if not any(f in self.mapping.fields for f in ("client", "client_inn", "client_email", "client_phone")):
            raise MappingError(_("Map “client” (or client_inn, client_email, client_phone)."), field="client")
        self.by_key: dict[tuple[str, str], set[int]] = {}
        for row in Client.objects.values("pk", "name_normalized", "inn", "email", "phone"):
            for key in (("inn", row["inn"]), ("email", row["email"]), ("phone", row["phone"]),
                        ("name", row["name_normalized"])):
                if key[1]:
                    self.by_key.setdefault(key, set()).add(row["pk"])
        self.seen: set[tuple[int, str, str]] = set()
        for client_id, email, phone in Contact.objects.values_list("client_id", "email", "phone"):
            self._remember(client_id, email, phone)
        self.clients: dict[int, Client] = {}

    def _remember(self, client_id: int, email: str, phone: str) -> None:
        if email:
            self.seen.add((client_id, "email", email))
        if phone:
            self.seen.add((client_id, "phone", phone))

    def _lookup(self, kind: str, value: str, field: str) -> int | None:
        found = self.by_key.get((kind, value))
        if not found:
            return None
        if len(found) > 1:
            raise RowError(_("Several clients match “%(v)s”; give the INN, email or phone.") % {"v": value},
                           field=field)
        return next(iter(found))

    def _normalized(self, kind: str, value: str, field: str) -> str:
        try:
            if kind == "inn":
                return normalize_inn(value, field=field)
            if kind == "email":
                return normalize_email(value, field=field)
            if kind == "phone":
                return normalize_phone(value, field=field)
        except DomainError:
            return ""
        return normalize_name(value)

    def client(self, values: list[Any]) -> Client:
        ctx = self.ctx
        pk = None
        given = ""
        for field, kind in (("client_inn", "inn"), ("client_email", "email"), ("client_phone", "phone")):
            value = text_of(ctx.get(values, field), field=field, limit=255)
            if value:
                given = given or field
                pk = self._lookup(kind, self._normalized(kind, value, field), field)
                if pk is not None:
                    break
        if pk is None:
            value = text_of(ctx.get(values, "client"), field="client", limit=255)
            if value:
                given = given or "client"
                for kind in ("inn", "email", "phone", "name"):
                    key = self._normalized(kind, value, "client")
                    if key:
                        pk = self._lookup(kind, key, "client")
                        if pk is not None:
                            break
        if pk is None:
            if not given:
                raise RowError(_("The client is empty."), field="client")
            raise RowError(_("No client matches this row (by INN, email, phone or name); import the clients "
                             "first."), field=given)
        client = self.clients.get(pk)
        if client is None:
            client = self.clients[pk] = Client.objects.get(pk=pk)
        return client

    def process(self, number: int, values: list[Any]) -> None:
        ctx = self.ctx
        client = self.client(values)
        name = text_of(ctx.get(values, "name"), field="name", limit=255, required=True, label=_("Name"))
        position = text_of(ctx.get(values, "position"), field="position", limit=160)
        phone = normalize_phone(text_of(ctx.get(values, "phone"), field="phone", limit=64), field="phone")
        email = normalize_email(text_of(ctx.get(values, "email"), field="email", limit=254), field="email")
        primary = str(ctx.get(values, "is_primary", default="") or "").strip().casefold()
        if primary not in ("", "0", "1", "yes", "no", "true", "false", "да", "нет"):
            raise RowError(_("Primary is yes or no."), field="is_primary")
        if (email and (client.pk, "email", email) in self.seen) or (phone and (client.pk, "phone", phone)
                                                                   in self.seen):
            ctx.count("skipped", "contacts")
            ctx.warn("contact_duplicate", _("Contacts whose email or phone the client's contacts have already "
                                            "are skipped."))
            return
        contact = add_contact(actor=ctx.actor, client=client, name=name, phone=phone, email=email,
                              position=position, is_primary=primary in ("1", "yes", "true", "да"))
        self._remember(client.pk, contact.email, contact.phone)
        ctx.created("contacts", contact)


_MONTH_DOTTED = re.compile(r"(\d{1,2})[./](\d{4})")


class PlansImporter(Importer):
    """Sales plans through ``plans.services.set_plan``: a month, a manager (``manager``: username, email or
    full name) or a team (``team``: by name), an optional pipeline (name or slug; none = every pipeline), and
    a target amount and/or count. A plan that exists is changed (counted as updated, not reverted by undo);
    the same month and subject twice in the file is a row error."""

    FIELDS = ("month", "manager", "team", "pipeline", "target_amount", "target_count")

    def prepare(self) -> None:
        for required in ("month",):
            if required not in self.mapping.fields:
                raise MappingError(_("Map “%(f)s”.") % {"f": required}, field=required)
        if "manager" not in self.mapping.fields and "team" not in self.mapping.fields:
            raise MappingError(_("Map “manager” or “team”."), field="manager")
        if "target_amount" not in self.mapping.fields and "target_count" not in self.mapping.fields:
            raise MappingError(_("Map “target_amount” or “target_count”."), field="target_amount")
        self.teams = {t.name.casefold(): t for t in Team.objects.all()}
        self.pipelines: dict[str, Pipeline] = {}
        for p in Pipeline.objects.filter(is_active=True):
            self.pipelines.setdefault(p.slug.casefold(), p)
            self.pipelines.setdefault(p.name.casefold(), p)
        self.ctx.user_index()
        self.done: set[tuple[Any, ...]] = set()

    def month(self, value: Any) -> dt.date:
        if isinstance(value, dt.datetime):
            return value.date().replace(day=1)
        if isinstance(value, dt.date):
            return value.replace(day=1)
        text = str(value or "").strip()
        if not text:
            raise RowError(_("The month is empty."), field="month")
        dotted = _MONTH_DOTTED.fullmatch(text)
        if dotted:
            text = f"{dotted.group(2)}-{int(dotted.group(1)):02d}"
        if len(text) == 7:
            return parse_month(text)
        moment = parse_when(text, field="month")
        return parse_month(moment.date() if moment else text)

    def process(self, number: int, values: list[Any]) -> None:
        ctx = self.ctx
        month = self.month(ctx.get(values, "month"))
        user = ctx.find_user(ctx.get(values, "manager"), "manager")
        team_name = " ".join(text_of(ctx.get(values, "team"), field="team", limit=150).split())
        team = None
        if team_name:
            team = self.teams.get(team_name.casefold())
            if team is None:
                raise RowError(_("No team “%(v)s”.") % {"v": team_name}, field="team")
        if (user is None) == (team is None):
            raise RowError(_("A plan is for a manager or for a team: fill exactly one of the two."),
                           field="manager" if user is None else "team")
        pipeline = None
        pipeline_name = text_of(ctx.get(values, "pipeline"), field="pipeline", limit=160)
        if pipeline_name:
            pipeline = self.pipelines.get(pipeline_name.casefold())
            if pipeline is None:
                raise RowError(_("No active pipeline “%(v)s”.") % {"v": pipeline_name}, field="pipeline")
        amount = parse_amount(ctx.get(values, "target_amount"), field="target_amount")
        count = parse_count(ctx.get(values, "target_count"), field="target_count")
        if amount is None and count is None:
            raise RowError(_("Give the target amount or the target count."),
                           field="target_amount" if "target_amount" in self.mapping.fields else "target_count")
        key = (month, user.pk if user else None, team.pk if team else None, pipeline.pk if pipeline else None)
        if key in self.done:
            raise RowError(_("This month and subject have a plan in an earlier row of the file."),
                           field="manager" if user is not None else "team")
        self.done.add(key)
        existed = SalesPlan.objects.filter(month=month, user=user, team=team, pipeline=pipeline).exists()
        plan = set_plan(actor=ctx.actor, month=month, user=user, team=team, pipeline=pipeline,
                        target_amount=amount, target_count=count)
        if existed:
            ctx.count("updated", "sales plans")
            ctx.warn("plan_updated", _("Plans that exist already are changed to the file's targets (undo does "
                                       "not revert them)."))
        elif plan is not None:
            ctx.created("sales plans", plan)


IMPORTERS: dict[str, type[Importer]] = {
    "users": UsersImporter, "products": ProductsImporter, "clients": ClientsImporter, "deals": DealsImporter,
    "contacts": ContactsImporter, "plans": PlansImporter,
}
