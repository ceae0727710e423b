"""A real HTTP receiver on 127.0.0.1 (a thread, port 0) that records every request it gets."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from voronka.integrations.services import create_subscription


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    """``answers``: the status codes to give, in order (the last one repeats); ``"sleep"`` waits past the
    client's timeout before answering 200."""

    url: str = ""
    answers: list = field(default_factory=lambda: [200])
    requests: list[Received] = field(default_factory=list)
    sleep_seconds: float = 2.0

    def next_answer(self):
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            state.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            answer = state.next_answer()
            if answer == "sleep":
                time.sleep(state.sleep_seconds)
                answer = 200
            self.send_response(answer)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def subscription(world, receiver):
    return create_subscription(actor=world.admin, name="Receiver", target_url=receiver.url,
                               event_types=["deal.created", "deal.moved"])
