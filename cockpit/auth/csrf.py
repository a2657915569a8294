"""CSRF protection: one random token per session.

- HTML forms carry it in a hidden field ``csrf_token``.
- Script requests carry it in the ``X-CSRFToken`` header. The guard also sets it in a readable
  cookie ``cockpit_csrf`` (SameSite=Strict); ``CSRF_JS`` patches ``window.fetch`` and
  ``XMLHttpRequest`` so that every same-origin POST/PUT/PATCH/DELETE carries the header — that
  includes Dash's ``/_dash-update-component``. It is served at ``/auth/csrf.js``; add that URL to
  ``external_scripts`` of ``dash.Dash`` (or copy ``CSRF_JS`` into ``assets/csrf.js``). When a
  same-origin fetch answers 401 (the session expired), the script sends the browser to the login page.
A cross-site page can neither read the cookie nor set the header, so it cannot forge a request.
"""

from __future__ import annotations

import hmac
import secrets

FORM_FIELD = "csrf_token"
HEADER = "X-CSRFToken"
COOKIE = "cockpit_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def new_token() -> str:
    return secrets.token_urlsafe(32)


def tokens_match(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison; a missing token never matches."""
    if not expected or not given or not isinstance(given, str):
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


CSRF_URL = "/auth/csrf.js"  # served by web.guard; listed in the Dash app's external_scripts
CSRF_JS = r"""// Adds the session's CSRF token to every same-origin state-changing request (Dash callbacks included).
(function () {
  "use strict";
  var HEADER = "X-CSRFToken", COOKIE = "cockpit_csrf", SAFE = /^(GET|HEAD|OPTIONS|TRACE)$/i;
  function token() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    var m = document.cookie.match(new RegExp("(?:^|;\\s*)" + COOKIE + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : (meta ? meta.getAttribute("content") : null);
  }
  function sameOrigin(url) {
    try { return new URL(url, window.location.href).origin === window.location.origin; } catch (e) { return false; }
  }
  var originalFetch = window.fetch;
  if (originalFetch) {
    window.fetch = function (input, init) {
      var url = (typeof input === "string" || input instanceof URL) ? String(input) : input.url;
      var method = (init && init.method) || (input && input.method) || "GET";
      var t = token();
      if (t && !SAFE.test(method) && sameOrigin(url)) {
        init = Object.assign({}, init || {});
        var headers = new Headers(init.headers || (input instanceof Request ? input.headers : undefined));
        headers.set(HEADER, t);
        init.headers = headers;
      }
      var response = originalFetch.call(this, input, init);
      if (sameOrigin(url)) {  // the session ended (expiry, logout elsewhere): go to the login page
        response.then(function (r) {
          if (r.status === 401) {
            window.location.assign("/login?expired=1&next=" +
              encodeURIComponent(window.location.pathname + window.location.search));
          }
        }, function () {});
      }
      return response;
    };
  }
  var open = XMLHttpRequest.prototype.open, send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url) {
    this._cockpitCsrf = !SAFE.test(method) && sameOrigin(url);
    return open.apply(this, arguments);
  };
  XMLHttpRequest.prototype.send = function () {
    var t = token();
    if (this._cockpitCsrf && t) { this.setRequestHeader(HEADER, t); }
    return send.apply(this, arguments);
  };
})();
"""
