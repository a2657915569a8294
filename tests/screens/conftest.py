"""Browser-test fixtures: the cockpit served from a subprocess against a small known warehouse."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of the cockpit serving a migrated SQLite warehouse filled with ``dataset.build``."""
    from cockpit.warehouse.migrate import upgrade
    from tests.screens import dataset

    url = f"sqlite:///{tmp_path_factory.mktemp('served') / 'warehouse.db'}"
    upgrade(url)
    dataset.build(url)
    port = _free_port()
    env = {**os.environ, "COCKPIT_WAREHOUSE_URL": url, "PYTHONPATH": str(ROOT)}
    code = f"import app; app.app.run(host='127.0.0.1', port={port}, debug=False)"
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(proc.stdout.read().decode(errors="replace") if proc.stdout else "app exited")
                time.sleep(0.3)
        else:
            raise RuntimeError("the app did not start within 60 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Watched:
    """A page that records console errors, failed requests and requests leaving 127.0.0.1."""

    def __init__(self, browser, width: int = 1920, height: int = 1080) -> None:  # noqa: ANN001
        self.context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.errors.append(f"failed: {r.url}"))
        self.page.on("response", lambda r: self.errors.append(f"{r.status}: {r.url}") if r.status >= 400 else None)
        self.page.on("request", lambda r: None if r.url.startswith(("http://127.0.0.1", "data:", "blob:"))
                     else self.outside.append(r.url))

    def goto(self, url: str) -> None:
        self.page.goto(url)
        self.settle()

    def settle(self) -> None:
        self.page.wait_for_load_state("networkidle")
        self.page.wait_for_function("!document.querySelector('[data-dash-is-loading=\"true\"]')")
        self.page.wait_for_timeout(300)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def watched(browser):  # noqa: ANN001
    w = Watched(browser)
    yield w
    w.close()
