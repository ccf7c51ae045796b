"""Helpers for tests that need real concurrency against the real database."""

import threading

from django.db import connection


def run_in_threads(n: int, fn, timeout: float = 120.0) -> list:
    """Run fn(i) for i in range(n) in n threads released together by a barrier.

    Returns the n results, an exception in place of a result where fn raised. Each thread closes
    its own database connection, so the test database can be dropped afterwards.
    """
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def worker(i):
        try:
            barrier.wait()
            results[i] = fn(i)
        except Exception as exc:  # noqa: BLE001 - handed back for the test's assertions
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return results
