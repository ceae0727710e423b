"""Handlers of domain events: ``@handles("deal.moved")`` (or ``"*"`` for every event)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Handler = Callable[[Any], None]

ALL = "*"
_handlers: dict[str, list[Handler]] = {}


def register(verb: str, handler: Handler) -> Handler:
    handlers = _handlers.setdefault(verb, [])
    if handler not in handlers:
        handlers.append(handler)
    return handler


def unregister(verb: str, handler: Handler) -> None:
    handlers = _handlers.get(verb, [])
    if handler in handlers:
        handlers.remove(handler)


def handles(*verbs: str) -> Callable[[Handler], Handler]:
    """Decorator: call ``handler(event)`` after the commit of every event with one of ``verbs``.

    A handler runs in the dispatch transaction together with the "dispatched" mark: if it raises, its
    database writes roll back and the event is retried later. Effects outside the database (email, HTTP)
    should be idempotent or be enqueued as their own tasks.
    """

    def decorator(handler: Handler) -> Handler:
        for verb in verbs:
            register(verb, handler)
        return handler

    return decorator


def handlers_for(verb: str) -> list[Handler]:
    return [*_handlers.get(verb, []), *_handlers.get(ALL, [])]
