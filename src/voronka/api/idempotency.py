"""``Idempotency-Key`` on POST: a retried request (same key, same method, path and body, same user) gets the
stored answer and writes nothing again; the same key with another request is a 422 problem; a retry while
the first request still runs is a 409.

``idempotent`` wraps every operation (``api.add_decorator``): it claims the key before the handler runs
(``accounts.services.begin_idempotent``) and ``VoronkaAPI.create_response`` stores a 2xx answer or frees the
key after a failure, so a corrected retry can run.
"""

from __future__ import annotations

import hashlib
from functools import wraps

from django.http import HttpRequest, HttpResponse

from voronka.accounts.services import abandon_idempotent, begin_idempotent, finish_idempotent

from .errors import Replay

HEADER = "Idempotency-Key"


def fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    for part in (request.method or "", request.path):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    digest.update(request.body or b"")
    return digest.hexdigest()


def idempotent(func):
    @wraps(func)
    def wrapper(request: HttpRequest, *args, **kwargs):
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None:
            return func(request, *args, **kwargs)
        record, fresh = begin_idempotent(user=request.auth, key=key.strip(), fingerprint=fingerprint(request))
        if not fresh:
            raise Replay(record.status, record.body, record.content_type)
        request._idempotency = record
        try:
            return func(request, *args, **kwargs)
        except BaseException:
            request._idempotency = None
            abandon_idempotent(record=record)
            raise

    return wrapper


def settle(request: HttpRequest, response: HttpResponse) -> None:
    """After the answer is rendered: keep a success for replays, free the key after anything else."""
    record = getattr(request, "_idempotency", None)
    if record is None:
        return
    request._idempotency = None
    if 200 <= response.status_code < 300:
        finish_idempotent(record=record, status=response.status_code, body=response.content.decode("utf-8"),
                          content_type=response.get("Content-Type", "application/json"))
    else:
        abandon_idempotent(record=record)
