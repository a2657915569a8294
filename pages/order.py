"""``/orders/<id>``: one work order's page (the links of the notifications and the big screen), the
same page as ``/orders?id=N`` (``pages._order_detail``). Not in the navigation."""

from __future__ import annotations

import dash
from dash import html

from pages._access import allowed, denied_notice
from pages._common import current_lang
from pages._order_detail import order_page

dash.register_page(__name__, path_template="/orders/<order_id>", title="基层智治驾驶舱 · 工单")


def layout(order_id: str | None = None, lang: str | None = None, **query: str) -> html.Div:
    lang = current_lang(lang)
    if not allowed("orders"):
        return denied_notice(lang)
    return order_page(order_id, query, lang)
