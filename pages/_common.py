"""What every page needs: the warehouse engine, configuration, language and the time."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Mapping
from urllib.parse import parse_qs, urlencode

from sqlalchemy import Engine

from cockpit import clock
from cockpit.config import Config, load_config
from cockpit.i18n import normalise
from cockpit.warehouse.db import engine_for

LANG_COOKIE = "cockpit_lang"


@lru_cache(maxsize=1)
def config() -> Config:
    return load_config()


def engine() -> Engine:
    return engine_for(config().warehouse_url)


def current_lang(explicit: str | None = None) -> str:
    """``explicit`` (a ``?lang=`` value) if valid, else the language cookie, else the configured default."""
    if explicit in ("zh", "en"):
        return explicit
    try:
        import flask

        cookie = flask.request.cookies.get(LANG_COOKIE) if flask.has_request_context() else None
    except ImportError:  # pragma: no cover
        cookie = None
    if cookie in ("zh", "en"):
        return cookie
    return normalise(config().get("app", "language"))


def now() -> datetime:
    """The clock's current time (``cockpit.clock``): pinned in tests and demos, China Standard Time."""
    return clock.now()


def query_of(search: str | None) -> dict[str, str]:
    """``?a=1&b=2`` -> {"a": "1", "b": "2"} (last value wins)."""
    return {k: v[-1] for k, v in parse_qs((search or "").lstrip("?")).items()}


def href(path: str, params: Mapping[str, str | None]) -> str:
    q = urlencode({k: v for k, v in params.items() if v})
    return f"{path}?{q}" if q else path
