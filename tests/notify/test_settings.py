"""``[notify]``: defaults (no channel: in-app only), the channels, and every mistake naming its key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cockpit.config import ConfigError, load_config
from cockpit.notify.settings import NotifySettingsError, notify_from


def load(tmp_path: Path, text: str, env: dict[str, str] | None = None):
    path = tmp_path / "cockpit.toml"
    path.write_text(f"[warehouse]\nurl = {json.dumps('sqlite:///' + str(tmp_path / 'w.db'))}\n" + text, encoding="utf-8")
    return load_config(path, env=env or {})


def test_no_notify_section_is_in_app_only(tmp_path: Path) -> None:
    n = load(tmp_path, "").notify
    assert n.channels == {} and (n.send_seconds, n.group_seconds, n.max_attempts) == (30, 60, 8)
    assert [n.backoff(a) for a in (1, 2, 3, 8)] == [30, 60, 120, 3600]


def test_channels_from_the_file(tmp_path: Path) -> None:
    n = load(tmp_path, """
[notify]
send_seconds = 10
[notify.channels.command_group]
kind = "wecom"
url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"
recipients = ["role:leader", "department:*"]
kinds = ["escalation"]
[notify.channels.duty_ding]
kind = "dingtalk"
url = "https://oapi.dingtalk.com/robot/send?access_token=t"
[notify.channels.mail]
kind = "email"
host = "smtp.example.gov.cn"
port = 587
starttls = true
sender = "cockpit@example.gov.cn"
username = "cockpit"
to = { "department:police" = ["a@example.gov.cn"], "role:*" = ["b@example.gov.cn"] }
[notify.channels.off]
kind = "wecom"
url = "https://h/x"
enabled = false
""", env={"COCKPIT_NOTIFY_DUTY_DING_SECRET": "SECenv", "COCKPIT_NOTIFY_MAIL_PASSWORD": "pw", "COCKPIT_NOTIFY_GROUP_SECONDS": "5"}).notify
    assert n.send_seconds == 10 and n.group_seconds == 5
    assert list(n.channels) == ["command_group", "duty_ding", "mail"]
    g = n.channels["command_group"]
    assert g.carries("escalation", "department:police") and not g.carries("dispatch", "department:police")
    assert not g.carries("escalation", "user:wang")
    assert n.channels["duty_ding"].secret == "SECenv"
    m = n.channels["mail"]
    assert (m.port, m.starttls, m.password) == (587, True, "pw")
    assert m.addresses("role:leader") == ("b@example.gov.cn",) and m.addresses("user:x") == ()
    assert not m.carries("dispatch", "user:x")  # no address: not e-mailed
    assert "pw" not in repr(m) and "SECenv" not in repr(n.channels["duty_ding"])


@pytest.mark.parametrize("block, key, words", [
    ({"sendseconds": 3}, "notify.sendseconds", "unknown key"),
    ({"send_seconds": 0}, "notify.send_seconds", "≥ 1"),
    ({"max_attempts": "8"}, "notify.max_attempts", "whole number"),
    ({"backoff_seconds": 100, "backoff_max_seconds": 10}, "notify.backoff_max_seconds", "below"),
    ({"channels": {"x": {"kind": "slack", "url": "https://h"}}}, "notify.channels.x.kind", "unknown channel kind"),
    ({"channels": {"x": {"kind": "wecom"}}}, "notify.channels.x.url", "webhook url"),
    ({"channels": {"x": {"kind": "wecom", "url": "ftp://h/x"}}}, "notify.channels.x.url", "not an http(s) URL"),
    ({"channels": {"x": {"kind": "wecom", "url": "https://h", "secret": "s"}}}, "notify.channels.x.secret", "unknown key"),
    ({"channels": {"x": {"kind": "wecom", "url": "https://h", "kinds": ["alarm"]}}}, "notify.channels.x.kinds", "unknown notice kind"),
    ({"channels": {"x": {"kind": "wecom", "url": "https://h", "recipients": []}}}, "notify.channels.x.recipients", "non-empty"),
    ({"channels": {"x": {"kind": "email", "sender": "a@b", "to": {"*": ["c@d"]}}}}, "notify.channels.x.host", "SMTP host"),
    ({"channels": {"x": {"kind": "email", "host": "h", "sender": "nobody", "to": {"*": ["c@d"]}}}}, "notify.channels.x.sender", "e-mail address"),
    ({"channels": {"x": {"kind": "email", "host": "h", "sender": "a@b"}}}, "notify.channels.x.to", "addresses"),
    ({"channels": {"x": {"kind": "email", "host": "h", "sender": "a@b", "to": {"role:leader": ["a b@c"]}}}}, "notify.channels.x.to.role:leader", "not an e-mail"),
    ({"channels": {"x": {"kind": "email", "host": "h", "port": 70000, "sender": "a@b", "to": {"*": ["c@d"]}}}}, "notify.channels.x.port", "not a port"),
    ({"channels": {"9x": {"kind": "wecom", "url": "https://h"}}}, "notify.channels.9x", "channel name"),
])
def test_every_mistake_names_its_key(block: dict, key: str, words: str) -> None:
    with pytest.raises(NotifySettingsError) as err:
        notify_from(block, env={})
    assert err.value.key == key and words in err.value.problem and err.value.fix


def test_a_mistake_in_the_file_is_a_config_error_with_file_and_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load(tmp_path, '[notify.channels.duty]\nkind = "dingtalk"\nurl = "oapi.dingtalk.com/robot/send"\n')
    assert err.value.key == "notify.channels.duty.url" and err.value.file.endswith("cockpit.toml")
