"""Fixtures for notify tests: a local HTTP server standing in for the WeCom/DingTalk robots,
and a helper that runs queued delivery tasks whichever django_tasks backend is configured."""

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

RQ = os.environ.get("TASK_BACKEND") == "django_tasks_rq.RQBackend"


@pytest.fixture(autouse=True)
def _robot_hosts(settings):
    """Let group robots point at the local test server as well as the official hosts."""
    settings.NOTIFY_WEBHOOK_HOSTS = ["qyapi.weixin.qq.com", "oapi.dingtalk.com", "127.0.0.1"]


class RobotServer:
    """Records each POST; answers with the queued (status, json) replies, then 200 errcode 0."""

    def __init__(self):
        self.requests: list[dict] = []
        self.replies: list[tuple[int, dict]] = []
        self.always: tuple[int, dict] | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                parts = urlsplit(self.path)
                server.requests.append({
                    "path": parts.path,
                    "query": {k: v[0] for k, v in parse_qs(parts.query).items()},
                    "content_type": self.headers.get("Content-Type"),
                    "json": json.loads(raw.decode("utf-8")),
                })
                if server.always:
                    status, reply = server.always
                elif server.replies:
                    status, reply = server.replies.pop(0)
                else:
                    status, reply = 200, {"errcode": 0, "errmsg": "ok"}
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return self.base + path

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def robot_server():
    server = RobotServer()
    yield server
    server.close()


def _run_rq_jobs() -> int:
    """Run the queued tongxin.notify jobs in this process (rq SimpleWorker, burst-like)."""
    import django_rq
    from django_tasks_rq.backend import Job
    from rq import SimpleWorker

    queue = django_rq.get_queue("default", job_class=Job)
    worker = SimpleWorker([queue], connection=queue.connection, job_class=Job)
    ran = 0
    for _ in range(50):
        mine = [j for j in queue.get_jobs() if j.func_name.startswith("tongxin.notify.")]
        if not mine:
            break
        for job in mine:
            queue.remove(job)
            worker.execute_job(job, queue)
            ran += 1
    return ran


@pytest.fixture
def run_tasks():
    """Call after enqueueing: runs queued tasks on rq; with the immediate backend they already ran."""

    def run() -> int:
        return _run_rq_jobs() if RQ else 0

    if RQ:
        _run_rq_jobs()  # drain leftovers of earlier runs
    return run


@pytest.fixture
def commit(django_capture_on_commit_callbacks, run_tasks):
    """`with commit(): ...` runs on_commit callbacks (the enqueueing) and then the queued tasks."""
    from contextlib import contextmanager

    @contextmanager
    def _commit():
        with django_capture_on_commit_callbacks(execute=True):
            yield
        run_tasks()

    return _commit
