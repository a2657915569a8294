"""The outbox: notices (the in-app list, written by ``enqueue`` in the workflow's transaction) go out
through the configured channels, grouped, retried with backoff, each attempt recorded.

``batch``: for each channel, the notices it carries that are in no message of it yet are grouped by
(group key, kind) — for e-mail also by the recipients' addresses — and a group becomes ONE message once
its first notice is ``group_seconds`` old. The (notice, channel) pair is the primary key of
``notify_message_notice``: a notice is put in one message of a channel at most, whatever runs at once
(a second batcher's insert fails and its transaction, message included, rolls back).

``send_due``: every pending message whose next attempt is due is claimed (its next attempt moved past a
lease, so no other sender takes it), sent, and its result committed at once with the attempt row: a stop
or restart never sends again a message already recorded as sent. A failure retries after
``backoff_seconds`` doubled per attempt (at most ``backoff_max_seconds``); after ``max_attempts`` the
message is ``failed`` (kept and listed by ``notify status``). The stop event is checked between messages.

The one window left is a hard kill (SIGKILL, power loss) after the receiver answered and before the
commit: that message goes out again once its lease ends (at least once; robot webhooks have no
idempotency key).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from cockpit import clock
from cockpit.i18n import t
from cockpit.notify import channels as transport
from cockpit.notify.settings import DEFAULT_NOTIFY, Channel, NotifySettings
from cockpit.warehouse.schema import (
    notice,
    notify_attempt,
    notify_message,
    notify_message_notice,
)

log = logging.getLogger(__name__)

PENDING, SENT, FAILED = "pending", "sent", "failed"
STATUSES = (PENDING, SENT, FAILED)
EMAIL_MAX_ITEMS = 200


@dataclass
class SendReport:
    batched: int = 0  # messages made
    sent: int = 0
    retrying: int = 0
    failed: int = 0  # given up in this run
    stopped: bool = False
    messages: list[dict[str, Any]] = field(default_factory=list)  # one per attempt made

    def as_dict(self) -> dict[str, Any]:
        return {"batched": self.batched, "sent": self.sent, "retrying": self.retrying, "failed": self.failed,
                "stopped": self.stopped, "attempts": self.messages}


def _like(glob: str) -> str:
    """A recipient glob (``*``, ``?``) as a LIKE pattern with ``\\`` as escape."""
    out = []
    for c in glob:
        out.append({"*": "%", "?": "_", "%": "\\%", "_": "\\_", "\\": "\\\\"}.get(c, c))
    return "".join(out)


def _link(path: str | None, base_url: str) -> str | None:
    if not path:
        return None
    if path.startswith(("http://", "https://")) or not base_url:
        return path
    return base_url + (path if path.startswith("/") else "/" + path)


def _items(rows: list[Any]) -> list[tuple[str, str | None]]:
    """Distinct (title, link) of the notices, oldest first (one alarm sent to two recipients is one item)."""
    return list(dict.fromkeys((r.title, r.link) for r in rows))


def message_title(kind: str, rows: list[Any], lang: str) -> str:
    items = _items(rows)
    label = t(f"notify.kind.{kind}", lang)
    titles = {title for title, _ in items}
    if len(items) == 1:
        text = t("notify.message.one", lang, kind=label, title=items[0][0])
    elif len(titles) == 1:
        text = t("notify.message.same", lang, kind=label, n=len(items), title=items[0][0])
    else:
        text = t("notify.message.many", lang, kind=label, n=len(items), title=items[0][0])
    return text[:200]


def _fit(head: list[str], lines: list[str], tail: list[str], max_bytes: int, lang: str, sep: str = "\n") -> str:
    """``head + lines + tail`` joined, dropping the last lines (said in a "…and N more" line) to fit."""
    def size(parts: list[str]) -> int:
        return len(sep.join(parts).encode("utf-8"))

    kept = list(lines)
    while kept:
        more = len(lines) - len(kept)
        extra = [t("notify.message.more", lang, n=more)] if more else []
        if size(head + kept + extra + tail) <= max_bytes:
            return sep.join(head + kept + extra + tail)
        kept.pop()
    text = sep.join(head + [t("notify.message.more", lang, n=len(lines))] + tail)
    return text.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")


def message_body(channel: Channel, kind: str, rows: list[Any], settings: NotifySettings, lang: str, title: str) -> str:
    items = _items(rows)
    recipients = "、".join(dict.fromkeys(r.recipient for r in rows))
    at = max(r.created_at for r in rows).strftime("%Y-%m-%d %H:%M")
    if channel.kind == "email":
        lines = [f"- {item}" + (f"\n  {url}" if (url := _link(link, settings.base_url)) else "")
                 for item, link in items[:EMAIL_MAX_ITEMS]]
        if len(items) > EMAIL_MAX_ITEMS:
            lines.append(t("notify.message.more", lang, n=len(items) - EMAIL_MAX_ITEMS))
        tail = ["", t("notify.message.to", lang, who=recipients), t("notify.message.at", lang, at=at),
                "", t("notify.message.footer", lang)]
        return "\n".join([title, ""] + lines + tail)
    lines = []
    for item, link in items:
        url = _link(link, settings.base_url)
        safe = item.replace("[", "【").replace("]", "】")
        lines.append(f"- [{safe}]({url})" if url else f"- {safe}")
    head = [f"### {title}"]
    tail = ["", f"> {t('notify.message.to', lang, who=recipients)}", f"> {t('notify.message.at', lang, at=at)}"]
    limit = transport.WECOM_MAX_BYTES if channel.kind == "wecom" else transport.DINGTALK_MAX_BYTES
    return _fit(head, lines, tail, limit, lang)


def _candidates(conn: Any, channel: Channel, now: datetime, settings: NotifySettings) -> list[Any]:
    patterns = channel.recipient_patterns()
    link = notify_message_notice
    q = (select(notice)
         .where(notice.c.created_at <= now,
                notice.c.created_at >= now - timedelta(hours=settings.max_age_hours),
                notice.c.kind.in_(channel.kinds),
                or_(*[notice.c.recipient.like(_like(p), escape="\\") for p in patterns]),
                ~exists().where(and_(link.c.notice_id == notice.c.id, link.c.channel == channel.name)))
         .order_by(notice.c.created_at, notice.c.id))
    return [r for r in conn.execute(q) if channel.carries(r.kind, r.recipient)]


def batch(engine: Engine, settings: NotifySettings | None, *, lang: str = "zh", now: datetime | None = None) -> int:
    """Put the notices waiting for each channel into messages; returns how many messages were made."""
    settings = settings or DEFAULT_NOTIFY
    now = now or clock.now()
    cutoff = now - timedelta(seconds=settings.group_seconds)
    made = 0
    for channel in settings.channels.values():
        with engine.connect() as conn:
            rows = _candidates(conn, channel, now, settings)
        groups: dict[tuple, list[Any]] = {}
        for r in rows:
            addresses = channel.addresses(r.recipient) if channel.kind == "email" else ()
            groups.setdefault((r.group_key, r.kind, addresses), []).append(r)
        for (group_key, kind, addresses), members in groups.items():
            if min(m.created_at for m in members) > cutoff:
                continue  # still gathering: its first notice waits group_seconds for the others
            title = message_title(kind, members, lang)
            body = message_body(channel, kind, members, settings, lang, title)
            try:
                with engine.begin() as conn:
                    message_id = conn.execute(insert(notify_message).values(
                        channel=channel.name, channel_kind=channel.kind, kind=kind, group_key=group_key,
                        addresses=",".join(addresses) or None, title=title, body=body, notices=len(members),
                        status=PENDING, attempts=0, created_at=now, next_attempt_at=now,
                    ).returning(notify_message.c.id)).scalar_one()
                    conn.execute(insert(notify_message_notice), [
                        {"notice_id": m.id, "channel": channel.name, "message_id": message_id} for m in members])
            except IntegrityError:  # another batcher took (some of) these notices first: it sends them
                log.info("notify: notices of group %s on %s already batched elsewhere", group_key, channel.name)
                continue
            made += 1
    return made


def _lease(settings: NotifySettings) -> timedelta:
    return timedelta(seconds=settings.timeout_seconds * 4 + 60)


def _claim(engine: Engine, message_id: int, now: datetime, settings: NotifySettings) -> bool:
    with engine.begin() as conn:
        claimed = conn.execute(update(notify_message).where(
            notify_message.c.id == message_id, notify_message.c.status == PENDING,
            notify_message.c.next_attempt_at <= now).values(next_attempt_at=now + _lease(settings))).rowcount
    return claimed == 1


def send_due(engine: Engine, settings: NotifySettings | None, *, stop: threading.Event | None = None,
             now: Callable[[], datetime] = clock.now, report: SendReport | None = None,
             send: Callable[..., transport.Result] = transport.send) -> SendReport:
    """Send every due message, one after the other, committing each result right after its send."""
    settings = settings or DEFAULT_NOTIFY
    report = report or SendReport()
    with engine.connect() as conn:
        due = conn.execute(select(notify_message.c.id, notify_message.c.channel)
                           .where(notify_message.c.status == PENDING, notify_message.c.next_attempt_at <= now())
                           .order_by(notify_message.c.next_attempt_at, notify_message.c.id)).all()
    for message_id, channel_name in due:
        if stop is not None and stop.is_set():
            report.stopped = True
            break
        channel = settings.channels.get(channel_name)
        if channel is None:  # the channel was removed from the configuration: kept pending, listed by status
            continue
        at = now()
        if not _claim(engine, message_id, at, settings):
            continue  # another sender has it
        with engine.connect() as conn:
            msg = conn.execute(select(notify_message).where(notify_message.c.id == message_id)).one()
        started = time.monotonic()
        try:
            result = send(channel, msg.title, msg.body, (msg.addresses or "").split(",") if msg.addresses else [],
                          settings.timeout_seconds)
        except Exception as exc:  # a bug, not a channel down: recorded like a failure, retried
            log.exception("notify: sending message %s failed", message_id)
            result = transport.Result(False, None, f"{type(exc).__name__}: {exc}"[:transport.ERROR_MAX])
        seconds = round(time.monotonic() - started, 3)
        _record(engine, msg, result, seconds, now(), settings, report)
    return report


def _record(engine: Engine, msg: Any, result: transport.Result, seconds: float, at: datetime,
            settings: NotifySettings, report: SendReport) -> None:
    attempts = msg.attempts + 1
    if result.ok:
        values = {"status": SENT, "attempts": attempts, "sent_at": at, "last_error": result.error}
        report.sent += 1
    elif attempts >= settings.max_attempts:
        values = {"status": FAILED, "attempts": attempts, "last_error": result.error}
        report.failed += 1
        log.warning("notify: message %s on %s failed %s times, given up: %s", msg.id, msg.channel, attempts, result.error)
    else:
        values = {"attempts": attempts, "last_error": result.error,
                  "next_attempt_at": at + timedelta(seconds=settings.backoff(attempts))}
        report.retrying += 1
        log.info("notify: message %s on %s failed (attempt %s), retry at %s: %s", msg.id, msg.channel, attempts,
                 values["next_attempt_at"], result.error)
    with engine.begin() as conn:
        conn.execute(insert(notify_attempt).values(message_id=msg.id, at=at, ok=result.ok, status=result.status,
                                                   error=result.error, seconds=seconds))
        conn.execute(update(notify_message).where(notify_message.c.id == msg.id).values(**values))
    report.messages.append({"message_id": msg.id, "channel": msg.channel, "ok": result.ok, "status": result.status,
                            "error": result.error, "attempt": attempts, "seconds": seconds,
                            "outcome": values.get("status", "retry")})


def run_once(engine: Engine, settings: NotifySettings | None, *, lang: str = "zh",
             stop: threading.Event | None = None) -> SendReport:
    """One batch, then send what is due (the scheduler's job, and ``notify send``)."""
    settings = settings or DEFAULT_NOTIFY
    report = SendReport()
    if not settings.channels or (stop is not None and stop.is_set()):
        return report
    report.batched = batch(engine, settings, lang=lang)
    return send_due(engine, settings, stop=stop, report=report)


def status(engine: Engine, settings: NotifySettings | None, *, failed_limit: int = 50) -> dict[str, Any]:
    """Messages per channel and status, the failed ones with their last error, and the configured channels."""
    settings = settings or DEFAULT_NOTIFY
    with engine.connect() as conn:
        counts = conn.execute(select(notify_message.c.channel, notify_message.c.status, func.count())
                              .group_by(notify_message.c.channel, notify_message.c.status)).all()
        failed = conn.execute(select(notify_message).where(notify_message.c.status == FAILED)
                              .order_by(notify_message.c.id.desc()).limit(failed_limit)).all()
        retrying = conn.execute(select(notify_message).where(notify_message.c.status == PENDING,
                                                             notify_message.c.attempts > 0)
                                .order_by(notify_message.c.next_attempt_at).limit(failed_limit)).all()
        notices = conn.execute(select(func.count()).select_from(notice)).scalar_one()
    per: dict[str, dict[str, Any]] = {}
    for name, ch in settings.channels.items():
        per[name] = {"channel": name, "kind": ch.kind, "configured": True, **{s: 0 for s in STATUSES}}
    for name, st, n in counts:
        per.setdefault(name, {"channel": name, "kind": None, "configured": False, **{s: 0 for s in STATUSES}})[st] = n

    def row(m: Any) -> dict[str, Any]:
        return {"id": m.id, "channel": m.channel, "kind": m.kind, "group_key": m.group_key, "title": m.title,
                "notices": m.notices, "attempts": m.attempts, "created_at": m.created_at,
                "next_attempt_at": m.next_attempt_at, "last_error": m.last_error}

    return {"notices": notices, "channels": list(per.values()), "failed": [row(m) for m in failed],
            "retrying": [row(m) for m in retrying]}


def attempts_of(engine: Engine, message_ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
    """Every recorded attempt (of these messages), oldest first."""
    q = select(notify_attempt).order_by(notify_attempt.c.id)
    if message_ids is not None:
        q = q.where(notify_attempt.c.message_id.in_(list(message_ids)))
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]
