"""Production mode (``COCKPIT_ENV=production``) refuses to start with demo secrets or a weak kiosk token.

Kiosk access is on exactly when ``auth.kiosk_token`` is set (one setting: no switch that could say
"on" with no token); in production a set token must be strong (``kiosk_token_weakness``)."""

from __future__ import annotations

import os
from typing import Mapping

from sqlalchemy import Engine

from cockpit.config import DEFAULTS, Config

MIN_SECRET_LENGTH = 24
MIN_DISTINCT_CHARACTERS = 7
MIN_DISTINCT_TRIGRAMS = 0.75  # share of a kiosk token's three-character pieces that must differ


class ProductionRefused(RuntimeError):
    """The configuration is not fit for production; ``problems`` lists what to fix."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("refusing to start in production mode:\n- " + "\n- ".join(problems))


def kiosk_token_weakness(token: str) -> str | None:
    """Why ``token`` is too weak to guard the kiosk (a URL token anyone at the wall can read), or None.

    Weak: shorter than ``MIN_SECRET_LENGTH``; fewer than ``MIN_DISTINCT_CHARACTERS`` different
    characters ("aaaa…", "1212…"); or made of repeats, i.e. fewer than ``MIN_DISTINCT_TRIGRAMS`` of
    its three-character pieces different ("passwordpassword…", "kiosk1kiosk2kiosk3…"). A random token
    (``secrets.token_urlsafe`` or ``token_hex``) passes all three.
    """
    if len(token.strip()) < MIN_SECRET_LENGTH:
        return f"is shorter than {MIN_SECRET_LENGTH} characters"
    if len(set(token)) < MIN_DISTINCT_CHARACTERS:
        return f"has fewer than {MIN_DISTINCT_CHARACTERS} different characters"
    trigrams = [token[i:i + 3] for i in range(len(token) - 2)]
    if len(set(trigrams)) < MIN_DISTINCT_TRIGRAMS * len(trigrams):
        return "repeats itself (a word or pattern over and over)"
    return None


def is_production(env: Mapping[str, str] | None = None) -> bool:
    return (os.environ if env is None else env).get("COCKPIT_ENV", "").strip().lower() == "production"


def check_production(config: Config, engine: Engine, env: Mapping[str, str] | None = None) -> None:
    """Raise ``ProductionRefused`` in production mode if a default secret, the default ID salt, a weak
    kiosk token or a still-valid demo password is in use. Does nothing outside production mode."""
    if not is_production(env):
        return
    from cockpit.auth.users import valid_demo_passwords

    problems = []
    secret = config.get("security", "secret_key")
    if secret == DEFAULTS["security"]["secret_key"] or len(secret) < MIN_SECRET_LENGTH:
        problems.append(f"security.secret_key is the demo value or shorter than {MIN_SECRET_LENGTH} characters: "
                        "set COCKPIT_SECRET_KEY to a long random value")
    if config.get("security", "id_salt") == DEFAULTS["security"]["id_salt"]:
        problems.append("security.id_salt is the demo value: set COCKPIT_ID_SALT (before the first load; "
                        "changing it later changes every person key)")
    kiosk = config.get("auth", "kiosk_token")
    weakness = kiosk_token_weakness(kiosk) if kiosk else None
    if weakness:
        problems.append(f"auth.kiosk_token {weakness}: use a long random value "
                        "(python -c 'import secrets; print(secrets.token_urlsafe(32))'), or leave it empty "
                        "to turn kiosk access off")
    with engine.connect() as conn:
        demo = valid_demo_passwords(conn)
    if demo:
        problems.append("demo accounts still have their generated passwords: " + ", ".join(demo)
                        + " (run `python -m cockpit users reset-password NAME` or `users disable NAME`)")
    if problems:
        raise ProductionRefused(problems)
