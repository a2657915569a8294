"""Unknown address: say so, in the user's language, and lead back to the big screen."""

import dash
from dash import dcc, html

from cockpit.i18n import t
from pages._common import current_lang

dash.register_page(__name__, path="/404", title="基层智治驾驶舱")


def layout(lang: str | None = None, **_: str) -> html.Div:
    lang = current_lang(lang)
    return html.Div([html.H4(t("page.not_found", lang)), dcc.Link(t("page.back_home", lang), href="/")], className="page")
