"""``/whistles/<id>``: one whistle's page (the links of the notices, the list and the warning's and the
work order's pages; ``pages._whistle_detail``). Not in the navigation."""

from __future__ import annotations

import dash
from dash import html

from pages._access import allowed, denied_notice
from pages._common import current_lang
from pages._whistle_detail import whistle_page

dash.register_page(__name__, path_template="/whistles/<whistle_id>", title="基层智治驾驶舱 · 吹哨")


def layout(whistle_id: str | None = None, lang: str | None = None, **query: str) -> html.Div:
    lang = current_lang(lang)
    if not allowed("whistle"):
        return denied_notice(lang)
    return whistle_page(whistle_id, query, lang)
