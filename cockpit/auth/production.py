"""Production mode (``COCKPIT_ENV=production``) refuses to start with demo secrets."""

from __future__ import annotations

import os
from typing import Mapping

from sqlalchemy import Engine

from cockpit.config import DEFAULTS, Config

MIN_SECRET_LENGTH = 24


class ProductionRefused(RuntimeError):
    """The configuration is not fit for production; ``problems`` lists what to fix."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("refusing to start in production mode:\n- " + "\n- ".join(problems))


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
    if kiosk and len(kiosk) < MIN_SECRET_LENGTH:
        problems.append(f"auth.kiosk_token is shorter than {MIN_SECRET_LENGTH} characters: use a long random value")
    with engine.connect() as conn:
        demo = valid_demo_passwords(conn)
    if demo:
        problems.append("demo accounts still have their generated passwords: " + ", ".join(demo)
                        + " (run `python -m cockpit users reset-password NAME` or `users disable NAME`)")
    if problems:
        raise ProductionRefused(problems)
