"""The real URLs plus views that let a domain error escape (as a service called from a view might)."""

from django.urls import path

from voronka.core.errors import Conflict, DomainError, Forbidden, MissingFields, NotFound
from voronka.urls import urlpatterns as real

ERRORS = {
    "not_found": lambda: NotFound("Сделка не найдена."),
    "forbidden": lambda: Forbidden("Нет прав на эту сделку."),
    "conflict": lambda: Conflict("Сделку изменили.", field="version", code="stale"),
    "invalid": lambda: DomainError("Неверная сумма.", field="amount"),
    "missing": lambda: MissingFields("Заполните поля.", field="amount", fields=["amount", "source"]),
}


def boom(request, kind: str):
    if kind == "other":
        raise ValueError("not a domain error")
    raise ERRORS[kind]()


urlpatterns = [path("boom/<str:kind>/", boom), path("api/v1/boom/<str:kind>/", boom), *real]
