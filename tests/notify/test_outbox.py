"""The outbox against a real loopback HTTP server and a real SMTP server: each channel's wire format,
the 钉钉 signature, grouping, retries with backoff, failure after max attempts, nothing batched twice.
On SQLite and PostgreSQL (``db_url``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from datetime import timedelta
from email.header import decode_header
from urllib.parse import unquote_plus

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from cockpit import clock
from cockpit.notify.outbox import attempts_of, batch, run_once, send_due, status
from cockpit.warehouse.schema import (
    notice,
    notify_attempt,
    notify_message,
    notify_message_notice,
)
from tests.notify.conftest import add_notices, ago, settings


def messages(engine) -> list:
    with engine.connect() as conn:
        return conn.execute(select(notify_message).order_by(notify_message.c.id)).all()


# ---------------------------------------------------------------- wire formats
def test_wecom_markdown_as_the_robot_documents_it(engine, robot, now) -> None:
    s = settings(group={"kind": "wecom", "url": robot.url()})
    add_notices(engine, 1, group="elderly:110101001001", at=ago(now, 120))
    report = run_once(engine, s)
    assert (report.batched, report.sent) == (1, 1)
    [req] = robot.requests
    assert req.path == "/cgi-bin/webhook/send" and req.query == {"key": "test-key"}
    assert req.headers["content-type"].startswith("application/json")
    assert set(req.body) == {"msgtype", "markdown"} and req.body["msgtype"] == "markdown"
    assert set(req.body["markdown"]) == {"content"}
    content = req.body["markdown"]["content"]
    assert content.startswith("### 【派单】独居老人预警 · 桃园村 · 住户 1")
    assert "- [独居老人预警 · 桃园村 · 住户 1](/orders/1)" in content
    assert "接收：user:wang" in content
    [m] = messages(engine)
    assert (m.status, m.attempts, m.sent_at) == ("sent", 1, now)
    [a] = attempts_of(engine)
    assert a["ok"] is True and a["status"] == "200" and a["error"] is None and a["seconds"] >= 0


def test_wecom_content_fits_4096_bytes_and_says_how_many_were_left_out(engine, robot, now) -> None:
    s = settings(group={"kind": "wecom", "url": robot.url()})
    add_notices(engine, 300, group="elderly:v1", at=ago(now, 120))
    run_once(engine, s)
    [body] = robot.bodies()
    content = body["markdown"]["content"]
    assert len(content.encode("utf-8")) <= 4096
    listed = content.count("\n- [")
    assert 10 < listed < 300
    assert f"……及另外 {300 - listed} 条" in content
    assert content.rstrip().endswith("> 时间：2026-11-18 10:28")


def test_links_are_absolute_with_a_base_url(engine, robot, now) -> None:
    from cockpit.notify.settings import notify_from

    s = notify_from({"base_url": "https://cockpit.example.gov.cn/", "channels": {"g": {"kind": "wecom", "url": robot.url()}}}, env={})
    add_notices(engine, 1, group="g1", at=ago(now, 120))
    run_once(engine, s)
    assert "(https://cockpit.example.gov.cn/orders/1)" in robot.bodies()[0]["markdown"]["content"]


def test_dingtalk_markdown_with_a_signature_the_robot_can_check(engine, robot, now) -> None:
    secret = "SEC0123456789abcdef"
    s = settings(duty={"kind": "dingtalk", "url": robot.url("/robot/send?access_token=tok"), "secret": secret})
    add_notices(engine, 2, group="elderly:v1", kind="escalation", at=ago(now, 120))
    before = int(time.time() * 1000)
    run_once(engine, s)
    [req] = robot.requests
    assert req.path == "/robot/send"
    assert set(req.query) == {"access_token", "timestamp", "sign"} and req.query["access_token"] == "tok"
    ts = int(req.query["timestamp"])
    assert before <= ts <= int(time.time() * 1000)  # the real time in ms, not the pinned clock
    expected = base64.b64encode(hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()).decode()
    assert req.query["sign"] == expected  # parse_qs has URL-decoded it once
    assert req.body["msgtype"] == "markdown" and set(req.body["markdown"]) == {"title", "text"}
    assert req.body["markdown"]["title"] == "【升级】2 条通知：独居老人预警 · 桃园村 · 住户 1 等"
    assert req.body["markdown"]["text"].startswith("### " + req.body["markdown"]["title"])
    assert req.body["markdown"]["text"].count("\n- [") == 2


def test_dingtalk_without_secret_is_sent_unsigned(engine, robot, now) -> None:
    s = settings(duty={"kind": "dingtalk", "url": robot.url("/robot/send?access_token=tok")})
    add_notices(engine, 1, group="g", at=ago(now, 120))
    run_once(engine, s)
    assert robot.requests[0].query == {"access_token": "tok"}


def test_the_sign_parameter_is_url_encoded() -> None:
    from cockpit.notify.channels import dingtalk_sign, signed_url

    sign = dingtalk_sign("SECx", 1700000000000)
    raw = base64.b64encode(hmac.new(b"SECx", b"1700000000000\nSECx", hashlib.sha256).digest()).decode()
    assert unquote_plus(sign) == raw and "+" not in sign and "/" not in sign and "=" not in sign
    assert signed_url("https://h/robot/send?access_token=a", "SECx", 1700000000000) == \
        f"https://h/robot/send?access_token=a&timestamp=1700000000000&sign={sign}"


def test_email_one_mail_per_group_with_a_utf8_chinese_subject(engine, mailbox, now) -> None:
    s = settings(mail={"kind": "email", "host": "127.0.0.1", "port": mailbox.port, "sender": "cockpit@example.gov.cn",
                       "to": {"department:police": ["police@example.gov.cn"], "role:leader": ["lead@example.gov.cn", "dep@example.gov.cn"]}})
    add_notices(engine, 3, group="elderly:v1", recipient="role:leader", at=ago(now, 120))
    add_notices(engine, 2, group="elderly:v2", recipient="role:leader", at=ago(now, 120), village="李家村")
    add_notices(engine, 1, group="fire:v1", recipient="department:police", at=ago(now, 120), title="火情 · 桃园村")
    add_notices(engine, 4, group="elderly:v1", recipient="user:nobody", at=ago(now, 120))  # no address: not mailed
    report = run_once(engine, s)
    assert (report.batched, report.sent) == (3, 3)
    assert len(mailbox.mails) == 3
    by_subject = {m["message"]["Subject"]: m for m in mailbox.mails}
    assert set(by_subject) == {"【派单】3 条通知：独居老人预警 · 桃园村 · 住户 1 等",
                               "【派单】2 条通知：独居老人预警 · 李家村 · 住户 1 等", "【派单】火情 · 桃园村"}
    mail = by_subject["【派单】3 条通知：独居老人预警 · 桃园村 · 住户 1 等"]
    assert sorted(mail["rcpt"]) == ["dep@example.gov.cn", "lead@example.gov.cn"] and mail["from"] == "cockpit@example.gov.cn"
    raw_subject = mail["message"].get("Subject").__str__()
    assert raw_subject and b"=?utf-8?" in mail["raw"].lower()  # RFC 2047, UTF-8
    assert decode_header(mail["raw"].decode().split("Subject: ", 1)[1].split("\n", 1)[0])[0][1] == "utf-8"
    text = mail["message"].get_content()
    assert "住户 3" in text and "/orders/3" in text and "接收：role:leader" in text
    assert by_subject["【派单】火情 · 桃园村"]["rcpt"] == ["police@example.gov.cn"]
    with engine.connect() as conn:  # the notices of user:nobody are in no e-mail message
        linked = conn.execute(select(func.count()).select_from(notify_message_notice)).scalar_one()
    assert linked == 6
    assert {a["status"] for a in attempts_of(engine)} == {"250"}


def test_email_server_down_is_a_recorded_failure(engine, now) -> None:
    from tests.notify.conftest import free_port

    s = settings(mail={"kind": "email", "host": "127.0.0.1", "port": free_port(), "sender": "c@example.gov.cn",
                       "to": {"*": ["x@example.gov.cn"]}})
    add_notices(engine, 1, group="g", at=ago(now, 120))
    report = run_once(engine, s)
    assert report.retrying == 1
    [a] = attempts_of(engine)
    assert a["ok"] is False and "Connection" in a["error"]


# ---------------------------------------------------------------- grouping
def test_ten_alarms_of_one_village_are_one_message_two_villages_two(engine, robot, now) -> None:
    s = settings(group={"kind": "wecom", "url": robot.url()})
    add_notices(engine, 10, group="elderly:v1", at=ago(now, 120))
    add_notices(engine, 4, group="elderly:v2", at=ago(now, 120), village="李家村")
    assert batch(engine, s) == 2
    rows = messages(engine)
    assert sorted((m.group_key, m.notices) for m in rows) == [("elderly:v1", 10), ("elderly:v2", 4)]
    send_due(engine, s)
    bodies = [b["markdown"]["content"] for b in robot.bodies()]
    assert len(bodies) == 2
    v1 = next(b for b in bodies if "桃园村" in b)
    assert v1.count("\n- [") == 10 and v1.startswith("### 【派单】10 条通知")
    assert batch(engine, s) == 0 and run_once(engine, s).batched == 0  # nothing twice
    assert len(robot.requests) == 2


def test_same_alarm_to_two_recipients_is_one_line_and_kinds_do_not_mix(engine, robot, now) -> None:
    s = settings(group={"kind": "wecom", "url": robot.url()})
    add_notices(engine, 1, group="o:1", recipient="user:wang", at=ago(now, 120), title="独居老人预警 · 桃园村")
    add_notices(engine, 1, group="o:1", recipient="role:leader", at=ago(now, 120), title="独居老人预警 · 桃园村")
    add_notices(engine, 1, group="o:1", kind="overdue", at=ago(now, 120), title="独居老人预警 · 桃园村")
    assert batch(engine, s) == 2
    dispatch = next(m for m in messages(engine) if m.kind == "dispatch")
    assert dispatch.notices == 2 and dispatch.body.count("\n- [") == 1
    assert "user:wang、role:leader" in dispatch.body


def test_a_group_waits_group_seconds_for_its_first_notice_then_takes_all(engine, robot, now) -> None:
    s = settings(group={"kind": "wecom", "url": robot.url()})  # group_seconds 60
    add_notices(engine, 1, group="g", at=ago(now, 30))
    assert batch(engine, s) == 0  # the first is 30 s old: still gathering
    add_notices(engine, 2, group="g", at=now)
    with clock.pinned(now + timedelta(seconds=31)):
        assert batch(engine, s) == 1
    assert messages(engine)[0].notices == 3


def test_a_channel_carries_only_its_recipients_and_kinds(engine, robot, now) -> None:
    s = settings(leaders={"kind": "wecom", "url": robot.url(), "recipients": ["role:leader", "department:*"],
                          "kinds": ["escalation", "overdue"]},
                 all={"kind": "wecom", "url": robot.url("/all")})
    add_notices(engine, 1, group="a", recipient="role:leader", kind="escalation", at=ago(now, 120))
    add_notices(engine, 1, group="b", recipient="department:police", kind="overdue", at=ago(now, 120))
    add_notices(engine, 1, group="c", recipient="role:leader", kind="dispatch", at=ago(now, 120))
    add_notices(engine, 1, group="d", recipient="user:wang", kind="escalation", at=ago(now, 120))
    add_notices(engine, 1, group="e", recipient="role:leader_x", kind="escalation", at=ago(now, 120))
    batch(engine, s)
    got = sorted((m.channel, m.group_key) for m in messages(engine))
    assert [g for c, g in got if c == "leaders"] == ["a", "b"]
    assert [g for c, g in got if c == "all"] == ["a", "b", "c", "d", "e"]


def test_old_notices_are_not_sent_by_a_new_channel(engine, robot, now) -> None:
    s = settings(group={"kind": "wecom", "url": robot.url()})  # max_age_hours 24
    add_notices(engine, 1, group="old", at=now - timedelta(hours=25))
    assert batch(engine, s) == 0


def test_a_notice_is_in_one_message_of_a_channel_at_most(engine, now) -> None:
    add_notices(engine, 1, group="g", at=now)
    with engine.begin() as conn:
        nid = conn.execute(select(notice.c.id)).scalar_one()
        mid = conn.execute(insert(notify_message).values(channel="c", channel_kind="wecom", kind="dispatch", group_key="g",
                                                         title="t", body="b", notices=1, status="pending", attempts=0,
                                                         created_at=now, next_attempt_at=now).returning(notify_message.c.id)).scalar_one()
        conn.execute(insert(notify_message_notice).values(notice_id=nid, channel="c", message_id=mid))
    with pytest.raises(IntegrityError):
        with engine.begin() as conn:
            conn.execute(insert(notify_message_notice).values(notice_id=nid, channel="c", message_id=mid))


def test_concurrent_batchers_put_each_notice_in_one_message(pg_url, robot, now) -> None:
    from cockpit.warehouse.db import engine_for

    engine = engine_for(pg_url)
    s = settings(group={"kind": "wecom", "url": robot.url()})
    for v in range(8):
        add_notices(engine, 5, group=f"elderly:v{v}", at=ago(now, 120))
    errors = []

    def run() -> None:
        try:
            batch(engine, s, now=now)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    rows = messages(engine)
    assert sorted(m.group_key for m in rows) == [f"elderly:v{v}" for v in range(8)]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(notify_message_notice)).scalar_one() == 40


# ---------------------------------------------------------------- retries
def test_channel_down_retries_with_backoff_then_delivers_once(engine, robot, now) -> None:
    s = settings(group={"kind": "wecom", "url": robot.url()})  # backoff 30 s doubled, max 8 attempts
    add_notices(engine, 3, group="elderly:v1", at=ago(now, 120))
    robot.down()
    at = now
    expected_next = []
    for attempt, wait in enumerate((30, 60, 120), start=1):
        with clock.pinned(at):
            report = run_once(engine, s)
        assert (report.sent, report.retrying) == (0, 1)
        [m] = messages(engine)
        assert m.attempts == attempt and m.status == "pending"
        assert m.next_attempt_at == at + timedelta(seconds=wait)
        expected_next.append(m.next_attempt_at)
        with clock.pinned(m.next_attempt_at - timedelta(seconds=1)):  # not due yet: nothing is tried
            assert run_once(engine, s).messages == []
        at = m.next_attempt_at
    robot.up()
    with clock.pinned(at):
        report = run_once(engine, s)
    assert report.sent == 1
    with clock.pinned(at + timedelta(hours=2)):
        assert run_once(engine, s).messages == []
    assert len(robot.requests) == 1  # delivered once
    tries = attempts_of(engine)
    assert [a["ok"] for a in tries] == [False, False, False, True]
    assert [a["at"] for a in tries] == [now, *expected_next]
    assert all("Connection" in a["error"] or "refused" in a["error"].lower() for a in tries[:3])
    [m] = messages(engine)
    assert (m.status, m.attempts, m.sent_at) == ("sent", 4, at)


@pytest.mark.parametrize("mode, error", [("500", "HTTP 500"), ("errcode", "errcode 310000: sign not match")])
def test_max_attempts_then_failed_kept_and_listed(engine, robot, now, mode, error) -> None:
    from cockpit.notify.settings import notify_from

    robot.mode = mode
    s = notify_from({"max_attempts": 3, "backoff_seconds": 10, "backoff_max_seconds": 15,
                     "channels": {"group": {"kind": "wecom", "url": robot.url()}}}, env={})
    add_notices(engine, 1, group="g", at=ago(now, 120))
    at, waits = now, []
    for _ in range(3):
        with clock.pinned(at):
            run_once(engine, s)
        m = messages(engine)[0]
        waits.append((m.next_attempt_at - at).total_seconds())
        at = m.next_attempt_at
    assert waits[:2] == [10, 15]  # doubled, capped
    [m] = messages(engine)
    assert (m.status, m.attempts) == ("failed", 3) and error in m.last_error
    with clock.pinned(at + timedelta(days=1)):
        assert run_once(engine, s).messages == []  # never tried again
    assert len(robot.requests) == 3
    st = status(engine, s)
    assert st["channels"] == [{"channel": "group", "kind": "wecom", "configured": True, "pending": 0, "sent": 0, "failed": 1}]
    assert st["failed"][0]["id"] == m.id and error in st["failed"][0]["last_error"]
    with engine.connect() as conn:
        rows = conn.execute(select(notify_attempt.c.status, notify_attempt.c.ok)).all()
    assert [tuple(r) for r in rows] == [("500" if mode == "500" else "200", False)] * 3


def test_a_stop_between_messages_leaves_the_rest_pending(engine, robot, now) -> None:
    s = settings(group={"kind": "wecom", "url": robot.url()})
    for v in range(3):
        add_notices(engine, 1, group=f"g{v}", at=ago(now, 120))
    batch(engine, s)
    stop = threading.Event()
    calls = []

    from cockpit.notify import channels

    def send_then_stop(*args):
        calls.append(args)
        stop.set()  # SIGTERM while the first message is in flight
        return channels.send(*args)

    report = send_due(engine, s, stop=stop, send=send_then_stop)
    assert (report.sent, report.stopped, len(calls)) == (1, True, 1)
    assert [m.status for m in messages(engine)] == ["sent", "pending", "pending"]
    assert send_due(engine, s).sent == 2
    assert len(robot.requests) == 3
