"""create_client / update_client: normalised contacts, field-level errors, duplicate detection."""

from __future__ import annotations

import pytest

from tests.dbstate import unchanged
from tests.factories import make_client
from voronka.catalog.models import CustomFieldDefinition
from voronka.clients.models import Client
from voronka.clients.services import DuplicateClient, add_contact, create_client, refuse_client, update_client
from voronka.core.errors import Conflict, DomainError, Forbidden


def test_create_client_stores_phone_email_inn_and_name_normalised(world):
    client = create_client(actor=world.owner, name=' ООО "Ромашка" ', phone="8 (916) 123-45-67",
                           email=" Info@Romashka.RU ", inn="77 0123 4567")
    stored = Client.objects.get(pk=client.pk)
    assert (stored.name, stored.name_normalized, stored.phone, stored.email, stored.inn) == (
        'ООО "Ромашка"', "ромашка", "+79161234567", "info@romashka.ru", "7701234567")
    assert (stored.responsible_id, stored.status) == (world.owner.pk, "lead")


@pytest.mark.parametrize(("fields", "field"), [
    ({"phone": "позвоните мне"}, "phone"),
    ({"phone": "123"}, "phone"),
    ({"email": "not-an-email"}, "email"),
    ({"email": "a@b"}, "email"),
    ({"inn": "12345"}, "inn"),
    ({"inn": "77012345AB"}, "inn"),
    ({"name": "   "}, "name"),
    ({"rating": "Z"}, "rating"),
])
def test_create_client_rejects_bad_input_with_the_field_and_writes_nothing(world, fields, field):
    fields.setdefault("name", "ООО Ромашка")
    with unchanged(), pytest.raises(DomainError) as exc:
        create_client(actor=world.owner, **fields)
    assert exc.value.field == field


def test_create_client_rejects_a_bad_contact_phone_and_writes_nothing(world):
    with unchanged(), pytest.raises(DomainError) as exc:
        create_client(actor=world.owner, name="ООО Ромашка", contacts=[{"name": "Иван", "phone": "12"}])
    assert exc.value.field == "contact_phone"


def test_create_client_rejects_an_unknown_field(world):
    with unchanged(), pytest.raises(DomainError):
        create_client(actor=world.owner, name="ООО Ромашка", colour="red")


def test_create_client_rejects_an_unknown_custom_field(world):
    with unchanged(), pytest.raises(DomainError) as exc:
        create_client(actor=world.owner, name="ООО Ромашка", custom={"x": "1"})
    assert exc.value.field == "cf:x"


def test_create_client_rejects_a_custom_value_of_the_wrong_type(world):
    CustomFieldDefinition.objects.create(entity="client", key="revenue", label="Выручка", field_type="money")
    with unchanged(), pytest.raises(DomainError) as exc:
        create_client(actor=world.owner, name="ООО Ромашка", custom={"revenue": "abc"})
    assert exc.value.field == "cf:revenue"


def test_create_client_by_an_analyst_is_forbidden(world):
    with unchanged(), pytest.raises(Forbidden):
        create_client(actor=world.analyst, name="ООО Ромашка")


@pytest.fixture
def existing(world):
    return create_client(actor=world.owner, name='ООО "Ромашка"', phone="+7 916 123 45 67",
                         email="info@romashka.ru", inn="7701234567")


@pytest.mark.parametrize("fields", [
    {"name": "Другая компания", "phone": "8 (916) 123-45-67"},
    {"name": "Другая компания", "phone": "+79161234567"},
    {"name": "Другая компания", "email": "INFO@Romashka.ru"},
    {"name": "Другая компания", "inn": "7701234567"},
    {"name": "Ромашка ООО"},
    {"name": "ромашка"},
    {"name": "Другая компания", "contacts": [{"name": "Иван", "phone": "8 916 123-45-67"}]},
], ids=["phone-8-format", "phone-e164", "email-case", "inn", "name-legal-form-after", "name-lower", "contact-phone"])
def test_create_client_finds_the_duplicate_and_writes_nothing(world, existing, fields):
    with unchanged(), pytest.raises(DuplicateClient) as exc:
        create_client(actor=world.teammate, **fields)
    assert isinstance(exc.value, Conflict)
    assert [c.pk for c in exc.value.duplicates] == [existing.pk]
    assert existing.name in exc.value.message


def test_a_duplicate_of_another_teams_client_is_still_reported(world, existing):
    with pytest.raises(DuplicateClient) as exc:
        create_client(actor=world.outsider, name="Ромашка", phone="89161234567")
    assert [c.pk for c in exc.value.duplicates] == [existing.pk]


def test_a_client_with_a_contact_matching_an_existing_contact_is_a_duplicate(world):
    first = create_client(actor=world.owner, name="ИП Петров", contacts=[{"name": "Пётр", "email": "Petr@Mail.ru"}])
    with pytest.raises(DuplicateClient) as exc:
        create_client(actor=world.owner, name="Совсем другое имя", email="petr@mail.ru")
    assert [c.pk for c in exc.value.duplicates] == [first.pk]


def test_create_client_with_allow_duplicate_creates_the_second_client(world, existing):
    second = create_client(actor=world.owner, name="Ромашка ООО", phone="8 (916) 123-45-67", allow_duplicate=True)
    assert second.pk != existing.pk
    assert Client.objects.filter(name_normalized="ромашка").count() == 2


def test_different_clients_are_not_duplicates(world, existing):
    client = create_client(actor=world.owner, name="Василёк", phone="+7 916 000 00 00", inn="7709876543")
    assert client.pk != existing.pk


def test_create_client_saves_contacts_with_the_first_as_primary(world):
    client = create_client(actor=world.owner, name="ООО Лютик", contacts=[
        {"name": "Анна", "phone": "8 903 111-22-33"}, {"name": "Борис", "email": "BORIS@lutik.ru"}])
    contacts = list(client.contacts.order_by("id").values_list("name", "phone", "email", "is_primary"))
    assert contacts == [("Анна", "+79031112233", "", True), ("Борис", "", "boris@lutik.ru", False)]


def test_update_client_normalises_and_validates(world):
    client = make_client(world.owner)
    update_client(actor=world.owner, client=client, phone="8-916-765-43-21", name="ООО «Ландыш»")
    stored = Client.objects.get(pk=client.pk)
    assert (stored.phone, stored.name_normalized) == ("+79167654321", "ландыш")
    with unchanged(), pytest.raises(DomainError) as exc:
        update_client(actor=world.owner, client=stored, email="нет почты")
    assert exc.value.field == "email"


def test_update_client_of_another_manager_is_forbidden(world):
    client = make_client(world.owner)
    with unchanged(), pytest.raises(Forbidden):
        update_client(actor=world.teammate, client=client, name="Захват")


def test_add_contact_needs_a_name(world):
    client = make_client(world.owner)
    with unchanged(), pytest.raises(DomainError) as exc:
        add_contact(actor=world.owner, client=client, name=" ", phone="+79161234567")
    assert exc.value.field == "contact_name"


def test_refuse_client_needs_a_reason(world):
    client = make_client(world.owner)
    with unchanged(), pytest.raises(DomainError) as exc:
        refuse_client(actor=world.owner, client=client, reason=None)
    assert exc.value.field == "lost_reason"
    refuse_client(actor=world.owner, client=client, reason=world.reason, comment="Закрылись")
    assert Client.objects.get(pk=client.pk).status == "refused"
