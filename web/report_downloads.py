"""Downloads of archived weekly reports: ``GET /reports/download/<id>``, registered by
``install_report_downloads(server)`` after ``web.guard.install`` (whose guard already sends a request
without a session to the login).

A report is served only to a signed-in person whose role may open the reports page
(``report.generate``) and whose scope may read that report (``cockpit.reports.archive.visible``:
the scope it was generated under). Every download is written to the audit log (``report.download``,
with the week, township and checksum) before the bytes go out. A refused one sends nothing and is
audited as ``report.download.refused`` with the reason (floods capped, ``cockpit.auth.refusals``):
a role without the permission gets 403; a report that does not exist and one outside the scope get
the same 404, so an answer never tells which ids exist. A report whose stored bytes no longer match
their sha256 is never served (500, logged and audited).
"""

from __future__ import annotations

import logging
from urllib.parse import quote

import flask

from cockpit.auth import can
from cockpit.auth.refusals import audit_refusal
from cockpit.auth.roles import scope_for
from cockpit.reports.archive import ChecksumMismatch, fetch_report, file_names
from web.request import auth_state, current_user, request_ip, request_now
from web.request_audit import audit_request

log = logging.getLogger(__name__)

DOWNLOAD_URL = "/reports/download/"
ENDPOINT = "cockpit_reports_download"
PERMISSION = "report.generate"  # the reports page's permission (pages._access.PAGE_PERMISSION["reports"])


def download_url(report_id: int) -> str:
    return f"{DOWNLOAD_URL}{int(report_id)}"


def _plain(text: str, status: int) -> flask.Response:
    response = flask.make_response(text, status)
    response.mimetype = "text/plain"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _refuse(report_id: int, reason: str, status: int, text: str) -> flask.Response:
    user = current_user()
    with auth_state().engine.begin() as conn:
        audit_refusal(conn, user.username if user else "anonymous", "report.download.refused", "report", report_id,
                      {"reason": reason}, ip=request_ip(), now=request_now())
    return _plain(text, status)


def content_disposition(ascii_name: str, utf8_name: str) -> str:
    """``attachment`` with an ASCII file name and the UTF-8 one (RFC 6266 / 5987) for the browsers that read it."""
    safe = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_" for ch in ascii_name)
    return f"attachment; filename=\"{safe}\"; filename*=UTF-8''{quote(utf8_name, safe='')}"


def _download(report_id: int) -> flask.Response:
    user = current_user()
    if user is None or user.id is None or not can(user, PERMISSION):  # the kiosk holds no account
        return _refuse(report_id, "permission", 403, "forbidden")
    try:
        with auth_state().engine.connect() as conn:
            found = fetch_report(conn, report_id, scope_for(user))
    except ChecksumMismatch as exc:
        log.error("%s", exc)
        return _refuse(report_id, "checksum", 500, "the archived report is damaged; generate the week again")
    if found is None:
        return _refuse(report_id, "not_found", 404, "not found")
    e = found.entry
    with auth_state().engine.begin() as conn:  # recorded before a byte goes out
        audit_request(conn, "report.download", "report", e.id,
                      {"week": e.week, "township": e.township, "lang": e.lang, "bytes": e.bytes, "sha256": e.sha256})
    response = flask.make_response(found.pdf, 200)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = content_disposition(*file_names(e))
    response.headers["Content-Length"] = str(len(found.pdf))
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["ETag"] = f'"{e.sha256}"'
    return response


def install_report_downloads(server: flask.Flask) -> None:
    """Add ``GET /reports/download/<int:report_id>`` to ``server``."""
    server.add_url_rule(DOWNLOAD_URL + "<int:report_id>", endpoint=ENDPOINT, view_func=_download, methods=["GET"])
