"""Last line of defence on the web server: mask ID-number-like and mobile-number-like runs in
every JSON and HTML response (``cockpit.privacy.mask_text``), whatever produced them. Installed by
``web.guard.install``.

Queries already return masked forms; this filter catches what slips through. JSON bodies are
parsed and only strings and integers are masked, so floats in figures (0.13812345678) and the
document structure stay intact; a body with nothing to mask is passed through untouched.
"""

from __future__ import annotations

import json
import re
from typing import Any

import flask

from cockpit.privacy import mask_text

MASKED_TYPES = ("application/json", "text/html")
_WHOLE_ID = re.compile(r"^\d{17}[\dXx]$")
_WHOLE_PHONE = re.compile(r"^1[3-9]\d{9}$")


def _mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, list):
        return [_mask_value(v) for v in value]
    if isinstance(value, dict):
        return {mask_text(k): _mask_value(v) for k, v in value.items()}
    if isinstance(value, int) and not isinstance(value, bool):
        digits = str(value)  # an integer that is an ID or phone number becomes its masked string
        if _WHOLE_ID.match(digits) or _WHOLE_PHONE.match(digits):
            return mask_text(digits)
    return value


def mask_body(body: str, mimetype: str) -> str:
    """``body`` with personal numbers masked (JSON structure-aware; HTML as text)."""
    masked = mask_text(body)
    if masked == body:  # the common case: nothing that looks like a personal number
        return body
    if mimetype == "application/json":
        try:
            data = json.loads(body)
        except ValueError:
            return masked
        return json.dumps(_mask_value(data), ensure_ascii=False, separators=(",", ":"))
    return masked


def mask_response(response: flask.Response) -> flask.Response:
    """An ``after_request`` handler: mask the body of JSON and HTML responses in place."""
    if (response.mimetype not in MASKED_TYPES or response.direct_passthrough or response.is_streamed
            or response.headers.get("Content-Encoding")):
        return response
    body = response.get_data(as_text=True)
    masked = mask_body(body, response.mimetype)
    if masked != body:
        response.set_data(masked)
    return response


def install_privacy_filter(server: flask.Flask) -> None:
    server.after_request(mask_response)
