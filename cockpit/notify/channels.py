"""Sending one message through one channel: the 企业微信 group robot, the 钉钉 custom robot (with its
加签 signature) and e-mail by SMTP. Standard library only, a short timeout, no retry here (the outbox
retries with backoff and records every attempt).

Wire formats:

- 企业微信 group robot: ``POST <webhook>`` with ``{"msgtype": "markdown", "markdown": {"content": …}}``
  (content at most 4096 bytes of UTF-8); success is HTTP 200 with ``{"errcode": 0, …}``.
- 钉钉 custom robot: ``POST <webhook>[&timestamp=…&sign=…]`` with ``{"msgtype": "markdown", "markdown":
  {"title": …, "text": …}}``; ``sign`` is the URL-encoded base64 of HMAC-SHA256(key = secret, message =
  ``f"{timestamp}\\n{secret}"``), ``timestamp`` the real time in milliseconds (钉钉 refuses one more than an
  hour off, so never the pinned clock); success is ``{"errcode": 0, …}``.
- e-mail: one ``EmailMessage`` (UTF-8 subject and body) to all the addresses of the message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from cockpit import clock
from cockpit.notify.settings import Channel

WECOM_MAX_BYTES = 4096
DINGTALK_MAX_BYTES = 18000  # the robot takes about 20 000 bytes of markdown; kept below
ERROR_MAX = 1000


@dataclass(frozen=True)
class Result:
    """What one attempt got: ``status`` is the HTTP status or the SMTP reply code."""

    ok: bool
    status: str | None = None
    error: str | None = None


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """The 加签 ``sign`` parameter, URL-encoded."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    sep = "&" if urllib.parse.urlsplit(url).query else "?"
    return f"{url}{sep}timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"


def wecom_payload(title: str, body: str) -> dict:
    return {"msgtype": "markdown", "markdown": {"content": body}}


def dingtalk_payload(title: str, body: str) -> dict:
    return {"msgtype": "markdown", "markdown": {"title": title, "text": body}}


def _post_json(url: str, payload: dict, timeout: float) -> Result:
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8",
                                              "User-Agent": "cockpit-notify/1"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, text = response.status, response.read(65536).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        detail = exc.read(2000).decode("utf-8", "replace") if exc.fp else ""
        return Result(False, str(exc.code), f"HTTP {exc.code} {exc.reason}: {detail}"[:ERROR_MAX])
    except (urllib.error.URLError, OSError) as exc:  # refused, unreachable, timed out
        reason = getattr(exc, "reason", exc)
        return Result(False, None, f"{type(reason).__name__}: {reason}"[:ERROR_MAX])
    try:
        answer = json.loads(text)
    except ValueError:
        return Result(False, str(status), f"not a JSON answer: {text[:200]!r}")
    errcode = answer.get("errcode") if isinstance(answer, dict) else None
    if errcode != 0:
        return Result(False, str(status), f"errcode {errcode}: {answer.get('errmsg') if isinstance(answer, dict) else answer}"[:ERROR_MAX])
    return Result(True, str(status))


def send_robot(channel: Channel, title: str, body: str, timeout: float) -> Result:
    if channel.kind == "wecom":
        return _post_json(channel.url, wecom_payload(title, body), timeout)
    url = channel.url
    if channel.secret:
        url = signed_url(url, channel.secret, int(clock.real_now().timestamp() * 1000))  # 钉钉 refuses a skewed one
    return _post_json(url, dingtalk_payload(title, body), timeout)


def email_message(channel: Channel, addresses: list[str], title: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = title
    msg["From"] = channel.sender
    msg["To"] = ", ".join(addresses)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=channel.sender.rsplit("@", 1)[-1])
    msg.set_content(body, charset="utf-8")
    return msg


def send_email(channel: Channel, addresses: list[str], title: str, body: str, timeout: float) -> Result:
    msg = email_message(channel, addresses, title, body)
    try:
        cls = smtplib.SMTP_SSL if channel.ssl else smtplib.SMTP
        with cls(channel.host, channel.port, timeout=timeout) as smtp:
            smtp.ehlo_or_helo_if_needed()
            if channel.starttls:
                smtp.starttls()
                smtp.ehlo()
            if channel.username:
                smtp.login(channel.username, channel.password)
            code, reply = smtp.mail(channel.sender)
            if code != 250:
                return Result(False, str(code), f"MAIL FROM refused: {reply.decode('utf-8', 'replace')}"[:ERROR_MAX])
            refused = []
            for a in addresses:
                code, reply = smtp.rcpt(a)
                if code not in (250, 251):
                    refused.append(f"{a}: {code} {reply.decode('utf-8', 'replace')}")
            if len(refused) == len(addresses):
                smtp.rset()
                return Result(False, str(code), ("every recipient refused: " + "; ".join(refused))[:ERROR_MAX])
            code, reply = smtp.data(msg.as_bytes())
            if code != 250:
                return Result(False, str(code), f"DATA refused: {reply.decode('utf-8', 'replace')}"[:ERROR_MAX])
            return Result(True, str(code), ("some recipients refused: " + "; ".join(refused))[:ERROR_MAX] if refused else None)
    except smtplib.SMTPResponseException as exc:
        return Result(False, str(exc.smtp_code), f"{type(exc).__name__}: {exc.smtp_error.decode('utf-8', 'replace')}"[:ERROR_MAX])
    except (smtplib.SMTPException, OSError) as exc:
        return Result(False, None, f"{type(exc).__name__}: {exc}"[:ERROR_MAX])


def send(channel: Channel, title: str, body: str, addresses: list[str], timeout: float) -> Result:
    """One attempt through ``channel``; never raises for a channel that is down."""
    if channel.kind == "email":
        return send_email(channel, addresses, title, body, timeout)
    return send_robot(channel, title, body, timeout)
