"""``voronka worker --supervise``: keep one worker process running (``make run`` uses it). Plain Python, no
Django: the supervisor itself touches no database, so it cannot be the part that breaks."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time


def supervise(argv: list[str], *, min_backoff: float = 1.0, max_backoff: float = 30.0) -> int:
    """Run ``voronka worker ARGS`` as a child and start it again whenever it exits, until told to stop."""
    stopping = threading.Event()
    child: subprocess.Popen | None = None

    def stop(signum, _frame) -> None:
        stopping.set()
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGTERM)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)
    backoff = min_backoff
    while not stopping.is_set():
        started = time.monotonic()
        child = subprocess.Popen([sys.executable, "-m", "voronka.cli", "worker", *argv])
        print(f"voronka worker --supervise: worker started (pid {child.pid})", flush=True)
        code = child.wait()
        if stopping.is_set():
            break
        if time.monotonic() - started > 60:
            backoff = min_backoff
        print(f"voronka worker --supervise: worker exited with {code}; starting it again in {backoff:.0f} s",
              file=sys.stderr, flush=True)
        if stopping.wait(backoff):
            break
        backoff = min(backoff * 2, max_backoff)
    return 0
