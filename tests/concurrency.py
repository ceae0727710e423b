"""Real races on PostgreSQL: jobs in threads released together, each with its own connection."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import close_old_connections, connection


def race(*jobs: Callable[[], object], timeout: float = 60) -> list[object]:
    """Run the jobs at the same moment (a barrier); returns each result, or the exception it raised."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(index: int, job: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=20)
            results[index] = job()
        except Exception as exc:  # recorded and asserted on by the test
            results[index] = exc
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a job hung (deadlock?)"
    return results
