"""Custom field values are checked and normalised against their definitions."""

from __future__ import annotations

import datetime as dt

import pytest

from voronka.catalog.models import CustomFieldDefinition
from voronka.catalog.services import clean_custom_values
from voronka.core.errors import DomainError

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def definitions(db):
    specs = [
        ("budget", "money", []), ("employees", "number", []), ("note", "text", []), ("start", "date", []),
        ("vip", "boolean", []), ("country", "choice", [{"value": "ru", "label": "Россия"}, "kz"]),
        ("languages", "multichoice", [{"value": "en", "label": "Английский"}, {"value": "de", "label": "Немецкий"}]),
    ]
    for key, kind, choices in specs:
        CustomFieldDefinition.objects.create(entity="deal", key=key, label=key.title(), field_type=kind,
                                             choices=choices)


def _clean(**values):
    return clean_custom_values(entity="deal", values=values)


@pytest.mark.parametrize(("key", "raw", "expected"), [
    ("budget", "1 234,5", "1234.50"),
    ("budget", 0, "0.00"),
    ("employees", "-3", "-3"),
    ("employees", "12.5", "12.5"),
    ("note", 42, "42"),
    ("start", "2030-02-28", "2030-02-28"),
    ("start", dt.date(2030, 1, 1), "2030-01-01"),
    ("vip", "да", True),
    ("vip", "no", False),
    ("vip", True, True),
    ("country", "kz", "kz"),
    ("languages", "en,de", ["en", "de"]),
    ("languages", ["de"], ["de"]),
])
def test_a_valid_value_is_stored_normalised(key, raw, expected):
    assert _clean(**{key: raw}) == {key: expected}


@pytest.mark.parametrize(("key", "raw"), [
    ("budget", "abc"),
    ("budget", "-1"),
    ("budget", "NaN"),
    ("budget", "Infinity"),
    ("employees", "десять"),
    ("start", "28.02.2030"),
    ("start", "2030-02-30"),
    ("vip", "может быть"),
    ("country", "us"),
    ("languages", "en,fr"),
])
def test_a_value_of_the_wrong_type_is_refused_with_the_field(key, raw):
    with pytest.raises(DomainError) as exc:
        _clean(**{key: raw})
    assert exc.value.field == f"cf:{key}"


def test_an_unknown_key_is_refused():
    with pytest.raises(DomainError) as exc:
        _clean(colour="red")
    assert exc.value.field == "cf:colour"


def test_an_inactive_definition_counts_as_unknown():
    CustomFieldDefinition.objects.filter(key="note").update(is_active=False)
    with pytest.raises(DomainError) as exc:
        _clean(note="x")
    assert exc.value.field == "cf:note"


def test_a_client_field_is_not_a_deal_field():
    CustomFieldDefinition.objects.create(entity="client", key="segment", label="Сегмент", field_type="text")
    with pytest.raises(DomainError):
        _clean(segment="SMB")
    assert clean_custom_values(entity="client", values={"segment": "SMB"}) == {"segment": "SMB"}


def test_an_empty_value_removes_the_key_and_others_are_kept():
    current = {"budget": "10.00", "note": "старое"}
    assert clean_custom_values(entity="deal", values={"budget": "", "vip": "1"}, current=current) == {
        "note": "старое", "vip": True}
    assert current == {"budget": "10.00", "note": "старое"}
