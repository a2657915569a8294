"""A real HTTP server on loopback that records every request (the robots' stand-in), a real SMTP server
(aiosmtpd), and notices written the way the workflows write them (``enqueue``)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine

from cockpit import clock
from cockpit.notify import enqueue
from cockpit.notify.settings import NotifySettings, notify_from
from cockpit.warehouse.db import engine_for


@dataclass
class Received:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    at: float


@dataclass
class Robot:
    """The recording server. ``mode``: "ok" (errcode 0), "500", "errcode" (HTTP 200, errcode 310000);
    ``delay``: seconds before answering; ``down()`` closes the port, ``up()`` opens it again."""

    port: int
    mode: str = "ok"
    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/cgi-bin/webhook/send?key=test-key") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def up(self) -> None:
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = urlsplit(self.path)
                try:
                    body = json.loads(raw.decode("utf-8"))
                except ValueError:
                    body = raw
                with robot._lock:
                    robot.requests.append(Received(parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()},
                                                   {k.lower(): v for k, v in self.headers.items()}, body, time.time()))
                if robot.delay:
                    time.sleep(robot.delay)
                if robot.mode == "500":
                    status, answer = 500, {"error": "internal"}
                elif robot.mode == "errcode":
                    status, answer = 200, {"errcode": 310000, "errmsg": "sign not match"}
                else:
                    status, answer = 200, {"errcode": 0, "errmsg": "ok"}
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                """Quiet: the test reads what was received, not the server's access log."""

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def bodies(self) -> list[Any]:
        with self._lock:
            return [r.body for r in self.requests]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def robot() -> Iterator[Robot]:
    r = Robot(free_port())
    r.up()
    try:
        yield r
    finally:
        r.down()


@dataclass
class Mailbox:
    port: int
    mails: list[dict[str, Any]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.mails.append({"from": envelope.mail_from, "rcpt": list(envelope.rcpt_tos), "message": msg,
                           "raw": envelope.original_content or envelope.content})
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    from aiosmtpd.controller import Controller

    box = Mailbox(free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def engine(db_url: str) -> Engine:
    return engine_for(db_url)


@pytest.fixture
def now() -> Iterator[datetime]:
    """The clock pinned for the test (the outbox reads it for every time it stores)."""
    with clock.pinned("2026-11-18T10:30:00") as at:
        yield at


def settings(**channels: dict[str, Any]) -> NotifySettings:
    return notify_from({"channels": channels}, env={})


def add_notices(engine: Engine, n: int, *, group: str, kind: str = "dispatch", recipient: str = "user:wang",
                at: datetime, title: str | None = None, village: str = "桃园村") -> None:
    """``n`` notices of one group, ``at`` (one transaction, as a rules pass dispatching them would)."""
    with engine.begin() as conn:
        for i in range(n):
            enqueue(conn, kind=kind, recipients=[recipient], group_key=group, now=at,
                    title=title or f"独居老人预警 · {village} · 住户 {i + 1}", link=f"/orders/{i + 1}",
                    body="24 小时用水量 3 L", order_id=i + 1)


def ago(now: datetime, seconds: int) -> datetime:
    return now - timedelta(seconds=seconds)
