"""The security headers of every response: Content-Security-Policy, framing, permissions, caching, HSTS.

The CSP is enforced in every mode, not only in production, so that a violation shows in development
and in the tests before it can break a production screen. What it allows, and why:

- scripts: the app's own files, and Dash's inline scripts by their hashes (``dash.Dash.csp_hashes``,
  handed over by ``allow_inline_scripts``); no ``'unsafe-inline'``, no ``'unsafe-eval'``. (Dash's
  config is a ``type="application/json"`` script, which is data and never runs.)
- styles: the app's own files and inline ``<style>`` elements (``style-src-elem 'unsafe-inline'``):
  Plotly and the Dash components write theirs at run time, with contents no hash can foresee.
  ``style=`` attributes are refused (``style-src-attr 'none'``): React and Plotly set element
  styles through the CSSOM, which a CSP does not govern, and the login pages use classes. A
  browser without the ``-elem``/``-attr`` directives falls back to ``style-src``, which therefore
  allows inline styles too. Plotly needs no ``'unsafe-eval'`` (none of the cockpit's figures is a
  WebGL trace).
- images and fonts: the app's own, and ``data:`` URIs (Bootstrap's form icons, Plotly's images).
- ``connect-src 'self'`` (Dash's callbacks), ``object-src 'none'``, ``base-uri 'self'``,
  ``form-action 'self'`` and ``frame-ancestors`` from ``security.frame_ancestors`` (the command
  centre's wall software may frame the big screen).

``Cache-Control: no-store`` goes on every response except static files (they may carry personal
data: pages, callbacks, exports); static files keep their own caching. HSTS in production only.
"""

from __future__ import annotations

import re
from typing import Callable, Sequence

import flask

from cockpit.config import ConfigError, Config

CSP_HASHES_EXTENSION = "cockpit_csp_script_hashes"  # server.extensions: a callable giving the hashes
HSTS = "max-age=31536000"
PERMISSIONS_POLICY = ", ".join((
    "accelerometer=()", "camera=()", "display-capture=()", "geolocation=(self)", "gyroscope=()",
    "magnetometer=()", "microphone=()", "midi=()", "payment=()", "usb=()",
))
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$|^'self'$|^'none'$")


def frame_ancestors(config: Config) -> tuple[str, ...]:
    """The ``security.frame_ancestors`` sources, checked: ``'self'``, ``'none'`` or http(s) origins."""
    raw = config.get("security", "frame_ancestors").split()
    bad = [s for s in raw if not _ORIGIN.match(s)]
    if not raw or bad or ("'none'" in raw and len(raw) > 1):
        raise ConfigError(config.file, "security.frame_ancestors", f"{' '.join(raw) or 'nothing'!r} is not a list "
                          "of framing origins", "write 'self', 'none', or 'self' and origins such as "
                          "https://wall.example.gov.cn, separated by spaces")
    return tuple(raw)


def allow_inline_scripts(server: flask.Flask, hashes: Callable[[], Sequence[str]]) -> None:
    """Let the CSP allow the inline scripts whose hashes ``hashes()`` gives (``dash_app.csp_hashes``).
    Asked on each response, so scripts registered after start-up (Dash pages) are included."""
    server.extensions[CSP_HASHES_EXTENSION] = hashes


def content_security_policy(script_hashes: Sequence[str], ancestors: Sequence[str]) -> str:
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],  # for browsers without the two below
        "style-src-elem": ["'self'", "'unsafe-inline'"],
        "style-src-attr": ["'none'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": list(ancestors),
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def add_security_headers(response: flask.Response, *, static: bool, production: bool,
                         ancestors: Sequence[str]) -> flask.Response:
    """Put the headers of this module on ``response`` (headers a view set itself stay)."""
    hashes = flask.current_app.extensions.get(CSP_HASHES_EXTENSION)
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(list(hashes()) if hashes else [], ancestors))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    legacy_framing = {("'self'",): "SAMEORIGIN", ("'none'",): "DENY"}.get(tuple(ancestors))
    if legacy_framing:  # for browsers without frame-ancestors; it cannot name other origins
        headers.setdefault("X-Frame-Options", legacy_framing)
    headers.setdefault("Referrer-Policy", "same-origin")  # never leak a kiosk token in a Referer
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    if not static and "no-store" not in (headers.get("Cache-Control") or ""):  # a view's own no-store stays
        headers["Cache-Control"] = "no-store"
    if production:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response
