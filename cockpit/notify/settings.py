"""``[notify]``: how often the outbox sends, how notices are grouped and retried, and the channels
(企业微信 / 钉钉 group robots, e-mail) each notice goes out through. No channel: in-app list only.

Every mistake raises ``NotifySettingsError`` naming its key (``notify.channels.duty.url``); the
configuration loader turns it into a ``ConfigError``.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from cockpit.notify.notices import KINDS

CHANNEL_KINDS: tuple[str, ...] = ("wecom", "dingtalk", "email")
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,47}$")

_TOP = {
    "send_seconds": 30,  # how often the scheduler batches and sends
    "group_seconds": 60,  # a notice waits this long for others of its group before it goes out
    "max_attempts": 8,  # then the message is marked failed (kept, listed)
    "backoff_seconds": 30,  # first retry delay, doubled per attempt …
    "backoff_max_seconds": 3600,  # … up to this
    "max_age_hours": 24,  # an older notice is never sent by a channel (a new channel does not flood old ones)
    "timeout_seconds": 5,  # per request / SMTP session
    "base_url": "",  # e.g. "https://cockpit.example.gov.cn": links in messages become absolute
}
_COMMON = {"kind", "recipients", "kinds", "enabled"}
_KEYS = {
    "wecom": _COMMON | {"url"},
    "dingtalk": _COMMON | {"url", "secret"},
    "email": _COMMON | {"host", "port", "starttls", "ssl", "sender", "username", "password", "to"},
}


class NotifySettingsError(Exception):
    def __init__(self, key: str, problem: str, fix: str) -> None:
        self.key, self.problem, self.fix = key, problem, fix
        super().__init__(f"[{key}] {problem}. Fix: {fix}")


@dataclass(frozen=True)
class Channel:
    """One configured channel. ``recipients``: globs on a notice's recipient; ``kinds``: the notice kinds
    it carries; for e-mail ``to`` maps a recipient (or a glob) to its addresses."""

    name: str
    kind: str
    recipients: tuple[str, ...] = ("*",)
    kinds: tuple[str, ...] = KINDS
    url: str = ""
    secret: str = field(default="", repr=False)
    host: str = ""
    port: int = 25
    starttls: bool = False
    ssl: bool = False
    sender: str = ""
    username: str = ""
    password: str = field(default="", repr=False)
    to: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def carries(self, kind: str, recipient: str) -> bool:
        if kind not in self.kinds or not any(fnmatch.fnmatchcase(recipient, p) for p in self.recipients):
            return False
        return self.kind != "email" or bool(self.addresses(recipient))

    def addresses(self, recipient: str) -> tuple[str, ...]:
        """The e-mail addresses of ``recipient`` (every ``to`` entry whose key matches it), sorted."""
        found = {a for pattern, addrs in self.to if fnmatch.fnmatchcase(recipient, pattern) for a in addrs}
        return tuple(sorted(found))

    def recipient_patterns(self) -> tuple[str, ...]:
        """Globs that preselect the notices in SQL (a superset of ``carries``)."""
        if self.kind == "email":
            return tuple(k for k, _ in self.to)
        return self.recipients


@dataclass(frozen=True)
class NotifySettings:
    send_seconds: int = 30
    group_seconds: int = 60
    max_attempts: int = 8
    backoff_seconds: int = 30
    backoff_max_seconds: int = 3600
    max_age_hours: int = 24
    timeout_seconds: int = 5
    base_url: str = ""
    channels: dict[str, Channel] = field(default_factory=dict)

    def backoff(self, attempts: int) -> int:
        """Seconds to wait after the ``attempts``-th failed attempt (1: ``backoff_seconds``)."""
        return min(self.backoff_max_seconds, self.backoff_seconds * 2 ** max(0, attempts - 1))


DEFAULT_NOTIFY = NotifySettings()


def _int(key: str, raw: Any, minimum: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < minimum:
        raise NotifySettingsError(key, f"expected a whole number ≥ {minimum}, got {raw!r}", f"write e.g. {key.rsplit('.', 1)[-1]} = {max(minimum, 1) * 30}")
    return raw


def _text(key: str, raw: Any) -> str:
    if not isinstance(raw, str):
        raise NotifySettingsError(key, f"expected text, got {raw!r}", "put the value in quotes")
    return raw


def _list(key: str, raw: Any, example: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(x, str) and x for x in raw):
        raise NotifySettingsError(key, f"expected a non-empty list of text, got {raw!r}", f"write {key.rsplit('.', 1)[-1]} = {example}")
    return tuple(raw)


def _http_url(key: str, raw: Any) -> str:
    url = _text(key, raw)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise NotifySettingsError(key, f"{url!r} is not an http(s) URL", "paste the robot's webhook address, https://…")
    return url


def _channel(name: str, block: Any, env: Mapping[str, str]) -> Channel:
    key = f"notify.channels.{name}"
    if not NAME_RE.match(name):
        raise NotifySettingsError(key, "a channel name must be a letter then letters, digits or _", "rename it, e.g. duty_ding")
    if not isinstance(block, dict):
        raise NotifySettingsError(key, "expected a table", f"write it as [{key}]")
    kind = block.get("kind")
    if kind not in CHANNEL_KINDS:
        raise NotifySettingsError(f"{key}.kind", f"unknown channel kind {kind!r}", "use one of: " + ", ".join(CHANNEL_KINDS))
    for k in block:
        if k not in _KEYS[kind]:
            raise NotifySettingsError(f"{key}.{k}", f"unknown key for a {kind} channel",
                                      "remove it or use one of: " + ", ".join(sorted(_KEYS[kind])))
    values: dict[str, Any] = {"name": name, "kind": kind}
    if "recipients" in block:
        values["recipients"] = _list(f"{key}.recipients", block["recipients"], '["role:leader", "department:*"]')
    if "kinds" in block:
        kinds = _list(f"{key}.kinds", block["kinds"], '["dispatch", "escalation", "overdue"]')
        bad = [k for k in kinds if k not in KINDS]
        if bad:
            raise NotifySettingsError(f"{key}.kinds", f"unknown notice kind {bad[0]!r}", "use: " + ", ".join(KINDS))
        values["kinds"] = kinds
    env_prefix = f"COCKPIT_NOTIFY_{name.upper()}_"
    if kind in ("wecom", "dingtalk"):
        if "url" not in block:
            raise NotifySettingsError(f"{key}.url", "a robot channel needs its webhook url", 'write url = "https://…"')
        values["url"] = _http_url(f"{key}.url", block["url"])
        if kind == "dingtalk":
            values["secret"] = env.get(env_prefix + "SECRET") or _text(f"{key}.secret", block.get("secret", ""))
    else:
        if not block.get("host"):
            raise NotifySettingsError(f"{key}.host", "an e-mail channel needs its SMTP host", 'write host = "smtp.example.gov.cn"')
        values["host"] = _text(f"{key}.host", block["host"])
        if "port" in block:
            port = _int(f"{key}.port", block["port"], 1)
            if port > 65535:
                raise NotifySettingsError(f"{key}.port", f"{port} is not a port", "write port = 25 (or 465, 587)")
            values["port"] = port
        for flag in ("starttls", "ssl"):
            if flag in block:
                if not isinstance(block[flag], bool):
                    raise NotifySettingsError(f"{key}.{flag}", f"expected true or false, got {block[flag]!r}", "write true or false")
                values[flag] = block[flag]
        if values.get("starttls") and values.get("ssl"):
            raise NotifySettingsError(f"{key}.ssl", "ssl and starttls exclude each other", "keep one (ssl: port 465, starttls: 587)")
        sender = _text(f"{key}.sender", block.get("sender", ""))
        if "@" not in sender:
            raise NotifySettingsError(f"{key}.sender", f"expected an e-mail address, got {sender!r}", 'write sender = "cockpit@example.gov.cn"')
        values["sender"] = sender
        values["username"] = _text(f"{key}.username", block.get("username", ""))
        values["password"] = env.get(env_prefix + "PASSWORD") or _text(f"{key}.password", block.get("password", ""))
        to = block.get("to")
        if not isinstance(to, dict) or not to:
            raise NotifySettingsError(f"{key}.to", "an e-mail channel needs the addresses of its recipients",
                                      'write to = { "role:leader" = ["leader@example.gov.cn"] }')
        pairs = []
        for recipient, addrs in to.items():
            addrs = _list(f"{key}.to.{recipient}", addrs, '["someone@example.gov.cn"]')
            bad = [a for a in addrs if "@" not in a or any(c in a for c in " ,;<>\r\n")]
            if bad:
                raise NotifySettingsError(f"{key}.to.{recipient}", f"{bad[0]!r} is not an e-mail address", "write name@domain")
            pairs.append((recipient, addrs))
        values["to"] = tuple(pairs)
    if block.get("enabled", True) is not True and block.get("enabled") is not False:
        raise NotifySettingsError(f"{key}.enabled", f"expected true or false, got {block['enabled']!r}", "write true or false")
    return Channel(**values)


def notify_from(block: Mapping[str, Any], env: Mapping[str, str] | None = None) -> NotifySettings:
    """``[notify]`` read and checked (``env``: for the channels' secrets and passwords)."""
    env = os.environ if env is None else env
    if not isinstance(block, dict):
        raise NotifySettingsError("notify", "expected a table", "write it as [notify]")
    values: dict[str, Any] = {}
    for k, raw in block.items():
        if k == "channels":
            continue
        if k not in _TOP:
            raise NotifySettingsError(f"notify.{k}", "unknown key", "remove it or use one of: " + ", ".join(sorted([*_TOP, "channels"])))
        if k == "base_url":
            values[k] = _http_url("notify.base_url", raw).rstrip("/") if raw else ""
        else:
            values[k] = _int(f"notify.{k}", raw, 0 if k == "group_seconds" else 1)
    for k, default in _TOP.items():  # COCKPIT_NOTIFY_<KEY> overrides the file, like every setting
        raw = env.get(f"COCKPIT_NOTIFY_{k.upper()}")
        if raw is None:
            continue
        if isinstance(default, int):
            try:
                raw = int(raw)
            except ValueError:
                raise NotifySettingsError(f"notify.{k}", f"${'COCKPIT_NOTIFY_' + k.upper()} is not a whole number: {raw!r}",
                                          "set it to a number or unset it") from None
            values[k] = _int(f"notify.{k}", raw, 0 if k == "group_seconds" else 1)
        else:
            values[k] = _http_url("notify.base_url", raw).rstrip("/") if raw else ""
    channels_block = block.get("channels", {})
    if not isinstance(channels_block, dict):
        raise NotifySettingsError("notify.channels", "expected a table of channels", "write [notify.channels.NAME] blocks")
    channels = {}
    for name, b in channels_block.items():
        ch = _channel(name, b, env)
        if b.get("enabled", True):
            channels[name] = ch
    settings = NotifySettings(**values, channels=channels)
    if settings.backoff_max_seconds < settings.backoff_seconds:
        raise NotifySettingsError("notify.backoff_max_seconds", "is below notify.backoff_seconds",
                                  f"write backoff_max_seconds = {max(3600, settings.backoff_seconds)}")
    return settings
