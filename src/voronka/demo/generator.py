"""Deterministic demo data: a Russian B2B company that sells AI translation products.

``build_demo`` installs the dictionaries and the four pipelines (``install_defaults``), the demo users and
teams, a few campaigns, then clients with contacts and qualification answers, and deals spread over the
last 18 months with their full history: stage transitions, product lines, tasks with outcomes and the
timeline. The same seed gives the same data (names, amounts, stage histories) relative to the anchor day.

Bulk data does not go through the per-row services (that would take hours at a million deals): every
chunk of clients is simulated in memory and written with ``bulk_create``, one transaction per chunk.
The simulation keeps the invariants the services enforce (DESIGN.md §3): an open deal has an open task,
every stage a deal entered has its required fields filled, lost deals have a reason, won deals an amount,
transitions are time-ordered and end on the deal's stage.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import itertools
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from random import Random
from typing import Any

import yaml
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone
from faker import Faker

from voronka.accounts.models import Role, Team, User
from voronka.accounts.services import get_system_actor
from voronka.activities.models import Activity, ActivityKind, Outcome, Task, TaskKind, TaskStatus
from voronka.audit.models import AuditEntry
from voronka.catalog.models import (
    Campaign,
    Channel,
    CustomFieldDefinition,
    FieldType,
    Industry,
    LostReason,
    Product,
    Region,
    Source,
    TargetAudience,
)
from voronka.catalog.services import make_key
from voronka.clients.models import Client, ClientKind, ClientStatus, Contact, QualificationAnswer, Question
from voronka.clients.normalize import normalize_name
from voronka.deals.models import Deal, DealLine, DealStageStay, DealStatus, StageTransition, TransitionKind
from voronka.deals.stays import summarise as summarise_stays
from voronka.demo.billing import seed_billing
from voronka.demo.bootstrap import install_defaults
from voronka.events.models import OutboxEvent
from voronka.integrations.leadforms import save_lead_form
from voronka.pipelines.models import Pipeline
from voronka.pipelines.services import BLUEPRINT_DIR

logger = logging.getLogger(__name__)

SIZES = {"tiny": 150, "small": 2_000, "medium": 100_000, "large": 1_000_000}
CHUNK_DEALS = 5_000
BATCH_SIZE = 2_000
WINDOW_DAYS = 548  # 18 months of history
DAY = 86_400
HOUR = 3_600
DEALS_PER_CLIENT = 2.5
# Open deals left on a stage beyond its max days: kept stuck / still worked (recent); the rest closed as lost.
STUCK_SHARE = 0.04
WORKED_SHARE = 0.65

# --- the cast -----------------------------------------------------------------------------------------------

TEAMS = ({"ru": "Отдел продаж 1", "en": "Sales team 1"}, {"ru": "Отдел продаж 2", "en": "Sales team 2"})
# username, first name, last name, role, team number (1/2 or 0), superuser
USERS = (
    ("admin", "Сергей", "Волков", Role.ADMIN, 0, True),
    ("head", "Ирина", "Кузнецова", Role.HEAD, 0, False),
    ("lead1", "Андрей", "Соколов", Role.LEAD, 1, False),
    ("lead2", "Марина", "Лебедева", Role.LEAD, 2, False),
    ("manager1", "Дмитрий", "Орлов", Role.MANAGER, 1, False),
    ("manager2", "Екатерина", "Морозова", Role.MANAGER, 1, False),
    ("manager3", "Павел", "Никитин", Role.MANAGER, 1, False),
    ("manager4", "Анна", "Фёдорова", Role.MANAGER, 2, False),
    ("manager5", "Илья", "Захаров", Role.MANAGER, 2, False),
    ("manager6", "Ольга", "Белова", Role.MANAGER, 2, False),
    ("analyst", "Наталья", "Егорова", Role.ANALYST, 0, False),
)
# share of the clients and how well each manager sells (a spread the reports can show)
MANAGER_LOAD = {"manager1": 1.3, "manager2": 1.1, "manager3": 1.0, "manager4": 1.0, "manager5": 0.9,
                "manager6": 0.7}
MANAGER_SKILL = {"manager1": 1.3, "manager2": 1.15, "manager3": 1.0, "manager4": 0.95, "manager5": 0.85,
                 "manager6": 0.7, "lead1": 1.2, "lead2": 1.2}

# --- texts (data stays Russian; texts a user writes follow ``language``) ------------------------------------

ROOTS = (
    "Альфа", "Вектор", "Сибирь", "Восток", "Север", "Урал", "Волга", "Нева", "Орион", "Гранит", "Кристалл",
    "Спектр", "Импульс", "Меридиан", "Прогресс", "Стандарт", "Горизонт", "Эталон", "Полюс", "Феникс", "Атлант",
    "Титан", "Зенит", "Квант", "Пульс", "Лидер", "Парус", "Олимп", "Янтарь", "Сапфир", "Байкал", "Алтай", "Амур",
    "Дельта", "Омега", "Сигма", "Гамма", "Астра", "Вега", "Сфера", "Линия", "Форум", "Премьер", "Инфо", "Техно",
    "Нова", "Эко", "Мега", "Гео", "Интер", "Евро", "Столица", "Регион", "Магистраль", "Ресурс", "Престиж",
    "Аврора", "Весна", "Держава", "Ладога", "Онега", "Кама", "Ока", "Кубань", "Таймыр", "Енисей", "Тайга", "Кедр",
    "Рубин", "Изумруд", "Малахит", "Агат", "Оникс", "Топаз", "Арсенал", "Бастион", "Форпост", "Маяк", "Компас",
    "Азимут", "Вертикаль", "Контур", "Профиль", "Формат", "Масштаб", "Потенциал", "Синтез", "Матрица",
    "Алгоритм", "Логос", "Навигатор", "Пилот", "Старт", "Гефест", "Прометей", "Ника", "Элемент", "Доминанта",
)
SUFFIXES = (  # by industry, in the order of common.yaml
    ("Софт", "Тех", "Системс", "Лаб", "Диджитал", "Девелопмент", "Клауд"),
    ("Маркет", "Шоп", "Трейд", "Онлайн", "Маркетплейс", "Доставка"),
    ("Ритейл", "Трейд", "Торг", "Маркет", "Универсал", "Снаб"),
    ("Логистик", "Транс", "Карго", "Экспресс", "Терминал", "Экспедиция"),
    ("Финанс", "Капитал", "Инвест", "Банк", "Лизинг", "Страхование"),
    ("Право", "Юрконсалт", "Лигал", "Консалтинг", "Арбитраж"),
    ("Академия", "Школа", "Эдьюкейшн", "Университет", "Лингвоцентр"),
    ("Тур", "Трэвел", "Отель", "Вояж", "Резорт"),
    ("Фарм", "Мед", "Клиник", "Био", "Медтех", "Лаборатория"),
    ("Пром", "Завод", "Инжиниринг", "Машстрой", "Металл", "Индустрия"),
    ("Медиа", "Пресс", "Издательство", "Паблишинг", "Контент"),
    ("Лингва", "Транслейт", "Перевод", "Локализация", "Глоссарий"),
)
LEGAL_FORMS = ("ООО", "ООО", "ООО", "ООО", "АО", "АО", "ПАО", "ЗАО")
CITIES = ("Москва", ("Химки", "Мытищи", "Подольск", "Балашиха", "Красногорск"), "Санкт-Петербург",
          "Новосибирск", "Екатеринбург", "Казань", "Нижний Новгород", "Краснодар", "Самара", "Ростов-на-Дону",
          ("Минск",), ("Алматы", "Астана"))
POSITIONS = ("Генеральный директор", "Технический директор", "ИТ-директор", "Руководитель отдела локализации",
             "Руководитель службы поддержки", "Менеджер по закупкам", "Коммерческий директор",
             "Руководитель отдела ВЭД", "Главный юрист", "Продакт-менеджер", "Руководитель бюро переводов",
             "Финансовый директор", "Директор по развитию", "HR-директор")
PERSON_POSITIONS = ("Переводчик", "Индивидуальный предприниматель", "Локализатор", "Редактор")
PRODUCT_SHORT = {
    "API-BUS-12": ("API Business", "API Business"), "API-ENT-12": ("API Enterprise", "API Enterprise"),
    "ONP-SRV-12": ("сервер on-premise", "on-premise server"),
    "DESK-10-12": ("корпоративный переводчик", "corporate translator"),
    "SDK-MOB-12": ("SDK для мобильных приложений", "mobile SDK"),
    "SRV-TUNE": ("дообучение модели", "model fine-tuning"), "SRV-IMPL": ("внедрение", "implementation"),
    "SUP-PREM-12": ("премиальная поддержка", "premium support"),
}
# main product weights by target audience (common.yaml order: small, mid, enterprise, government, e-shops)
PRODUCT_MIX = (
    {"API-BUS-12": 40, "DESK-10-12": 45, "SDK-MOB-12": 15},
    {"API-BUS-12": 30, "API-ENT-12": 25, "DESK-10-12": 25, "SDK-MOB-12": 20},
    {"API-ENT-12": 45, "ONP-SRV-12": 35, "DESK-10-12": 20},
    {"ONP-SRV-12": 70, "DESK-10-12": 30},
    {"API-BUS-12": 60, "API-ENT-12": 20, "SDK-MOB-12": 20},
)
EMPLOYEES = (("1_10", "11_50"), ("51_200", "201_1000"), ("1001_5000", "5000_plus"), ("201_1000", "1001_5000"),
             ("11_50", "51_200"))
LANGS = ("en", "en", "en", "zh", "de", "fr", "es", "tr", "ar", "kk", "uz", "ja", "ko", "it", "pt")
LICENCES = ("API-BUS-12", "API-ENT-12", "ONP-SRV-12", "DESK-10-12", "SDK-MOB-12", "SUP-PREM-12")
COUNTRIES = ("ru",) * 17 + ("by", "kz", "uz", "am", "ae", "tr", "cn")

# campaigns: name (ru, en), index of the source and channel in common.yaml, cost, days running
CAMPAIGNS = (
    (("Яндекс Директ: API перевода", "Yandex Direct: translation API"), 9, 5, "1200000.00", None),
    (("РСЯ: корпоративный переводчик", "Yandex Network: corporate translator"), 10, 5, "640000.00", None),
    (("Вебинар «ИИ-перевод для бизнеса»", "Webinar “AI translation for business”"), 13, 6, "150000.00", 120),
    (("Рассылка по базе: новый тариф Enterprise", "Newsletter: the new Enterprise plan"), 12, 1, "80000.00", 90),
    (("Холодная рассылка: e-commerce и ритейл", "Cold emails: e-commerce and retail"), 8, 1, "210000.00", None),
    (("Холодная рассылка: логистика и производство", "Cold emails: logistics and manufacturing"), 8, 1,
     "190000.00", None),
    (("Выставка Translation Forum", "Translation Forum exhibition"), 15, 7, "900000.00", 45),
)
OUTREACH_CAMPAIGNS = (4, 5)
INBOUND_SOURCES = ((0, 30), (1, 8), (2, 12), (3, 4), (4, 10), (5, 6), (6, 3), (7, 4), (9, 9), (10, 5), (11, 9),
                   (12, 3), (13, 3), (14, 6), (15, 2))
SOURCE_CHANNELS = {0: (1, 0), 1: (0,), 2: (5,), 3: (5, 3), 4: (0,), 5: (1,), 6: (4, 3), 7: (2, 3), 8: (1, 0),
                   9: (5, 0, 1), 10: (5, 0), 11: (1, 5, 0), 12: (1,), 13: (6, 1), 14: (0, 1), 15: (7,)}

STAGE_TASKS = {  # what a manager does on a stage to move the deal on: kind, ru, en
    "request-received": (TaskKind.CALL, "Позвонить по заявке", "Call back on the request"),
    "qualification-done": (TaskKind.CALL, "Договориться о демо с ЛПР", "Schedule a demo with the decision maker"),
    "demo-scheduled": (TaskKind.DEMO, "Провести демо", "Hold the demo"),
    "demo-held": (TaskKind.EMAIL, "Отправить КП", "Send the proposal"),
    "proposal-sent": (TaskKind.CALL, "Обсудить КП с ЛПР", "Discuss the proposal with the decision maker"),
    "contract-signed": (TaskKind.EMAIL, "Выставить счёт", "Issue the invoice"),
    "invoice-issued": (TaskKind.CALL, "Проконтролировать оплату счёта", "Follow up on the invoice payment"),
    "invoice-paid": (TaskKind.MEETING, "Передать клиента на внедрение", "Hand the client over to onboarding"),
    "base-collected": (TaskKind.EMAIL, "Отправить первое письмо", "Send the first email"),
    "first-email-sent": (TaskKind.EMAIL, "Отправить повторное письмо", "Send a follow-up email"),
    "reply-received": (TaskKind.CALL, "Позвонить по ответу на письмо", "Call about the email reply"),
    "call-held": (TaskKind.CALL, "Провести квалификацию", "Qualify the prospect"),
    "reminder-sent": (TaskKind.CALL, "Созвониться о продлении", "Call about the renewal"),
    "usage-reviewed": (TaskKind.EMAIL, "Отправить предложение о продлении", "Send the renewal offer"),
    "renewal-offer-sent": (TaskKind.CALL, "Согласовать условия продления", "Agree on the renewal terms"),
    "renewal-signed": (TaskKind.EMAIL, "Выставить счёт на продление", "Issue the renewal invoice"),
    "email-sequence-started": (TaskKind.OTHER, "Проверить реакцию на цепочку писем",
                               "Check the response to the email sequence"),
    "requalification-done": (TaskKind.EMAIL, "Отправить новое предложение", "Send the new offer"),
    "new-offer-sent": (TaskKind.CALL, "Обсудить новое предложение", "Discuss the new offer"),
}
DEFAULT_TASK = (TaskKind.CALL, "Позвонить клиенту", "Call the client")
EXTRA_TASKS = ((TaskKind.EMAIL, "Отправить кейсы и презентацию", "Send case studies and the presentation"),
               (TaskKind.CALL, "Уточнить требования ИТ-отдела", "Clarify the IT department's requirements"),
               (TaskKind.MEETING, "Встреча с юристом клиента", "Meeting with the client's lawyer"),
               (TaskKind.EMAIL, "Отправить тестовый доступ к API", "Send trial API access"))

RESULTS = {
    TaskKind.CALL: (
        ("Дозвонился, клиент подтвердил интерес, договорились о следующем шаге",
         "Reached the client, interest confirmed, next step agreed"),
        ("Обсудили объёмы и языки перевода, вопросы сняты", "Discussed volumes and languages, questions answered"),
        ("Поговорил с ЛПР, готовы двигаться дальше", "Talked to the decision maker, ready to move on"),
        ("Клиент ждёт документы до конца недели", "The client expects the documents by the end of the week"),
        ("Созвонились, согласовали сроки и формат", "Had a call, agreed on timing and format"),
    ),
    TaskKind.EMAIL: (
        ("Письмо отправлено, клиент подтвердил получение", "Email sent, the client confirmed receipt"),
        ("Отправил документы и презентацию, получил ответ", "Sent the documents and the deck, got a reply"),
        ("Ответ получен: просят созвониться", "Reply received: they ask for a call"),
    ),
    TaskKind.DEMO: (
        ("Демо проведено: показали перевод на документах клиента", "Demo done on the client's own documents"),
        ("Провели демо для ЛПР и ИТ-отдела, интерес высокий", "Demo for the decision maker and IT, high interest"),
        ("Показали API и глоссарии, клиент попросил КП", "Showed the API and glossaries, the client asked for a quote"),
    ),
    TaskKind.MEETING: (
        ("Встреча состоялась, согласовали план внедрения", "Meeting held, implementation plan agreed"),
        ("Встретились с ЛПР, договорённости зафиксированы", "Met the decision maker, agreements recorded"),
    ),
    TaskKind.OTHER: (
        ("Клиент ответил на письмо цепочки", "The client replied to a sequence email"),
        ("Готово, клиент вышел на связь", "Done, the client got in touch"),
    ),
}
POSTPONES = (
    ("Клиент в отпуске до следующей недели", "The client is on holiday until next week"),
    ("Попросили перезвонить после совещания", "They asked to call back after their meeting"),
    ("ЛПР на конференции, вернуться через неделю", "The decision maker is at a conference, back in a week"),
    ("Не дозвонился, перенёс звонок", "No answer, call rescheduled"),
    ("Бюджет ещё согласуют, просили связаться позже", "The budget is still being approved, contact later"),
)
LOST_COMMENTS = (  # by lost reason, in common.yaml order
    (("Бюджет на этот год не выделили", "No budget this year"),
     ("Дорого для их объёмов", "Too expensive for their volume")),
    (("Сейчас не до внедрения, вернуться через квартал", "No time for a rollout now, try again next quarter"),),
    (("Остались на текущем поставщике", "Stayed with their current vendor"),
     ("Выбрали решение конкурента подешевле", "Chose a cheaper competitor")),
    (("Не устроило качество перевода технической документации на тесте",
      "Quality of technical translation in the trial was not good enough"),),
    (("Три попытки связаться без ответа", "Three contact attempts, no response"),
     ("Перестали отвечать после КП", "Stopped responding after the proposal")),
    (("Переводов мало, справляются сами", "Little translation work, they manage on their own"),),
    (("Юристы не согласовали условия договора", "Their lawyers did not accept the contract terms"),
     ("Нужна установка в контуре по цене облака", "Wanted on-premise at the cloud price")),
    (("Ищут живого переводчика для разовой задачи", "Looking for a human translator for a one-off job"),
     ("Ошибочная заявка", "Mistaken request")),
)
GENERIC_LOST = ("Клиент отказался", "The client declined")
NOTES = {
    ActivityKind.CALL: (
        ("Исходящий звонок: обсудили сроки запуска", "Outgoing call: discussed the launch date"),
        ("Входящий звонок: уточняли условия тарифа Enterprise", "Incoming call: asked about the Enterprise plan"),
        ("Звонок: клиент спрашивал про интеграцию с 1С и Jira", "Call: the client asked about 1C and Jira"),
    ),
    ActivityKind.EMAIL: (
        ("Отправлены презентация и кейсы отрасли", "Sent the deck and industry case studies"),
        ("Получен ответ: просят тестовый доступ к API", "Reply: they ask for trial API access"),
        ("Отправлен договор на согласование", "Sent the contract for review"),
    ),
    ActivityKind.MEETING: (
        ("Встреча в офисе клиента: презентация для ИТ-директора", "On-site meeting: presentation for the CIO"),
        ("Видеовстреча: разобрали требования к безопасности данных", "Video call: data security requirements"),
    ),
    ActivityKind.NOTE: (
        ("ЛПР — финансовый директор, решение после утверждения бюджета",
         "The decision maker is the CFO, decision after budget approval"),
        ("Клиент сравнивает нас с двумя конкурентами", "The client compares us with two competitors"),
        ("Важно: нужна установка в закрытом контуре", "Important: needs an installation in a closed network"),
        ("Переводят договоры и инструкции на английский и китайский",
         "They translate contracts and manuals into English and Chinese"),
    ),
}
ANSWERS = (
    (("Переводят документацию вручную, два штатных переводчика не успевают",
      "Manual translation, two in-house translators cannot keep up"),
     ("Пользуются бесплатными онлайн-переводчиками, боятся утечек",
      "They use free online translators and worry about leaks"),
     ("Отдают переводы в бюро, долго и дорого", "They outsource to an agency: slow and expensive")),
    (("Английский и китайский, около 300 тыс. символов в месяц", "English and Chinese, about 300k characters a month"),
     ("Английский, немецкий, турецкий — до 1 млн символов в месяц", "English, German, Turkish: up to 1M a month"),
     ("Казахский и узбекский, 100–150 тыс. символов", "Kazakh and Uzbek, 100–150k characters")),
    (("Решает ИТ-директор, участвует юрист", "The CIO decides, a lawyer is involved"),
     ("Решение за генеральным директором", "The CEO decides"),
     ("Закупочный комитет, инициатор — отдел локализации", "A purchasing committee, the localisation team initiates")),
    (("Бюджет заложен, до 1,5 млн руб. в год", "Budget approved, up to 1.5M RUB a year"),
     ("Бюджета пока нет, готовят обоснование", "No budget yet, they are preparing a business case"),
     ("До 500 тыс. руб. в год", "Up to 500k RUB a year")),
    (("Запуск в течение квартала", "Launch within a quarter"), ("Хотят запуститься до конца года", "By year end"),
     ("Срочно, в течение месяца", "Urgent, within a month")),
    (("Только установка на своих серверах", "On-premise only"), ("Облако подходит", "Cloud is fine"),
     ("Облако, но с хранением данных в РФ", "Cloud with data stored in Russia")),
)
SYSTEM = {
    "created": ("Сделка создана на этапе «{stage}».", "Deal created at stage “{stage}”."),
    "won": ("Сделка выиграна.", "Deal won."),
    "lost": ("Сделка проиграна: {reason}. {comment}", "Deal lost: {reason}. {comment}"),
    "reopened": ("Сделка возобновлена.", "Deal reopened."),
    "cancel_won": ("Сделка выиграна", "Deal won"),
    "cancel_lost": ("Сделка проиграна", "Deal lost"),
    "renewal": ("Продление: {name}", "Renewal: {name}"),
    "return": ("Возврат: {name}", "Win-back: {name}"),
    "upsell": ("{name} (расширение)", "{name} (expansion)"),
}

# --- plans: rows as dicts keyed by attname; ``_``-keys hold references resolved when ids are allocated -----

Row = dict[str, Any]


@dataclass
class StageInfo:
    id: int
    slug: str
    name: str
    position: int
    max_days: int
    required: tuple[str, ...]


@dataclass
class PipelineInfo:
    id: int
    slug: str
    stages: list[StageInfo]


@dataclass
class Event:
    kind: str
    frm: int | None  # stage index
    to: int | None
    at: int  # seconds relative to the anchor (negative: past)


@dataclass
class DealPlan:
    deal: Row
    events: list[Event]
    contact_index: int
    required: set[str]
    lines: list[Row] = field(default_factory=list)
    transitions: list[Row] = field(default_factory=list)
    tasks: list[Row] = field(default_factory=list)
    activities: list[Row] = field(default_factory=list)
    won_at: int | None = None
    lost_refused: bool = False


@dataclass
class ClientPlan:
    client: Row
    contacts: list[Row]
    answers: list[Row]
    deals: list[DealPlan]


@dataclass
class Stats:
    users: int = 0
    clients: int = 0
    deals: int = 0
    tasks: int = 0
    transitions: int = 0
    activities: int = 0


# --- entry point ----------------------------------------------------------------------------------------------


class DemoRefused(Exception):
    """The demo would damage real data: production mode, or users it must not touch."""


def build_demo(*, size: str = "small", seed: int = 42, reset: bool = False, language: str = "ru",
               echo: Callable[[str], None] | None = None, deals: int | None = None) -> dict[str, int]:
    """Build the demo data set; ``size`` is tiny/small/medium/large, or ``custom`` with ``deals=N``.

    Refused in production mode (``VORONKA_ENV=production``): the demo creates users with a known password
    and ``reset`` deletes every deal, client, task and the audit trail.
    """
    if settings.PRODUCTION:
        raise DemoRefused("the demo is refused in production mode (VORONKA_ENV=production): it creates users "
                          "with the password 'demo' and a reset deletes every deal, client and the audit trail")
    say = echo or (lambda _msg: None)
    started = time.perf_counter()
    language = language if language in ("ru", "en") else "ru"
    total = deals if deals is not None else SIZES.get(size)
    if total is None or total < 1:
        raise ValueError(f"unknown demo size {size!r}")
    install_defaults(language=language)
    if Deal.objects.exists() and not reset:
        say("demo data exists already: nothing to do (use --reset to rebuild)")
        return {**_counts(), "seconds": round(time.perf_counter() - started, 1)}
    if reset:
        say("deleting deals, clients, tasks and the timeline")
        _wipe()
    ctx = _Context(seed=seed, language=language)
    with transaction.atomic():
        ctx.users = _ensure_users(language)
        ctx.load()
        _site_form(ctx.users, language)
    stats = Stats(users=len(ctx.users))
    say(f"users: {stats.users}; generating {total} deals")
    writer = _Writer()
    made = 0
    while made < total:
        plans: list[ClientPlan] = []
        chunk = 0
        while chunk < CHUNK_DEALS and made + chunk < total:
            plan = ctx.simulate_client(budget=total - made - chunk)
            plans.append(plan)
            chunk += len(plan.deals)
        with transaction.atomic():
            writer.insert(plans, stats)
        made += chunk
        say(f"deals: {made}/{total}")
    with transaction.atomic():
        stats_plans = _plans(ctx.users)
    say(f"sales plans: {stats_plans}")
    billed = seed_billing(language=language)
    stats.activities += billed["activities"]
    stats.tasks += billed.get("tasks", 0)  # a low survey score tasks the team lead
    if total >= 50_000:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    seconds = round(time.perf_counter() - started, 1)
    logger.info("demo built", extra={"deals": stats.deals, "seconds": seconds})
    return {**dataclasses.asdict(stats), "seconds": seconds}


def _counts() -> dict[str, int]:
    return {"users": User.objects.filter(username__in=[u[0] for u in USERS]).count(),
            "clients": Client.objects.count(), "deals": Deal.objects.count(), "tasks": Task.objects.count(),
            "transitions": StageTransition._base_manager.count(), "activities": Activity.objects.count()}


# --- reset ----------------------------------------------------------------------------------------------------


def _wipe() -> None:
    """Delete every deal and client with all rows that depend on them, the audit log and the outbox.

    Raw deletes (no per-object collector: that would load a million deals into memory). The set of
    tables follows the models' reverse relations, so a model added later (invoices, say) goes too.
    Foreign keys are checked at commit on both SQLite and PostgreSQL, so the order does not matter.
    """
    closure: list[type[models.Model]] = []
    pending: list[type[models.Model]] = [Deal, Client]
    while pending:
        model = pending.pop()
        if model in closure:
            continue
        closure.append(model)
        for rel in _reverse_relations(model):
            if rel.on_delete not in (models.SET_NULL, models.SET_DEFAULT, models.DO_NOTHING):
                pending.append(rel.related_model)
    doomed: dict[type[models.Model], models.Q] = {}  # the rows of each table that go: those tied to the rest
    for model in closure:
        cond = models.Q()
        if model not in (Deal, Client):
            for f in model._meta.concrete_fields:
                if f.is_relation and f.related_model in closure and f.related_model is not model:
                    cond |= models.Q(**{f"{f.name}__isnull": False})
        doomed[model] = cond
    outside = [rel for model in closure for rel in _reverse_relations(model) if rel.related_model not in closure]
    with transaction.atomic():
        if connection.vendor == "postgresql" and not outside and not any(
                cond and model._base_manager.exclude(cond).exists() for model, cond in doomed.items()):
            # every row of these tables goes and no other table points at them: TRUNCATE is the same, and fast
            quote = connection.ops.quote_name
            tables = ", ".join(quote(m._meta.db_table) for m in [*closure, AuditEntry, OutboxEvent])
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses pending deferred FK checks
                cursor.execute(f"TRUNCATE {tables}")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            return
        for rel in outside:
            if rel.on_delete is models.SET_NULL:
                name = rel.field.name
                rel.related_model._base_manager.filter(**{f"{name}__isnull": False}).update(**{name: None})
        for model, cond in doomed.items():
            qs = model._base_manager.filter(cond)
            qs._raw_delete(qs.db)
        if connection.vendor == "postgresql":  # a trigger refuses DELETE on the audit trail; TRUNCATE is the reset
            quote = connection.ops.quote_name
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses pending deferred FK checks
                cursor.execute(f"TRUNCATE {quote(AuditEntry._meta.db_table)}, {quote(OutboxEvent._meta.db_table)}")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            AuditEntry.objects.all()._raw_delete(AuditEntry.objects.db)
            OutboxEvent.objects.all()._raw_delete(OutboxEvent.objects.db)


def _reverse_relations(model: type[models.Model]) -> Iterator[Any]:
    for rel in model._meta.get_fields(include_hidden=True):
        if rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one):
            yield rel


# --- users ----------------------------------------------------------------------------------------------------


def _ensure_users(language: str) -> dict[str, User]:
    """The demo cast. Missing users are created with the password ``demo``; a user who exists already is
    never changed (password, role, team, rights and status stay as they are), and a deactivated one is never
    reactivated: the demo refuses to run instead of handing him deals."""
    existing = {u.username: u for u in User.objects.filter(username__in=[row[0] for row in USERS])}
    inactive = sorted(name for name, user in existing.items() if not user.is_active)
    if inactive:
        raise DemoRefused(f"the demo needs the users {', '.join(inactive)}, who are deactivated; the demo never "
                          "reactivates users: rename them or build the demo in another data directory")
    hashed = make_password("demo")
    teams = []
    for names in TEAMS:
        team = Team.objects.filter(name__in=[names["ru"], names["en"]]).order_by("id").first()
        teams.append(team or Team.objects.create(name=names[language]))
    users: dict[str, User] = {}
    for username, first, last, role, team_no, superuser in USERS:
        user = existing.get(username)
        if user is None:
            user = User.objects.create(
                username=username, password=hashed, first_name=first, last_name=last, role=role,
                email=f"{username}@example.com", team=teams[team_no - 1] if team_no else None,
                is_staff=superuser, is_superuser=superuser)
        users[username] = user
    for number, team in enumerate(teams, start=1):
        if team.lead_id is None:
            team.lead = users[f"lead{number}"]
            team.save(update_fields=["lead"])
    return users


def _site_form(users: dict[str, User], language: str) -> None:
    """The web form ``site`` (``/forms/site/``) on the Inbound pipeline: the managers of team 1 take turns."""
    inbound = Pipeline.objects.filter(slug="inbound").first()
    team = users["manager1"].team
    if inbound is None or team is None:
        return
    source = Source.objects.filter(name__in=["Форма на сайте", "Website form"]).order_by("id").first()
    save_lead_form(actor=get_system_actor(), slug="site", pipeline=inbound, assign_mode="round_robin", team=team,
                   title="Заявка с сайта" if language == "ru" else "Request from the website", source=source,
                   task_title="Связаться с заявкой с сайта" if language == "ru" else "Call back the website request")


# --- sales plans ----------------------------------------------------------------------------------------------

PLAN_MONTHS = 4  # the current month and the three before it
PLAN_STRETCH = (Decimal("1.00"), Decimal("1.05"), Decimal("1.10"), Decimal("1.15"))  # oldest to current


def _month_start(day: dt.date, back: int) -> dt.date:
    month = day.year * 12 + day.month - 1 - back
    return dt.date(month // 12, month % 12 + 1, 1)


def _plans(users: dict[str, User]) -> int:
    """Plans for every seller and both teams for the recent months, through ``plans.services.set_plan``:
    each seller's mean monthly won amount (base currency) and count over the half year before, stretched a
    little month by month; a team's plan is the sum of its members'. Returns the number of plans set."""
    from django.db.models import Count, Sum

    from voronka.accounts.services import get_system_actor
    from voronka.plans.services import set_plan

    system = get_system_actor()
    current = timezone.localdate().replace(day=1)
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(_month_start(current, 6), dt.time.min, tzinfo=tz)
    until = dt.datetime.combine(current, dt.time.min, tzinfo=tz)
    won = {r["owner_id"]: r for r in Deal.objects.filter(
        status=DealStatus.WON, currency=settings.VORONKA_DEFAULT_CURRENCY, closed_at__gte=since, closed_at__lt=until,
    ).values("owner_id").annotate(n=Count("pk"), total=Sum("amount"))}
    sellers = [u for u in users.values() if u.role in (Role.MANAGER, Role.LEAD) and u.team_id]
    made = 0
    for back in range(PLAN_MONTHS - 1, -1, -1):
        month = _month_start(current, back)
        stretch = PLAN_STRETCH[PLAN_MONTHS - 1 - back]
        teams: dict[int, list[Decimal | int]] = {}
        for user in sellers:
            row = won.get(user.pk) or {"n": 0, "total": Decimal(0)}
            amount = (Decimal(row["total"] or 0) / 6 * stretch / 10_000).quantize(Decimal(1)) * 10_000
            count = max(1, round(row["n"] / 6 * float(stretch)))
            set_plan(actor=system, month=month, user=user, target_amount=max(amount, Decimal(100_000)),
                     target_count=count)
            total = teams.setdefault(user.team_id, [Decimal(0), 0])
            total[0] += max(amount, Decimal(100_000))
            total[1] += count
            made += 1
        for team_id, (amount, count) in teams.items():
            set_plan(actor=system, month=month, team=Team.objects.get(pk=team_id), target_amount=amount,
                     target_count=count)
            made += 1
    return made


# --- the simulation -------------------------------------------------------------------------------------------


def _now() -> dt.datetime:
    """The anchor's source: local now (its midnight is "now" for the history; tests move it)."""
    return timezone.localtime()


def _common_blueprint() -> dict[str, Any]:
    """common.yaml with the C parser when PyYAML has it (the pure-Python one takes a quarter second)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with (BLUEPRINT_DIR / "common.yaml").open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=loader)  # a safe loader, C or Python


def _aligned(model: type[models.Model], items: list[Any], language: str) -> list[Any]:
    """Objects of a dictionary in the order of the YAML items (None where an item is missing)."""
    by_name = {o.name: o for o in model.objects.all()}
    out = []
    for item in items:
        names = [item.get(language), item.get("ru"), item.get("en")] if isinstance(item, dict) else [item]
        out.append(next((by_name[n] for n in names if n in by_name), None))
    return out


class _Weights:
    """A weighted choice with the cumulative weights computed once (``random.choices`` redoes them per call)."""

    __slots__ = ("cum", "keys", "total")

    def __init__(self, weights: dict[Any, float]) -> None:
        self.keys = list(weights)
        self.cum = list(itertools.accumulate(weights.values()))
        self.total = self.cum[-1]

    def pick(self, rng: Random) -> Any:
        return self.keys[bisect.bisect(self.cum, rng.random() * self.total)]


W_REGION = _Weights({0: 30, 1: 8, 2: 15, 3: 5, 4: 6, 5: 6, 6: 4, 7: 5, 8: 4, 9: 4, 10: 3, 11: 4})
W_AUDIENCE = _Weights({0: 30, 1: 30, 2: 18, 3: 7, 4: 15})
W_SOURCE = _Weights(dict(INBOUND_SOURCES))
W_CONTACTS = _Weights({1: 45, 2: 35, 3: 20})
W_THREADS = _Weights({1: 20, 2: 26, 3: 22, 4: 16, 5: 10, 6: 6})
W_RATING_CLIENT = _Weights({"A": 55, "B": 35, "C": 10})
W_RATING_LEAD = _Weights({"A": 10, "B": 35, "C": 40, "": 15})
W_ANSWERED = _Weights({1.0: 75, 0.6: 15, 0.0: 10})
W_REASON_EARLY = _Weights({0: 8, 1: 10, 2: 6, 3: 2, 4: 30, 5: 20, 6: 2, 7: 22})
W_REASON_LATE = _Weights({0: 25, 1: 12, 2: 22, 3: 10, 4: 12, 5: 5, 6: 14})
W_PRODUCTS = [_Weights(mix) for mix in PRODUCT_MIX]
W_NOTES = _Weights({0: 30, 1: 35, 2: 25, 3: 10})
W_NOTE_KIND = _Weights({ActivityKind.CALL: 40, ActivityKind.EMAIL: 30, ActivityKind.MEETING: 10,
                        ActivityKind.NOTE: 20})
W_DUE = _Weights({"overdue": 22, "today": 18, "upcoming": 60})
W_MANAGER = _Weights({name: load for name, load in MANAGER_LOAD.items()})
W_LOST_AT = [_Weights({i: 0.6 ** i for i in range(n)}) for n in range(1, 30)]
W_OPEN_AT = [_Weights({i: 0.72 ** i for i in range(n)}) for n in range(1, 30)]


def _pk(obj: models.Model | None) -> int | None:
    return None if obj is None else obj.pk


def _line_total(quantity: Decimal, price: Decimal, discount: Decimal) -> Decimal:
    return (quantity * price * (Decimal(100) - discount) / Decimal(100)).quantize(Decimal("0.01"))


class _Context:
    """Lookups and the random stream; ``simulate_client`` returns one client with its deal history."""

    def __init__(self, *, seed: int, language: str) -> None:
        self.rng = Random(seed)
        self.lang = 0 if language == "ru" else 1
        self.language = language
        fake = Faker("ru_RU")
        fake.seed_instance(seed)
        self.streets = sorted({fake.street_name() for _ in range(400)})
        provider = fake.provider("faker.providers.person")
        self.male = (list(provider.first_names_male), list(provider.last_names_male),
                     list(provider.middle_names_male))
        self.female = (list(provider.first_names_female), list(provider.last_names_female),
                       list(provider.middle_names_female))
        local = _now()
        self.anchor_date = local.date()
        self.anchor = local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)
        self.names: set[str] = set()
        self.domains: set[str] = set()
        self.serial = 0
        self.users: dict[str, User] = {}
        self.currency = settings.VORONKA_DEFAULT_CURRENCY

    # lookups -------------------------------------------------------------------------------------------------

    def load(self) -> None:
        common = _common_blueprint()
        lang = self.language
        self.sources = _aligned(Source, common.get("sources") or [], lang)
        self.channels = _aligned(Channel, common.get("channels") or [], lang)
        self.regions = _aligned(Region, common.get("regions") or [], lang)
        self.industries = _aligned(Industry, common.get("industries") or [], lang)
        self.audiences = _aligned(TargetAudience, common.get("target_audiences") or [], lang)
        self.reasons = _aligned(LostReason, common.get("lost_reasons") or [], lang)
        self.all = {m: list(m.objects.filter(is_active=True).order_by("sort_order", "name"))
                    for m in (Source, Channel, Region, Industry, TargetAudience, LostReason)}
        self.products = list(Product.objects.filter(is_active=True).order_by("sort_order", "name"))
        if not self.products or not self.all[LostReason]:
            raise RuntimeError("the demo needs active products and lost reasons")
        self.by_sku = {p.sku: p for p in self.products if p.sku}
        self.campaigns = []
        for index, (names, source_no, channel_no, cost, days) in enumerate(CAMPAIGNS):
            campaign = Campaign.objects.filter(name__in=names).order_by("id").first()
            if campaign is None:
                starts = self.anchor_date - dt.timedelta(days=WINDOW_DAYS - 30 * index)
                campaign = Campaign.objects.create(
                    name=names[self.lang], source=self._get(self.sources, source_no, Source),
                    channel=self._get(self.channels, channel_no, Channel), cost=Decimal(cost), starts_on=starts,
                    ends_on=starts + dt.timedelta(days=days) if days else None, sort_order=index + 1)
            self.campaigns.append(campaign)
        # The client qualification set (installed first; ANSWERS follow its order). Stage questions of the
        # templates beyond it stay unanswered in the demo, as on a real client card before the call.
        first_set = Question.objects.filter(is_active=True, question_set__is_active=True).order_by(
            "question_set_id").values_list("question_set_id", flat=True).first()
        self.questions = list(Question.objects.filter(is_active=True, question_set_id=first_set)
                              .order_by("sort_order", "id"))
        self.deal_fields = list(CustomFieldDefinition.objects.filter(entity="deal", is_active=True)
                                .order_by("sort_order", "key"))
        self.client_fields = list(CustomFieldDefinition.objects.filter(entity="client", is_active=True)
                                  .order_by("sort_order", "key"))
        self.choices = {d.pk: d.choice_values for d in (*self.deal_fields, *self.client_fields)}
        self.pipelines: dict[str, PipelineInfo] = {}
        for pipeline in Pipeline.objects.filter(slug__in=["inbound", "outreach", "renewal", "return"]):
            stages = [StageInfo(s.pk, s.slug, s.name, s.position, s.max_days or 5, tuple(s.required_fields or []))
                      for s in pipeline.stages.order_by("position", "id")]
            if stages:
                self.pipelines[pipeline.slug] = PipelineInfo(pipeline.pk, pipeline.slug, stages)
        if "inbound" not in self.pipelines:
            raise RuntimeError("the demo needs the inbound pipeline")
        self.managers = [self.users[u] for u in MANAGER_LOAD]
        self.team_mates = {m.pk: [o for o in self.managers if o.team_id == m.team_id and o.pk != m.pk]
                           for m in self.managers}
        self.leads = {self.users["lead1"].team_id: self.users["lead1"],
                      self.users["lead2"].team_id: self.users["lead2"]}

    def _get(self, aligned: list[Any], index: int, model: type[models.Model]) -> Any:
        found = aligned[index] if index < len(aligned) else None
        if found is None and self.all.get(model):
            found = self.rng.choice(self.all[model])
        return found

    def text(self, pair: tuple[str, str]) -> str:
        return pair[self.lang]

    # time: seconds relative to the anchor (local midnight today), in business hours. No weekend rule: that
    # would tie the data to the anchor's weekday, and the same seed must give the same history on any day.

    def when(self, offset: int) -> dt.datetime:
        return self.anchor + dt.timedelta(seconds=offset)

    def day(self, offset: int) -> dt.date:
        return self.anchor_date + dt.timedelta(days=offset // DAY)

    def business(self, t: int) -> int:
        rng = self.rng
        day, sec = divmod(int(t), DAY)
        if sec < 9 * HOUR:
            sec = 9 * HOUR + rng.randrange(0, 2 * HOUR)
        elif sec > 19 * HOUR:
            day, sec = day + 1, 9 * HOUR + rng.randrange(0, 2 * HOUR)
        return day * DAY + sec

    def dwell(self, stage: StageInfo) -> int:
        rng = self.rng
        days = stage.max_days * rng.uniform(0.1, 1.3)
        if rng.random() < 0.12:
            days *= rng.uniform(1.5, 4.0)  # over the stage's SLA
        return max(900, int(days * DAY))

    # people and companies ---------------------------------------------------------------------------------------

    def person(self) -> tuple[str, str, str]:
        rng = self.rng
        first, last, middle = self.male if rng.random() < 0.55 else self.female
        return rng.choice(first), rng.choice(last), rng.choice(middle)

    def phone(self, region_no: int) -> str:
        """E.164; a counter times a number coprime to 10ⁿ keeps them unique without remembering them."""
        self.serial += 1
        n = self.serial * 7_919_137 + 104_729
        if region_no == 10:
            return f"+375{self.rng.choice(('29', '33', '44'))}{n % 10_000_000:07d}"
        if region_no == 11:
            return f"+77{self.rng.choice(('01', '05', '07', '47', '77'))}{n % 10_000_000:07d}"
        return f"+79{n % 1_000_000_000:09d}"

    def inn(self, digits: int) -> str:
        """An INN with valid check digits (10 for a company, 12 for a person)."""
        self.serial += 1
        body = [int(c) for c in str((self.serial * 982_451_653 + 15_485_863) % 900_000_000 + 100_000_000)]
        if digits == 10:
            weights = (2, 4, 10, 3, 5, 9, 4, 6, 8)
            return "".join(map(str, body)) + str(sum(w * d for w, d in zip(weights, body, strict=True)) % 11 % 10)
        body.append(self.rng.randrange(10))
        w11, w12 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8), (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
        body.append(sum(w * d for w, d in zip(w11, body, strict=True)) % 11 % 10)
        body.append(sum(w * d for w, d in zip(w12, body, strict=True)) % 11 % 10)
        return "".join(map(str, body))

    def company_name(self, industry_no: int, city: str) -> tuple[str, str]:
        """(legal name, brand) with a normalised name no other demo client has."""
        rng = self.rng
        suffixes = SUFFIXES[industry_no % len(SUFFIXES)]
        brand = ""
        for attempt in range(8):
            pattern = rng.random()
            if pattern < 0.55:
                brand = f"{rng.choice(ROOTS)} {rng.choice(suffixes)}"
            elif pattern < 0.75:
                brand = f"{rng.choice(ROOTS)}{rng.choice(suffixes).lower()}"
            elif pattern < 0.9:
                brand = f"{rng.choice(ROOTS)}-{rng.choice(ROOTS)}"
            else:
                brand = f"{rng.choice(ROOTS)} {rng.choice(suffixes)} {city}"
            if attempt >= 4:
                brand = f"{brand} {rng.randrange(2, 999)}"
            key = normalize_name(brand)
            if key not in self.names:
                self.names.add(key)
                return f"{rng.choice(LEGAL_FORMS)} «{brand}»", brand
        self.serial += 1
        brand = f"{brand} {self.serial}"
        self.names.add(normalize_name(brand))
        return f"ООО «{brand}»", brand

    # a client and its deal threads -------------------------------------------------------------------------------

    def simulate_client(self, *, budget: int) -> ClientPlan:
        rng = self.rng
        is_person = rng.random() < 0.12
        region_no = W_REGION.pick(rng)
        industry_no = rng.choice((5, 6, 11, 11, 0)) if is_person else rng.randrange(len(SUFFIXES))
        audience_no = 0 if is_person else W_AUDIENCE.pick(rng)
        city = CITIES[region_no] if region_no < len(CITIES) else "Москва"
        city = city if isinstance(city, str) else rng.choice(city)
        responsible = self.users[W_MANAGER.pick(rng)]
        if is_person:
            for _attempt in range(10):
                first, last, middle = self.person()
                name = f"{last} {first} {middle}"
                if normalize_name(name) not in self.names:
                    break
            self.names.add(normalize_name(name))
            brand = f"{last} {first[0]}. {middle[0]}."
            domain = rng.choice(("mail.ru", "yandex.ru", "gmail.com", "bk.ru", "inbox.ru"))
            self.serial += 1
            email = f"{make_key(f'{first[0]}_{last}').replace('_', '.')}{self.serial}@{domain}"
        else:
            name, brand = self.company_name(industry_no, city)
            host = make_key(brand).replace("_", "-")[:40] or "company"
            zone = {10: "by", 11: "kz"}.get(region_no, "ru")
            domain, n = f"{host}.{zone}", 1
            while domain in self.domains:
                n += 1
                domain = f"{host}-{n}.{zone}"
            self.domains.add(domain)
            email = f"{rng.choice(('info', 'sales', 'office', 'hello', 'zakaz'))}@{domain}"
        outreach = "outreach" in self.pipelines and not is_person and rng.random() < 0.3
        if outreach:
            campaign = self.campaigns[rng.choice(OUTREACH_CAMPAIGNS)]
            source = campaign.source or self._get(self.sources, 8, Source)
            channel = campaign.channel or self._get(self.channels, 1, Channel)
        else:
            source_no = W_SOURCE.pick(rng)
            source = self._get(self.sources, source_no, Source)
            channel = self._get(self.channels, rng.choice(SOURCE_CHANNELS.get(source_no, (0,))), Channel)
            matching = [c for i, c in enumerate(self.campaigns) if i not in OUTREACH_CAMPAIGNS
                        and source is not None and c.source_id == source.pk]
            campaign = rng.choice(matching) if matching and rng.random() < 0.75 else None
        client: Row = {
            "kind": ClientKind.PERSON if is_person else ClientKind.COMPANY, "name": name,
            "name_normalized": normalize_name(name), "responsible_id": responsible.pk, "source_id": _pk(source),
            "channel_id": _pk(channel), "campaign_id": _pk(campaign),
            "region_id": _pk(self._get(self.regions, region_no, Region)),
            "website": "" if is_person else f"https://{domain}", "phone": self.phone(region_no), "email": email,
            "address": f"г. {city}, {rng.choice(self.streets)}, д. {rng.randrange(1, 120)}"
                       + ("" if is_person else f", оф. {rng.randrange(1, 600)}"),
            "custom": {}, "inn": "", "industry_id": None, "target_audience_id": None,
        }
        if rng.random() < (0.4 if is_person else 0.95):
            client["industry_id"] = _pk(self._get(self.industries, industry_no, Industry))
        if rng.random() < (0.4 if is_person else 0.95):
            client["target_audience_id"] = _pk(self._get(self.audiences, audience_no, TargetAudience))
        if rng.random() < (0.2 if is_person else 0.8):
            client["inn"] = self.inn(12 if is_person else 10)
        if is_person:
            contacts = [{"name": f"{first} {last}", "position": rng.choice(PERSON_POSITIONS),
                         "phone": client["phone"], "email": email, "is_primary": True}]
        else:
            contacts = []
            for index, position in enumerate(rng.sample(POSITIONS, W_CONTACTS.pick(rng))):
                first, last, middle = self.person()
                login = make_key(f"{first[0]}_{last}").replace("_", ".")
                if any(c["email"] == f"{login}@{domain}" for c in contacts):
                    login = make_key(f"{first}_{last}").replace("_", ".")
                contacts.append({
                    "name": f"{first} {middle} {last}" if rng.random() < 0.3 else f"{first} {last}",
                    "position": position, "phone": self.phone(region_no) if rng.random() < 0.9 else "",
                    "email": f"{login}@{domain}", "is_primary": index == 0})

        state = _ClientState(self, client, brand, audience_no, industry_no, region_no, responsible, contacts,
                             outreach)
        first_start = -int(DAY + (WINDOW_DAYS - 1) * DAY * rng.random() ** 1.25)  # the business grows
        threads = 1 if is_person else W_THREADS.pick(rng)
        plans: list[DealPlan] = []
        for thread in range(threads):
            start = first_start if thread == 0 else first_start + rng.randrange(DAY, 300 * DAY)
            if start > -DAY:
                break
            plans.extend(state.thread(start, first=thread == 0))
        plans.sort(key=lambda p: p.events[0].at)
        plans = plans[:max(budget, 1)]
        first_event = plans[0].events[0].at
        created = self.business(first_event - rng.randrange(600, 3 * DAY if outreach else HOUR))
        if created >= first_event:
            created = first_event - rng.randrange(60, 600)
        client["created_at"] = self.when(created)
        for contact in contacts:
            contact["created_at"] = client["created_at"]
        self._finish_client(state, plans, created)
        return ClientPlan(client=client, contacts=contacts, answers=self._answers(state, plans), deals=plans)

    def _finish_client(self, state: _ClientState, plans: list[DealPlan], created: int) -> None:
        """Client fields the deals' stages require, the status its history implies, new vs current deals."""
        rng, client = self.rng, state.client
        needed: set[str] = set()
        last_event = created
        wins: list[int] = []
        for plan in plans:
            plan.deal["is_new_client"] = not any(w < plan.events[0].at for w in wins)
            if plan.won_at is not None:
                wins.append(plan.won_at)
            needed |= plan.required
            last_event = max(last_event, plan.deal["_last"])
        if "client.region" in needed and client["region_id"] is None:
            client["region_id"] = rng.choice(self.all[Region]).pk
        if "client.industry" in needed and client["industry_id"] is None:
            client["industry_id"] = _pk(self._get(self.industries, state.industry_no, Industry))
        if "client.target_audience" in needed and client["target_audience_id"] is None:
            client["target_audience_id"] = _pk(self._get(self.audiences, state.audience_no, TargetAudience))
        if "client.inn" in needed and not client["inn"]:
            client["inn"] = self.inn(12 if client["kind"] == ClientKind.PERSON else 10)
        closed = sorted((p for p in plans if p.deal["status"] != DealStatus.OPEN), key=lambda p: p.events[-1].at)
        client["status"] = ClientStatus.LEAD
        if wins:
            client["status"] = ClientStatus.CLIENT
        elif closed and closed[-1].deal["status"] == DealStatus.LOST and closed[-1].lost_refused:
            last = closed[-1].deal
            client.update(status=ClientStatus.REFUSED, refusal_reason_id=last["lost_reason_id"],
                          refusal_comment=last["lost_comment"], refused_at=last["closed_at"])
        client["rating"] = (W_RATING_CLIENT if wins else W_RATING_LEAD).pick(rng)
        client["updated_at"] = self.when(last_event)
        for definition in self.client_fields:
            if rng.random() < 0.5:
                client["custom"][definition.key] = self.custom_value(definition, state, {})

    def _answers(self, state: _ClientState, plans: list[DealPlan]) -> list[Row]:
        rng = self.rng
        if not self.questions:
            return []
        renewal = self.pipelines["renewal"].id if "renewal" in self.pipelines else None
        qualified = [p for p in plans if p.deal["_furthest"] >= 1 and p.deal["pipeline_id"] != renewal]
        if qualified:
            share = W_ANSWERED.pick(rng)
            at = qualified[0].events[min(1, len(qualified[0].events) - 1)].at
        else:
            share = 0.5 if rng.random() < 0.1 else 0.0
            at = plans[0].events[0].at
        answers = []
        for index, question in enumerate(self.questions):
            if rng.random() < share:
                options = ANSWERS[index] if index < len(ANSWERS) else (("Уточняется", "To be clarified"),)
                answers.append({"question_id": question.pk, "answer": self.text(rng.choice(options)),
                                "answered_by_id": state.responsible.pk, "answered_at": self.when(at)})
        return answers

    def custom_value(self, definition: CustomFieldDefinition, state: _ClientState, info: dict[str, Any]) -> Any:
        """A valid value for a custom field (the shape catalog.services.clean_custom_values stores)."""
        rng, key, kind = self.rng, definition.key, definition.field_type
        allowed = self.choices.get(definition.pk) or []
        if key == "employees" and allowed:
            value = rng.choice(EMPLOYEES[state.audience_no % len(EMPLOYEES)])
            return value if value in allowed else rng.choice(allowed)
        if key == "languages" and allowed:
            picked = sorted({rng.choice(LANGS) for _ in range(rng.randint(1, 3))})
            return [v for v in picked if v in allowed] or [allowed[0]]
        if key == "country" and allowed:
            value = {10: "by", 11: "kz"}.get(state.region_no) or rng.choice(COUNTRIES)
            return value if value in allowed else allowed[0]
        if key == "monthly_volume" and kind == FieldType.NUMBER:
            return str(rng.choice((50, 100, 150, 200, 300, 500, 800, 1000, 2000, 5000)))
        if key == "decision_maker" and kind == FieldType.TEXT and info.get("decision_maker"):
            return info["decision_maker"]
        if key == "revenue_per_year" and kind == FieldType.MONEY:
            return f"{rng.choice((20, 50, 120, 300, 800, 1500, 5000)) * 1_000_000}.00"
        if key == "contract_end_date" and kind == FieldType.DATE and info.get("contract_end"):
            return info["contract_end"].isoformat()
        if kind == FieldType.CHOICE and allowed:
            return rng.choice(allowed)
        if kind == FieldType.MULTICHOICE and allowed:
            return [rng.choice(allowed)]
        if kind == FieldType.NUMBER:
            return str(rng.randrange(1, 100))
        if kind == FieldType.MONEY:
            return f"{rng.randrange(1, 100) * 1000}.00"
        if kind == FieldType.DATE:
            return (self.anchor_date + dt.timedelta(days=rng.randrange(-90, 180))).isoformat()
        if kind == FieldType.BOOLEAN:
            return rng.random() < 0.5
        return "Демо" if self.lang == 0 else "Demo"


class _ClientState:
    """One client while its deals are simulated (threads of deals over time)."""

    def __init__(self, ctx: _Context, client: Row, brand: str, audience_no: int, industry_no: int,
                 region_no: int, responsible: User, contacts: list[Row], outreach: bool) -> None:
        self.ctx, self.client, self.brand = ctx, client, brand
        self.audience_no, self.industry_no, self.region_no = audience_no, industry_no, region_no
        self.responsible, self.contacts, self.outreach = responsible, contacts, outreach

    def thread(self, start: int, *, first: bool) -> list[DealPlan]:
        """A chain of deals: a sale, then its renewal or a win-back, and so on, until one is still open."""
        ctx, rng = self.ctx, self.ctx.rng
        kind = "outreach" if self.outreach and first else "inbound"
        flavour = "new" if first else "upsell"
        previous_lines: list[Row] = []
        plans: list[DealPlan] = []
        won = False
        t = start
        while t < -HOUR and len(plans) < 6:
            plan = self.deal(kind, flavour, t, previous_lines, has_won=won)
            plans.append(plan)
            status = plan.deal["status"]
            if status == DealStatus.OPEN:
                break
            closed = plan.events[-1].at
            if status == DealStatus.WON:
                won = True
                previous_lines = plan.lines
                if "renewal" in ctx.pipelines and rng.random() < 0.6:
                    kind, flavour, t = "renewal", "renewal", closed + rng.randrange(290, 340) * DAY
                elif rng.random() < 0.25:
                    kind, flavour, t = "inbound", "upsell", closed + rng.randrange(30, 180) * DAY
                else:
                    break
            else:
                previous_lines = []
                if plan.lost_refused and "return" in ctx.pipelines and rng.random() < 0.6:
                    kind, flavour, t = "return", "return", closed + rng.randrange(30, 90) * DAY
                elif rng.random() < 0.1:
                    kind, flavour, t = "inbound", "new", closed + rng.randrange(60, 200) * DAY
                else:
                    break
            t = ctx.business(t)
        return plans

    # one deal --------------------------------------------------------------------------------------------------

    def _fate(self, kind: str, owner: User, start: int) -> str:
        rng = self.ctx.rng
        won, lost = {"inbound": (0.30, 0.27), "outreach": (0.18, 0.35), "renewal": (0.62, 0.12),
                     "return": (0.18, 0.37)}[kind]
        won *= MANAGER_SKILL.get(owner.username, 1.0)
        r = rng.random()
        if r < won:
            return "won"
        if r < won + lost:
            return "lost"
        if start < -200 * DAY and rng.random() < 0.3:
            return "lost"  # most deals that stalled long ago were closed by now
        return "open"

    def _path(self, n: int, fate: str) -> list[tuple[str, int]]:
        """Moves from the first stage to where the deal ends: mostly forward, a few skips and returns."""
        rng = self.ctx.rng
        if fate == "won":
            target = n - 1 if rng.random() < 0.85 or n < 2 else n - 2
        elif fate == "lost":
            top = max(n - 1, 1)
            target = W_LOST_AT[min(top, len(W_LOST_AT)) - 1].pick(rng)
        else:
            target = W_OPEN_AT[min(n, len(W_OPEN_AT)) - 1].pick(rng)
        moves: list[tuple[str, int]] = []
        i, backs = 0, 0
        while i < target:
            r = rng.random()
            if i + 2 <= target and r < 0.07:
                moves.append((TransitionKind.SKIP, i + 2))
                i += 2
            elif i >= 1 and backs < 1 and r < 0.12:
                moves.append((TransitionKind.BACKWARD, i - 1))
                i -= 1
                backs += 1
            else:
                moves.append((TransitionKind.FORWARD, i + 1))
                i += 1
        return moves

    def _events(self, stages: list[StageInfo], start: int, fate: str) -> list[Event]:
        """The deal's stage log in time, cut at the anchor: what has not happened yet leaves the deal open."""
        ctx, rng = self.ctx, self.ctx.rng
        moves = self._path(len(stages), fate)
        t = ctx.business(start)
        if t >= -600:
            t = start
        events = [Event(TransitionKind.CREATED, None, 0, t)]
        cur = 0
        reopen_at = rng.randrange(len(moves)) if moves and fate != "lost" and rng.random() < 0.03 else -1
        for step, (move, to) in enumerate(moves):
            t = ctx.business(t + ctx.dwell(stages[cur]))
            if step == reopen_at:  # lost once, reopened a few weeks later
                events.append(Event(TransitionKind.LOST, cur, None, t))
                t = ctx.business(t + rng.randrange(14, 60) * DAY)
                events.append(Event(TransitionKind.REOPEN, None, cur, t))
                t = ctx.business(t + ctx.dwell(stages[cur]))
            events.append(Event(move, cur, to, t))
            cur = to
        if fate in ("won", "lost"):
            t = ctx.business(t + ctx.dwell(stages[cur]))
            events.append(Event(TransitionKind.WON if fate == "won" else TransitionKind.LOST, cur, None, t))
        kept = [e for e in events if e.at < -600]
        last = kept[-1]
        if last.kind not in (TransitionKind.WON, TransitionKind.LOST) and last.to is not None:
            kept = self._stale(kept, stages[last.to], last.to, last.at, may_lose=fate == "open")
        return kept

    def _stale(self, events: list[Event], stage: StageInfo, cur: int, t: int, *, may_lose: bool) -> list[Event]:
        """An open deal sitting on its stage since ``t``, beyond the stage's max days: a working team closed
        most such deals as lost long ago (``may_lose``: its fate was to stay open), keeps working the others
        (they are recent deals: the history shifts to end within the stage's max days) and leaves a
        realistic few stuck."""
        rng = self.ctx.rng
        limit = (stage.max_days or 30) * DAY
        if DAY - t <= limit:  # within its max days until the end of today (the anchor is today's midnight)
            return events
        r = rng.random()
        if r < STUCK_SHARE:
            return events
        if r < STUCK_SHARE + WORKED_SHARE or not may_lose:
            # within its max days until the end of today (a one-day stage: entered late yesterday)
            span = limit - DAY if limit > DAY else 2 * HOUR
            shift = -(600 + int(span * rng.uniform(0.05, 0.9))) - t
            return [dataclasses.replace(e, at=e.at + shift) for e in events]
        lost_at = t + int(limit * rng.uniform(1.0, 1.4))
        lost_at = min(self.ctx.business(lost_at), -HOUR) if lost_at < -HOUR else -HOUR
        return [*events, Event(TransitionKind.LOST, cur, None, lost_at)]

    def deal(self, kind: str, flavour: str, start: int, previous_lines: list[Row], *, has_won: bool) -> DealPlan:
        ctx, rng = self.ctx, self.ctx.rng
        pipeline = ctx.pipelines[kind]
        stages = pipeline.stages
        owner = self.responsible
        if rng.random() < 0.1 and ctx.team_mates.get(owner.pk):
            owner = rng.choice(ctx.team_mates[owner.pk])
        elif rng.random() < 0.03:
            owner = ctx.leads.get(owner.team_id, owner)
        events = self._events(stages, start, self._fate(kind, owner, start))
        last = events[-1]
        status = {TransitionKind.WON: DealStatus.WON, TransitionKind.LOST: DealStatus.LOST}.get(last.kind,
                                                                                                   DealStatus.OPEN)
        stage_index = last.to if status == DealStatus.OPEN else last.frm
        assert stage_index is not None
        entered = [e for e in events if e.to is not None]
        furthest = max(e.to for e in entered)  # type: ignore[type-var]  # stages are in board order
        required: set[str] = set()
        for e in entered:
            required.update(stages[e.to].required)  # type: ignore[index]
        closed_at = None if status == DealStatus.OPEN else last.at
        end = 0 if closed_at is None else closed_at

        # what is sold
        lines = self._lines(previous_lines if flavour == "renewal" else [], flavour)
        main = lines[0]["_product"]
        total = sum((line["_total"] for line in lines), Decimal("0"))
        has_lines = bool({"lines", "amount"} & required) or status == DealStatus.WON
        if has_lines:
            amount = total
        elif "product" in required or rng.random() < 0.4:
            amount = total if rng.random() < 0.6 else Decimal("0")  # an estimate before the proposal
        else:
            amount = Decimal("0")
        short = PRODUCT_SHORT.get(main.sku, (main.name, main.name))[ctx.lang]
        title = f"{self.brand} — {short}"
        if flavour in ("renewal", "return", "upsell"):
            title = SYSTEM[flavour][ctx.lang].format(name=title)
        contact_index = 0 if rng.random() < 0.7 else rng.randrange(len(self.contacts))
        contact = self.contacts[contact_index]
        client = self.client
        deal: Row = {
            "title": title[:255], "pipeline_id": pipeline.id, "stage_id": stages[stage_index].id,
            "owner_id": owner.pk, "amount": amount, "currency": ctx.currency, "status": status, "version": 1,
            "source_id": client["source_id"], "channel_id": client["channel_id"],
            "campaign_id": client["campaign_id"], "product_id": None, "expected_close_date": None,
            "furthest_stage_id": stages[furthest].id, "_furthest": furthest, "owner_team_id": owner.team_id,
            "stage_entered_at": ctx.when(entered[-1].at), "created_at": ctx.when(events[0].at),
            "closed_at": None if closed_at is None else ctx.when(closed_at), "custom": {},
            "lost_reason_id": None, "lost_comment": "",
        }
        if "campaign" in required and deal["campaign_id"] is None:
            deal["campaign_id"] = ctx.campaigns[rng.choice(OUTREACH_CAMPAIGNS)].pk
        if "source" in required and deal["source_id"] is None:
            deal["source_id"] = rng.choice(ctx.all[Source]).pk
        if "channel" in required and deal["channel_id"] is None:
            deal["channel_id"] = rng.choice(ctx.all[Channel]).pk
        if "product" in required or has_lines or rng.random() < 0.5:
            deal["product_id"] = main.pk
        if "expected_close_date" in required or rng.random() < 0.5:
            if status == DealStatus.OPEN:
                offset = rng.randrange(-20, 0) if rng.random() < 0.12 else rng.randrange(3, 60)
                deal["expected_close_date"] = ctx.anchor_date + dt.timedelta(days=offset)
            else:
                deal["expected_close_date"] = ctx.day(end) + dt.timedelta(days=rng.randrange(-10, 10))
        info = {"contract_end": ctx.day(end) + dt.timedelta(days=365),
                "decision_maker": f"{contact['name']}, {contact['position']}"}
        for definition in ctx.deal_fields:  # what the stages ask for, and some more (dates only when due)
            if f"cf:{definition.key}" in required or (definition.field_type != FieldType.DATE
                                                       and rng.random() < 0.35):
                deal["custom"][definition.key] = ctx.custom_value(definition, self, info)
        plan = DealPlan(deal=deal, events=events, contact_index=contact_index, required=required,
                        lines=lines if has_lines else [])
        if status == DealStatus.WON:
            plan.won_at = closed_at
        elif status == DealStatus.LOST:
            reason_no, reason = self._reason(stage_index, len(stages))
            comments = LOST_COMMENTS[reason_no] if reason_no < len(LOST_COMMENTS) else (GENERIC_LOST,)
            deal["lost_reason_id"] = reason.pk
            deal["_reason"] = reason
            deal["lost_comment"] = ctx.text(rng.choice(comments))
            plan.lost_refused = not has_won and flavour != "renewal" and reason_no != 7 and rng.random() < 0.7
        self._history(plan, stages)
        return plan

    def _reason(self, stage_index: int, n: int) -> tuple[int, LostReason]:
        ctx, rng = self.ctx, self.ctx.rng
        early = stage_index < n / 3
        reason_no = (W_REASON_EARLY if early else W_REASON_LATE).pick(rng)
        reason = ctx.reasons[reason_no] if reason_no < len(ctx.reasons) else None
        if reason is None:
            return len(LOST_COMMENTS), rng.choice(ctx.all[LostReason])
        return reason_no, reason

    def _line(self, product: Product, quantity: Decimal, price: Decimal, discount: Decimal) -> Row:
        return {"product_id": product.pk, "quantity": quantity, "price": price, "discount_pct": discount,
                "_product": product, "_total": _line_total(quantity, price, discount)}

    def _lines(self, previous: list[Row], flavour: str) -> list[Row]:
        """Product lines: a main product for the client's size plus services; a renewal repeats the licences."""
        ctx, rng = self.ctx, self.ctx.rng
        if previous:
            bump = Decimal(rng.choice((100, 100, 105, 110))) / 100
            kept = [line for line in previous if line["_product"].sku not in ("SRV-IMPL", "SRV-TUNE")] or previous[:1]
            return [self._line(line["_product"], line["quantity"], (line["price"] * bump).quantize(Decimal("0.01")),
                               line["discount_pct"]) for line in kept]
        sku = W_PRODUCTS[self.audience_no % len(W_PRODUCTS)].pick(rng)
        if flavour == "upsell":
            sku = rng.choice([s for s in LICENCES if s != sku])
        main = ctx.by_sku.get(sku) or rng.choice(ctx.products)
        quantity = Decimal(rng.randint(1, 6)) if main.sku == "DESK-10-12" else Decimal(1)
        discount = Decimal(rng.choice((0, 0, 0, 5, 10, 15)))
        lines = [self._line(main, quantity, main.price, discount)]
        big = main.sku in ("API-ENT-12", "ONP-SRV-12")
        for extra_sku, chance in (("SRV-IMPL", 0.45 if big else 0.2), ("SRV-TUNE", 0.3 if big else 0.05),
                                  ("SUP-PREM-12", 0.3)):
            extra = ctx.by_sku.get(extra_sku)
            if extra is not None and extra.pk != main.pk and rng.random() < chance:
                lines.append(self._line(extra, Decimal(1), extra.price, discount))
        return lines

    # transitions, tasks and the timeline --------------------------------------------------------------------

    def _history(self, plan: DealPlan, stages: list[StageInfo]) -> None:
        ctx, rng, lang = self.ctx, self.ctx.rng, self.ctx.lang
        deal, events = plan.deal, plan.events
        owner_id = deal["owner_id"]
        activities = plan.activities
        entered_at: int | None = None
        for e in events:
            seconds = 0 if entered_at is None or e.kind in (TransitionKind.CREATED, TransitionKind.REOPEN) \
                else e.at - entered_at
            at = ctx.when(e.at)
            plan.transitions.append({
                "kind": e.kind, "from_stage_id": None if e.frm is None else stages[e.frm].id,
                "to_stage_id": None if e.to is None else stages[e.to].id, "by_user_id": owner_id, "at": at,
                "pipeline_id": deal["pipeline_id"],
                "seconds_in_from_stage": seconds})
            if e.to is not None:
                entered_at = e.at
            if e.kind == TransitionKind.CREATED:
                body, data, kind = SYSTEM["created"][lang].format(stage=stages[0].name), {"event": "created"}, \
                    ActivityKind.SYSTEM
            elif e.kind in (TransitionKind.FORWARD, TransitionKind.SKIP, TransitionKind.BACKWARD):
                frm, to = stages[e.frm], stages[e.to]  # type: ignore[index]
                body, data, kind = f"{frm.name} → {to.name}", {"from": frm.id, "to": to.id, "kind": str(e.kind)}, \
                    ActivityKind.STAGE_CHANGE
            elif e.kind == TransitionKind.WON:
                body, data, kind = SYSTEM["won"][lang], {"event": "won"}, ActivityKind.SYSTEM
            elif e.kind == TransitionKind.LOST:
                final = e is events[-1]
                reason = deal["_reason"] if final else ctx.all[LostReason][0]
                body = SYSTEM["lost"][lang].format(reason=reason.name, comment=deal["lost_comment"] if final else "")
                body, data, kind = body.strip(), {"event": "lost", "reason": reason.pk}, ActivityKind.SYSTEM
            else:
                body, data, kind = SYSTEM["reopened"][lang], {"event": "reopened"}, ActivityKind.SYSTEM
            activities.append({"kind": kind, "author_id": owner_id, "body": body, "data": data, "at": at})

        # tasks: one per stage visit, done with a result when the deal moved on
        tasks = plan.tasks
        for index, e in enumerate(events):
            if e.to is None:
                continue
            task_kind, ru, en = STAGE_TASKS.get(stages[e.to].slug, DEFAULT_TASK)
            title = en if lang else ru
            created = e.at + rng.randrange(60, 1200)
            nxt = events[index + 1] if index + 1 < len(events) else None
            if nxt is None:
                self._open_tasks(plan, task_kind, title, created)
                continue
            done_at = max(nxt.at - rng.randrange(60, 900), created + 60)
            postponed = None
            if rng.random() < 0.15 and done_at - created > 2 * HOUR:
                middle = created + (done_at - created) // 2
                postponed = self._task(owner_id, task_kind, title, created, ctx.day(middle), TaskStatus.DONE,
                                       middle, Outcome.POSTPONE, ctx.text(rng.choice(POSTPONES)))
                tasks.append(postponed)
                created = middle
            due = max(ctx.day(done_at) - dt.timedelta(days=1 if rng.random() < 0.15 else 0), ctx.day(created))
            if nxt.kind == TransitionKind.LOST and nxt is events[-1] and rng.random() < 0.55:
                task = self._task(owner_id, task_kind, title, created, due, TaskStatus.DONE, done_at,
                                  Outcome.REFUSAL, deal["lost_comment"] or ctx.text(GENERIC_LOST))
                task["lost_reason_id"] = deal["lost_reason_id"]
            elif nxt.kind == TransitionKind.LOST:
                task = self._task(owner_id, task_kind, title, created, due, TaskStatus.CANCELLED, nxt.at, "",
                                  SYSTEM["cancel_lost"][lang])
            else:
                task = self._task(owner_id, task_kind, title, created, due, TaskStatus.DONE, done_at,
                                  Outcome.RESULT, ctx.text(rng.choice(RESULTS[task_kind])))
            if postponed is not None:
                postponed["_follow"] = task
            tasks.append(task)
            if nxt.kind == TransitionKind.WON and rng.random() < 0.2:
                extra_kind, ru2, en2 = rng.choice(EXTRA_TASKS)
                tasks.append(self._task(owner_id, extra_kind, en2 if lang else ru2, created, due, TaskStatus.CANCELLED,
                                        nxt.at, "", SYSTEM["cancel_won"][lang]))

        last = events[-1].at
        for task in tasks:
            if task["status"] == TaskStatus.DONE:
                activities.append({"kind": ActivityKind.TASK, "author_id": owner_id, "at": task["completed_at"],
                                   "body": f"{task['title']}: {task['outcome_comment']}", "_task": task})
                last = max(last, task["_done"])
        start, end = events[0].at, (-600 if deal["status"] == DealStatus.OPEN else events[-1].at)
        for _ in range(W_NOTES.pick(rng)):
            kind = W_NOTE_KIND.pick(rng)
            at = min(ctx.business(rng.randrange(start, max(end, start + 1))), end)
            activities.append({"kind": kind, "author_id": owner_id, "body": ctx.text(rng.choice(NOTES[kind])),
                               "data": {}, "at": ctx.when(at)})
            last = max(last, at)
        deal["_last"] = last
        deal["updated_at"] = ctx.when(last)

    def _task(self, owner_id: int, kind: str, title: str, created: int, due: dt.date, status: str,
              closed: int | None, outcome: str = "", comment: str = "") -> Row:
        ctx, rng = self.ctx, self.ctx.rng
        return {"assignee_id": owner_id, "kind": kind, "title": title, "due_date": due,
                "due_time": dt.time(rng.randrange(10, 18), rng.choice((0, 0, 30))) if rng.random() < 0.5 else None,
                "status": status, "outcome": outcome, "outcome_comment": comment, "created_by_id": owner_id,
                "completed_by_id": None if closed is None else owner_id, "created_at": ctx.when(created),
                "completed_at": None if closed is None else ctx.when(closed), "_done": closed, "lost_reason_id": None}

    def _open_tasks(self, plan: DealPlan, kind: str, title: str, created: int) -> None:
        """The open deal's next step: overdue, today or upcoming (after a postponement, if it has waited)."""
        ctx, rng = self.ctx, self.ctx.rng
        owner_id = plan.deal["owner_id"]
        created = min(created, -300)
        when = W_DUE.pick(rng)
        if when == "overdue":
            due = ctx.anchor_date - dt.timedelta(days=rng.randint(1, 10))
        elif when == "today":
            due = ctx.anchor_date
        else:
            due = ctx.anchor_date + dt.timedelta(days=rng.randint(1, 5) if rng.random() < 0.75 else rng.randint(6, 21))
        due = max(due, ctx.day(created))
        postponed = None
        if when != "overdue" and -created > 10 * DAY and rng.random() < 0.6:
            middle = min(ctx.business(max(created + DAY, -rng.randrange(2, 9) * DAY)), -HOUR)
            postponed = self._task(owner_id, kind, title, created, ctx.day(middle), TaskStatus.DONE, middle,
                                   Outcome.POSTPONE, ctx.text(rng.choice(POSTPONES)))
            plan.tasks.append(postponed)
            created = middle
        task = self._task(owner_id, kind, title, created, due, TaskStatus.OPEN, None)
        if postponed is not None:
            postponed["_follow"] = task
        plan.tasks.append(task)
        if rng.random() < 0.15:
            extra_kind, ru, en = rng.choice(EXTRA_TASKS)
            plan.tasks.append(self._task(owner_id, extra_kind, en if ctx.lang else ru, created,
                                         ctx.anchor_date + dt.timedelta(days=rng.randint(0, 10)), TaskStatus.OPEN,
                                         None))


# --- writing --------------------------------------------------------------------------------------------------


class _Table:
    """Raw multi-row INSERT (SQLite) or COPY (PostgreSQL) of dict rows into a model's table.

    ``bulk_create`` spends ~10 µs per value in Python; at a million deals (~25 million rows) that is hours.
    Columns and defaults come from the model's ``_meta``, so a field added later with a default still
    gets its value; values are adapted the way the backend's ``get_db_prep_save`` would.
    """

    def __init__(self, model: type[models.Model], *, with_id: bool) -> None:
        meta = model._meta
        fields = [f for f in meta.concrete_fields if with_id or not f.primary_key]
        vendor = connection.vendor
        self.model = model
        self.specs = [(f.attname, None if f.primary_key else f.get_default(), self._adapter(f, vendor))
                      for f in fields]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in fields)
        self.copy_sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
        self.insert_sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"

    @staticmethod
    def _adapter(f: models.Field, vendor: str) -> Callable[[Any], Any] | None:
        internal = f.get_internal_type()
        ops = connection.ops  # the backend's own object: ``connection`` is a per-thread proxy, slow per value
        if internal == "JSONField":
            encoder = f.encoder  # type: ignore[attr-defined]
            if vendor != "postgresql" and encoder is None:
                return lambda v: None if v is None else json.dumps(v)
            return lambda v: None if v is None else ops.adapt_json_value(v, encoder)
        if vendor == "postgresql":
            return None  # psycopg adapts dates, times, aware datetimes and decimals itself
        if vendor == "sqlite":
            if internal == "DateTimeField":  # naive UTC text, as ops.adapt_datetimefield_value writes it
                return lambda v: None if v is None else str(
                    (v if v.tzinfo is dt.UTC else v.astimezone(dt.UTC)).replace(tzinfo=None))
            if internal in ("DateField", "TimeField"):
                return lambda v: None if v is None else v.isoformat()
            if internal == "DecimalField":
                return lambda v: None if v is None else str(v)
            return None
        return lambda v: f.get_db_prep_save(v, ops.connection)

    def write(self, rows: list[Row]) -> None:
        if not rows:
            return
        specs = self.specs
        data = [tuple([row.get(name, default) if adapt is None else adapt(row.get(name, default))
                       for name, default, adapt in specs]) for row in rows]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(self.copy_sql) as copy:
                    for values in data:
                        copy.write_row(values)
            else:
                for start in range(0, len(data), BATCH_SIZE):
                    cursor.executemany(self.insert_sql, data[start:start + BATCH_SIZE])


def _allocate(model: type[models.Model], rows: list[Row]) -> None:
    """Give the rows primary keys: from the table's sequence on PostgreSQL, after the highest id on SQLite."""
    if not rows:
        return
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                           [table, pk, len(rows)])
            ids = sorted(r[0] for r in cursor.fetchall())
        else:
            quote = connection.ops.quote_name
            cursor.execute(f"SELECT COALESCE(MAX({quote(pk)}), 0) FROM {quote(table)}")
            top = cursor.fetchone()[0]
            if connection.vendor == "sqlite":
                cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = %s", [table])
                top = max(top, cursor.fetchone()[0])
            ids = list(range(top + 1, top + 1 + len(rows)))
    for row, pk_value in zip(rows, ids, strict=True):
        row["id"] = pk_value


class _Writer:
    def __init__(self) -> None:
        self.clients = _Table(Client, with_id=True)
        self.contacts = _Table(Contact, with_id=True)
        self.answers = _Table(QualificationAnswer, with_id=False)
        self.deals = _Table(Deal, with_id=True)
        self.lines = _Table(DealLine, with_id=False)
        self.transitions = _Table(StageTransition, with_id=False)
        self.stays = _Table(DealStageStay, with_id=False)
        self.tasks = _Table(Task, with_id=True)
        self.activities = _Table(Activity, with_id=False)

    def insert(self, plans: list[ClientPlan], stats: Stats) -> None:
        clients = [p.client for p in plans]
        _allocate(Client, clients)
        contacts, answers, deals = [], [], []
        for plan in plans:
            client_id = plan.client["id"]
            for contact in plan.contacts:
                contact["client_id"] = client_id
                contacts.append(contact)
            for answer in plan.answers:
                answer["client_id"] = client_id
                answers.append(answer)
        _allocate(Contact, contacts)
        for plan in plans:
            for deal_plan in plan.deals:
                deal = deal_plan.deal
                deal["client_id"] = plan.client["id"]
                deal["contact_id"] = plan.contacts[deal_plan.contact_index]["id"]
                deals.append(deal)
        _allocate(Deal, deals)
        lines, transitions, tasks, activities = [], [], [], []
        for plan in plans:
            client_id = plan.client["id"]
            for deal_plan in plan.deals:
                deal_id = deal_plan.deal["id"]
                for row in deal_plan.lines:
                    row["deal_id"] = deal_id
                lines += deal_plan.lines
                for row in deal_plan.transitions:
                    row["deal_id"] = deal_id
                transitions += deal_plan.transitions
                for row in deal_plan.tasks:
                    row["deal_id"], row["client_id"] = deal_id, client_id
                tasks += deal_plan.tasks
                for row in deal_plan.activities:
                    row["deal_id"], row["client_id"] = deal_id, client_id
                activities += deal_plan.activities
        _allocate(Task, tasks)
        for task in tasks:
            follow = task.get("_follow")
            task["follow_up_id"] = None if follow is None else follow["id"]
        for activity in activities:
            task = activity.get("_task")
            if task is not None:
                activity["data"] = {"task": task["id"], "outcome": task["outcome"]}
        self.clients.write(clients)
        self.contacts.write(contacts)
        self.answers.write(answers)
        self.deals.write(deals)
        self.lines.write(lines)
        self.transitions.write(transitions)
        self.stays.write(summarise_stays(transitions))  # the per-(deal, stage) summary the reports read
        self.tasks.write(tasks)
        self.activities.write(activities)
        stats.clients += len(clients)
        stats.deals += len(deals)
        stats.tasks += len(tasks)
        stats.transitions += len(transitions)
        stats.activities += len(activities)
