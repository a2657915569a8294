"""Connection failures that a retry cannot cure: the server refused the user name or password, or
has no such database. The ETL fails such a source at once as a configuration error, with its key
and fix (``connect_config_error``); every other failure to connect is an outage, retried with
backoff. ``config check`` (``cockpit.etl.probe``) classifies the same way."""

from __future__ import annotations

import re

from sqlalchemy.engine import make_url

from cockpit.config import ConfigError, SourceConfig

# libpq's messages (and the server's, in English and Chinese) of connection failures that a retry cannot cure
_NO_DATABASE = re.compile(r'database "[^"]*" does not exist|数据库 ?"[^"]*" ?不存在', re.I)
_AUTH = re.compile(r"password authentication failed|authentication failed|no password supplied|"
                   r'role "[^"]*" does not exist|no pg_hba\.conf entry|认证失败|角色 ?"[^"]*" ?不存在', re.I)


def classify_connect_error(exc: BaseException) -> tuple[str, str] | None:
    """(code, problem) of a connection failure that is a configuration error (authentication failed,
    no such database), else None (an outage: worth a retry)."""
    text = str(getattr(exc, "orig", None) or exc)
    if _NO_DATABASE.search(text):
        return "no_database", "the database does not exist on the server"
    if _AUTH.search(text):
        return "auth_failed", "the server refused the user name or password"
    return None


def connect_fix(code: str, source: SourceConfig) -> str:
    u = make_url(source.url or "")
    if code == "no_database":
        return (f"correct the database name ({u.database!r}) at the end of url, or have the department's "
                "administrator create it")
    return (f"correct the user name ({u.username!r}) and password in url, or ask the department's "
            "administrator for a read-only account that may connect from this host")


def connect_config_error(source: SourceConfig, exc: BaseException) -> ConfigError | None:
    """A ConfigError for a connection failure that is a configuration mistake (the ETL fails the
    source at once with it instead of retrying), else None."""
    found = classify_connect_error(exc)
    if found is None:
        return None
    code, problem = found
    return ConfigError(source.file, source.key("url"), f"{problem} ({first_line(exc)})", connect_fix(code, source))


def first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    text = re.sub(r"^connection failed:\s*", "", text)
    return (text.splitlines() or [""])[0].strip()
