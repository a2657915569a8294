"""Browser-test fixtures: the cockpit served from a subprocess against a small known warehouse."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PASSWORD = "Screens-Test-Passw0rd"
KIOSK_TOKEN = "kiosk-test-token-0123456789abcdef"
# one account per role: username -> (role, scope fields)
ACCOUNTS = {
    "lead": ("leader", {}),
    "duty": ("operator", {}),
    "safetyhead": ("board_head", {"board": "safety"}),
    "gridman": ("grid_worker", {"grid_codes": ("33099900100101",)}),
    "liaison": ("department_liaison", {"department_code": "urban"}),
    "root": ("admin", {}),
}


# more accounts of the in-process app (``cockpit``), for the scoped screens
EXTRA_ACCOUNTS = {
    "police": ("department_liaison", {"department_code": "police"}),
    "statsman": ("department_liaison", {"department_code": "statistics"}),
    "econhead": ("board_head", {"board": "economy"}),
}


def add_accounts(url: str, accounts: dict | None = None) -> None:
    from cockpit.auth.users import create_user
    from cockpit.warehouse.db import engine_for

    with engine_for(url).begin() as conn:
        for username, (role, fields) in (accounts or ACCOUNTS).items():
            create_user(conn, username, PASSWORD, role, actor="test", must_change_password=False,
                        display_name=username, **fields)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve_app(url: str, **env_extra: str) -> Iterator[str]:
    """Serve the cockpit (app.py, in a subprocess) against the warehouse at ``url``; yields its base URL."""
    port = _free_port()
    env = {**os.environ, "COCKPIT_WAREHOUSE_URL": url, "PYTHONPATH": str(ROOT), "COCKPIT_AUTH_KIOSK_TOKEN": KIOSK_TOKEN,
           **env_extra}
    code = f"import app; app.app.run(host='127.0.0.1', port={port}, debug=False)"
    # the server's log goes to a file: an unread pipe fills up and blocks the server mid-test
    log = tempfile.NamedTemporaryFile(prefix="cockpit-served-", suffix=".log", delete=False)
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(Path(log.name).read_text(errors="replace") or "app exited")
                time.sleep(0.3)
        else:
            raise RuntimeError("the app did not start within 60 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
        Path(log.name).unlink(missing_ok=True)


def screens_warehouse(folder: Path) -> str:
    """A migrated SQLite warehouse in ``folder`` filled with ``dataset.build`` and one account per role."""
    from cockpit.warehouse.migrate import upgrade
    from tests.screens import dataset

    url = f"sqlite:///{folder / 'warehouse.db'}"
    upgrade(url)
    dataset.build(url)
    add_accounts(url)
    return url


@pytest.fixture(scope="session")
def cockpit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The app module, imported in this process against a screens warehouse with ``ACCOUNTS`` and
    ``EXTRA_ACCOUNTS``. One for the session: the app binds sign-in to the warehouse it first sees."""
    import importlib

    url = screens_warehouse(tmp_path_factory.mktemp("in-process"))
    add_accounts(url, EXTRA_ACCOUNTS)
    saved = {k: os.environ.get(k) for k in ("COCKPIT_WAREHOUSE_URL", "COCKPIT_AUTH_KIOSK_TOKEN")}
    os.environ.update(COCKPIT_WAREHOUSE_URL=url, COCKPIT_AUTH_KIOSK_TOKEN=KIOSK_TOKEN)
    import pages._common

    pages._common.config.cache_clear()
    app = sys.modules.get("app") or importlib.import_module("app")
    try:
        yield app
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        pages._common.config.cache_clear()


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of the cockpit serving the screens dataset."""
    with serve_app(screens_warehouse(tmp_path_factory.mktemp("served"))) as base:
        yield base


class Watched:
    """A page that records console errors, failed requests and requests leaving 127.0.0.1."""

    def __init__(self, browser, width: int = 1920, height: int = 1080) -> None:  # noqa: ANN001
        self.context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        self.page = self.context.new_page()
        self.page.set_default_timeout(90_000)  # a loaded CI machine is slow; a hang still fails
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.errors.append(f"failed: {r.url}"))
        self.page.on("response", lambda r: self.errors.append(f"{r.status}: {r.url}") if r.status >= 400 else None)
        self.page.on("request", lambda r: None if r.url.startswith(("http://127.0.0.1", "data:", "blob:"))
                     else self.outside.append(r.url))

    def login(self, base: str, username: str = "lead") -> None:
        """Sign in through the login form (the session cookie then rides on every request)."""
        self.page.goto(base + "/login")
        self.page.fill("#username", username)
        self.page.fill("#password", PASSWORD)
        self.page.click("#login-submit")
        self.page.wait_for_load_state("networkidle")
        assert "/login" not in self.page.url, f"login as {username} failed"

    def goto(self, url: str) -> None:
        self.page.goto(url)
        self.settle()

    def settle(self) -> None:
        self.page.wait_for_load_state("networkidle")
        # a selector wait, not wait_for_function: that evaluates a string, which the app's CSP forbids
        self.page.wait_for_selector('[data-dash-is-loading="true"]', state="detached")
        self.page.wait_for_timeout(300)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def watched(browser, served):  # noqa: ANN001
    """A browser page signed in as the township leader."""
    w = Watched(browser)
    w.login(served)
    yield w
    w.close()
