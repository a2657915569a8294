"""Login, sessions, CSRF and the privacy filter on the cockpit's Flask server: ``install(server, config, engine)``.

After ``install`` every route needs a login except ``/login``, ``/healthz`` and static files
(Bootstrap, ``assets/``, Dash's component scripts). A browser page without a session is sent to
``/login?next=…``; a script request (Dash's ``/_dash-*`` endpoints, JSON) gets 401. Every
POST/PUT/PATCH/DELETE must carry the session's CSRF token (form field or ``X-CSRFToken`` header).
A kiosk (``/?kiosk_token=…`` matching ``auth.kiosk_token``) gets a read-only session without
personal data. ``web.request.current_user()`` and ``current_scope()`` work in any request, Dash
callbacks included. The users, sessions, rate limits and tokens themselves are ``cockpit.auth``'s.
Every 403 of the guard is audited as ``request.refused`` (``cockpit.auth.refusals``); every response
gets the headers of ``web.security_headers`` (CSP, no-store, HSTS in production).
"""

from __future__ import annotations

import hmac
import math
from datetime import datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Callable
from urllib.parse import urlencode, urlsplit

import flask
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine, text

from cockpit.auth import csrf
from cockpit.auth.audit import audit
from cockpit.auth.production import check_production, is_production
from cockpit.auth.ratelimit import Limits, record_result, reserve_attempt
from cockpit.auth.refusals import audit_refusal
from cockpit.auth.roles import landing_path
from cockpit.auth.sessions import SessionPolicy, check_session, end_session, start_session
from cockpit.auth.users import KIOSK_USER, User, change_own_password, check_login, get_user_by_id, mark_login, \
    normalise_username, UserError
from cockpit.config import Config
from cockpit import i18n
from cockpit.i18n import normalise
from cockpit.clock import now as clock_now
from web import login_strings as strings
from web.privacy_filter import install_privacy_filter
from web.request import EXTENSION, AuthState, auth_state as _state, current_user, request_ip
from web.security_headers import add_security_headers, frame_ancestors

LANG_COOKIE = "cockpit_lang"  # the screens' language cookie
SESSION_COOKIE = "cockpit_session"
VENDOR_URL = "/auth/vendor/"
VENDOR_DIR = files("flask_bootstrap") / "static" / "bootstrap5"
DASH_UPDATE = "/_dash-update-component"
PUBLIC_PATHS = frozenset({"/login", "/healthz", csrf.CSRF_URL, "/favicon.ico", "/_favicon.ico"})
STATIC_PREFIXES = ("/auth/vendor/", "/vendor/", "/assets/", "/_dash-component-suites/")
CACHEABLE_PATHS = frozenset({csrf.CSRF_URL, "/favicon.ico", "/_favicon.ico"})  # static, beside STATIC_PREFIXES
KIOSK_PARAM = "kiosk_token"

_templates = Environment(loader=FileSystemLoader(str(Path(__file__).parent / "templates")),
                         autoescape=select_autoescape(default=True, default_for_string=True))


def install(server: flask.Flask, config: Config, engine: Engine, *,
            clock: Callable[[], datetime] = clock_now, env: dict[str, str] | None = None) -> None:
    """Put login, sessions, CSRF, kiosk access and the privacy filter on ``server``.

    Raises ``ProductionRefused`` in production mode (``COCKPIT_ENV=production``) if a demo secret,
    the demo ID salt, a weak kiosk token or a still-valid demo password is in use; in production the
    cookies are ``Secure`` and responses carry HSTS. ``clock`` is injectable for tests.
    """
    production = is_production(env)
    check_production(config, engine, env)
    state = AuthState(
        engine=engine,
        policy=SessionPolicy(idle=timedelta(minutes=config.get("auth", "session_idle_minutes")),
                             absolute=timedelta(hours=config.get("auth", "session_max_hours"))),
        limits=Limits(max_attempts=config.get("auth", "login_max_attempts"),
                      window=timedelta(minutes=config.get("auth", "login_window_minutes"))),
        kiosk_token=config.get("auth", "kiosk_token"),
        clock=clock,
        default_lang=normalise(config.get("app", "language")),
        production=production,
        frame_ancestors=frame_ancestors(config),
    )
    server.secret_key = config.get("security", "secret_key")
    server.config.update(
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=production,  # production is served over HTTPS (a proxy in front terminates TLS)
        PERMANENT_SESSION_LIFETIME=state.policy.absolute,
    )
    server.extensions[EXTENSION] = state
    # Run before anything else the server registered (Dash's own hooks included).
    server.before_request_funcs.setdefault(None, []).insert(0, _guard)
    server.after_request(_after)  # CSRF cookie and security headers
    install_privacy_filter(server)  # the privacy filter (after_request functions run in reverse order)
    for rule, view, methods in (
        ("/login", _login, ["GET", "POST"]),
        ("/logout", _logout, ["GET", "POST"]),
        ("/password", _password, ["GET", "POST"]),
        ("/healthz", _healthz, ["GET"]),
        (csrf.CSRF_URL, _csrf_js, ["GET"]),
        (VENDOR_URL + "<path:filename>", _vendor, ["GET"]),
    ):
        server.add_url_rule(rule, endpoint=f"{EXTENSION}{rule.replace('/', '_')}", view_func=view, methods=methods)


# ---------------------------------------------------------------- helpers of the guard and its pages
def _lang() -> str:
    explicit = flask.request.args.get("lang")
    if explicit in ("zh", "en"):
        return explicit
    cookie = flask.request.cookies.get(LANG_COOKIE)
    return cookie if cookie in ("zh", "en") else _state().default_lang


def _safe_next(target: str | None) -> str:
    """Only a local path may follow a login (no open redirect to another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


def _is_static(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(STATIC_PREFIXES)


def _is_cacheable(path: str) -> bool:
    """Static files that carry no personal data: they keep their caching (everything else: no-store)."""
    return path in CACHEABLE_PATHS or path.startswith(STATIC_PREFIXES)


def _wants_json() -> bool:
    req = flask.request
    return (req.path.startswith("/_dash-") or req.method not in csrf.SAFE_METHODS or req.is_json
            or req.accept_mimetypes.best == "application/json")


def _csrf_token() -> str:
    token = flask.session.get("csrf")
    if not token:
        token = flask.session["csrf"] = csrf.new_token()
    return token


def _render(template: str, heading_key: str, status: int = 200, **context: object) -> flask.Response:
    lang = _lang()
    other = "en" if lang == "zh" else "zh"
    args = {k: v for k, v in flask.request.args.items() if k != KIOSK_PARAM}
    html = _templates.get_template(template).render(
        lang=lang, s={k.removeprefix("auth."): strings.t(k, lang) for k in strings.STRINGS},
        heading=strings.t(heading_key, lang), app_title=i18n.t("app.title", lang),
        vendor_url=VENDOR_URL, csrf_token=_csrf_token(),
        switch_url=flask.request.path + "?" + urlencode({**args, "lang": other}),
        switch_label="English" if lang == "zh" else "中文", **context)
    response = flask.make_response(html, status)
    if flask.request.args.get("lang") in ("zh", "en"):
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="Lax")
    return response


def _error(status: int, key: str) -> flask.Response:
    message = strings.t(key, _lang()) if key in strings.STRINGS else key
    if _wants_json():
        return flask.make_response(flask.jsonify(error=message, login="/login"), status)
    return flask.make_response(message, status)


# ---------------------------------------------------------------- the guard
def _guard() -> flask.Response | None:
    state = _state()
    now = flask.g.cockpit_now = state.clock()
    path = flask.request.path
    if _is_static(path) and path != "/login":
        return None
    user = _session_user(state, now)
    if user is None and state.kiosk_token and flask.request.method == "GET":
        given = flask.request.args.get(KIOSK_PARAM)
        if given and hmac.compare_digest(given.encode(), state.kiosk_token.encode()):
            return _start_kiosk(state, now)
    if flask.request.method not in csrf.SAFE_METHODS:
        given = flask.request.headers.get(csrf.HEADER) or flask.request.form.get(csrf.FORM_FIELD)
        if not csrf.tokens_match(flask.session.get("csrf"), given):
            if path == "/login":  # e.g. the cookie expired while the form was open: show the form again
                return _render("login.html", "auth.title", 400, action="/login", next=_safe_next(
                    flask.request.form.get("next")), username="", error=strings.t("auth.form_expired", _lang()),
                    notice=None)
            if user is None:
                return _unauthenticated()
            return _refuse(user, "csrf", "CSRF token missing or wrong")
    if path == "/login":
        return None
    if user is None:
        return _unauthenticated()
    if user.role == KIOSK_USER.role and flask.request.method not in csrf.SAFE_METHODS and path != DASH_UPDATE:
        return _refuse(user, "kiosk_readonly", "auth.kiosk_readonly")
    if user.must_change_password and path not in ("/password", "/logout"):
        return _refuse(user, "must_change", "auth.must_change") if _wants_json() else flask.redirect("/password")
    return None


def _refuse(user: User | None, reason: str, message_key: str) -> flask.Response:
    """403, audited as ``request.refused`` (``cockpit.auth.refusals`` caps how many get written)."""
    with _state().engine.begin() as conn:
        audit_refusal(conn, user.username if user else "-", "request.refused", "request", flask.request.path,
                      {"reason": reason, "method": flask.request.method}, ip=request_ip(), now=flask.g.cockpit_now)
    return _error(403, message_key)


def _session_user(state: AuthState, now: datetime) -> User | None:
    """Validate the session cookie against the database; sets ``g.cockpit_user``."""
    flask.g.cockpit_user = None
    session_id = flask.session.get("sid")
    if not session_id:
        return None
    with state.engine.begin() as conn:
        row, reason = check_session(conn, session_id, state.policy, now)
        user = None
        if row is not None and row.kiosk:
            user = KIOSK_USER if flask.session.get("kfp") == state.kiosk_fingerprint and state.kiosk_token else None
        elif row is not None and row.user_id is not None:
            user = get_user_by_id(conn, row.user_id)
            if user is None or user.disabled:
                end_session(conn, session_id, now)
                user = None
        if row is None and reason in ("idle", "absolute"):
            audit(conn, "system", "session.expired", "session", None, {"reason": reason}, ip=request_ip(), now=now)
            flask.g.cockpit_expired = True
    if user is None:
        flask.session.pop("sid", None)
        flask.session.pop("kfp", None)
    flask.g.cockpit_user = user
    return user


def _unauthenticated() -> flask.Response:
    if _wants_json():
        return flask.make_response(flask.jsonify(error="login required", login="/login"), 401)
    params = {"next": flask.request.full_path.rstrip("?")}
    if flask.g.get("cockpit_expired"):
        params["expired"] = "1"
    return flask.redirect("/login?" + urlencode(params))


def _start_kiosk(state: AuthState, now: datetime) -> flask.Response:
    with state.engine.begin() as conn:
        session_id = start_session(conn, None, kiosk=True, ip=request_ip(), now=now)
        audit(conn, "kiosk", "login.success", "kiosk", None, {}, ip=request_ip(), now=now)
    flask.session.clear()
    flask.session.update(sid=session_id, kfp=state.kiosk_fingerprint, csrf=csrf.new_token())
    flask.session.permanent = True
    args = {k: v for k, v in flask.request.args.items() if k != KIOSK_PARAM}
    return flask.redirect(flask.request.path + ("?" + urlencode(args) if args else ""))


def _after(response: flask.Response) -> flask.Response:
    """Mirror the CSRF token into a script-readable cookie; security headers (``web.security_headers``)."""
    state = _state()
    secure = state.production or flask.request.is_secure
    token = flask.session.get("csrf")
    if token and flask.request.cookies.get(csrf.COOKIE) != token:
        response.set_cookie(csrf.COOKIE, token, samesite="Strict", httponly=False, secure=secure)
    elif not token and csrf.COOKIE in flask.request.cookies:
        response.delete_cookie(csrf.COOKIE, samesite="Strict", secure=secure)
    return add_security_headers(response, static=_is_cacheable(flask.request.path), production=state.production,
                                ancestors=state.frame_ancestors)


# ---------------------------------------------------------------- views
def _login() -> flask.Response:
    state = _state()
    lang = _lang()
    if flask.request.method == "GET":
        if current_user() is not None and current_user().role != KIOSK_USER.role:
            target = _safe_next(flask.request.args.get("next"))
            return flask.redirect(landing_path(current_user()) if target == "/" else target)
        notice = (strings.t("auth.expired", lang) if flask.request.args.get("expired")
                  else strings.t("auth.logged_out", lang) if flask.request.args.get("logged_out") else None)
        return _render("login.html", "auth.title", action="/login" + (f"?lang={lang}" if flask.request.args.get("lang") else ""),
                       next=_safe_next(flask.request.args.get("next")), username="", error=None, notice=notice)

    form = flask.request.form
    username = normalise_username(form.get("username", ""))
    password = form.get("password", "")
    next_url = _safe_next(form.get("next"))
    now, ip = flask.g.cockpit_now, request_ip()

    def failed(status: int, message: str) -> flask.Response:
        return _render("login.html", "auth.title", status, action="/login", next=next_url, username=username,
                       error=message, notice=None)

    with state.engine.begin() as conn:  # reserve the try (or refuse it) before the slow password check
        until = reserve_attempt(conn, username, ip, state.limits, now)
        if until:
            audit_refusal(conn, username or "-", "login.blocked", "user", username, {}, ip=ip, now=now)
    if until:
        user, reason = None, "blocked"
    else:
        with state.engine.connect() as conn:
            user, reason = check_login(conn, username, password)
    with state.engine.begin() as conn:
        if not until:
            record_result(conn, username, ip, user is not None, now)
        if user is None:
            if reason != "blocked":
                audit(conn, username or "-", "login.failure", "user", username, {"reason": reason}, ip=ip, now=now)
        else:
            session_id = start_session(conn, user.id, kiosk=False, ip=ip, now=now)
            mark_login(conn, user, now)
            audit(conn, user.username, "login.success", "user", user.username, {}, ip=ip, now=now)
    if until:
        minutes = max(1, math.ceil((until - now).total_seconds() / 60))
        return failed(429, strings.t("auth.blocked", lang, minutes=minutes))
    if user is None:
        return failed(401, strings.t("auth.failed", lang))
    flask.session.clear()  # a fresh session and CSRF token on every login
    flask.session.update(sid=session_id, csrf=csrf.new_token())
    flask.session.permanent = True
    if user.must_change_password:
        return flask.redirect("/password")
    return flask.redirect(landing_path(user) if next_url == "/" else next_url)  # a deep link wins


def _logout() -> flask.Response:
    state = _state()
    if flask.request.method == "GET":  # a link shows a confirmation; only the POST (with its token) logs out
        return _render("logout.html", "auth.logout_confirm", error=None, notice=None)
    user = current_user()
    with state.engine.begin() as conn:
        end_session(conn, flask.session.get("sid", ""), flask.g.cockpit_now)
        audit(conn, user.username if user else "-", "logout", "user", user.username if user else None, {},
              ip=request_ip(), now=flask.g.cockpit_now)
    flask.session.clear()
    return flask.redirect("/login?logged_out=1")


def _password() -> flask.Response:
    state = _state()
    user = current_user()
    if user is None or user.id is None:  # the kiosk has no password
        return _refuse(user, "kiosk_password", "auth.forbidden")
    lang = _lang()
    notice = strings.t("auth.must_change", lang) if user.must_change_password else None
    if flask.request.method == "GET":
        return _render("password.html", "auth.change_password", error=None, notice=notice)
    form = flask.request.form
    new = form.get("new_password", "")
    if new != form.get("confirm_password", ""):
        return _render("password.html", "auth.change_password", 400, error=strings.t("auth.mismatch", lang), notice=notice)
    try:
        with state.engine.begin() as conn:
            change_own_password(conn, user.username, form.get("old_password", ""), new, now=flask.g.cockpit_now,
                                ip=request_ip())
    except UserError as exc:
        return _render("password.html", "auth.change_password", 400, error=str(exc), notice=notice)
    return flask.redirect(landing_path(user))


def _healthz() -> flask.Response:
    try:
        with _state().engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        return flask.make_response(flask.jsonify(status="database unavailable"), 503)
    return flask.jsonify(status="ok")


def _csrf_js() -> flask.Response:
    response = flask.make_response(csrf.CSRF_JS)
    response.mimetype = "application/javascript"
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def _vendor(filename: str) -> flask.Response:
    """Bootstrap from the installed Bootstrap-Flask package (no CDN; ``..`` is refused)."""
    return flask.send_from_directory(str(VENDOR_DIR), filename, max_age=86400)
