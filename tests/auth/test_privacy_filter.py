"""The response filter masks raw ID and phone numbers that reach a response, whatever produced them."""

import json

import pytest

from tests.auth.conftest import RAW_ID, RAW_PHONE, login
from cockpit.privacy import mask_value
from web.privacy_filter import mask_body

MASKED_ID = RAW_ID[:3] + "*" * 11 + RAW_ID[-4:]
MASKED_PHONE = RAW_PHONE[:3] + "****" + RAW_PHONE[-4:]


@pytest.fixture
def client(app, add_user):
    add_user("op", "operator")
    c = app.test_client()
    login(c, "op")
    return c


def test_html_response_is_masked(client):
    body = client.get("/leak").get_data(as_text=True)
    assert RAW_ID not in body and RAW_PHONE not in body
    assert body == f"<p>身份证号：{MASKED_ID}，电话：{MASKED_PHONE}</p>"


def test_json_response_is_masked_and_stays_valid_json(client):
    r = client.get("/leak?kind=json")
    raw = r.get_data(as_text=True)
    assert RAW_ID not in raw and RAW_PHONE not in raw and RAW_ID[:17] not in raw
    assert r.headers["Content-Length"] == str(len(r.data))
    data = json.loads(raw)
    assert "0.13987654321" in raw  # a float that looks like a phone number inside is left alone
    assert data == {"id": MASKED_ID, "phone": MASKED_PHONE, "id_int": MASKED_ID, "phone_int": MASKED_PHONE,
                    "text": f"身份证 {MASKED_ID} 电话 {MASKED_PHONE}", "ratio": 0.13987654321, "n": 42}


def test_other_content_types_pass_untouched(client):
    assert client.get("/leak?kind=text").get_data(as_text=True) == f"{RAW_ID} {RAW_PHONE}"


def test_mask_body_leaves_clean_bodies_identical():
    body = '{"a":[1,2,3],"b":"330999101201 village","c":1.5}'  # a 12-digit area code is not a personal number
    assert mask_body(body, "application/json") is body
    assert mask_body("<p>13812345678</p>", "text/html") == "<p>138****5678</p>"
    assert mask_body("<p>1381234567890</p>", "text/html") == "<p>1381234567890</p>"  # 13 digits: not a phone


# ---------------------------------------------------------------- numbers right after Chinese text
# Dash (like Flask's jsonify) writes every non-ASCII character as \uXXXX: in 号13812345678 the escape's
# last hex digit (\u53f7) sits right before the number, so a scan of the raw body never sees its start.
AFTER_CHINESE = [
    ("身份证号330999194610079349", "身份证号330***********9349"),
    ("手机号13812345678", "手机号138****5678"),
    ("座机0571-88886666", "座机0571****6666"),
    ("电话88886666", "电话****6666"),
    ("第一行\n13812345678", "第一行\n138****5678"),  # \n: the escape's n sits before the number
    ("手机１３８１２３４５６７８", "手机138****5678"),  # full-width digits, escaped as \uff11…
    ("手机138　1234　5678", "手机138****5678"),  # ideographic spaces, escaped as \u3000
]


@pytest.mark.parametrize(("text", "masked"), AFTER_CHINESE)
def test_a_number_right_after_escaped_chinese_text_is_masked(text, masked):
    body = json.dumps({"props": {"value": text, "children": [text]}})  # ensure_ascii: as Dash sends it
    assert "\\u" in body
    out = mask_body(body, "application/json")
    assert json.loads(out) == {"props": {"value": masked, "children": [masked]}}


def test_a_dash_callback_echoing_a_number_after_chinese_text_is_masked(client):
    from tests.auth.conftest import dash_post

    r = dash_post(client, body={"x": f"身份证号{RAW_ID}，手机号{RAW_PHONE}"})
    raw = r.get_data(as_text=True)
    assert r.status_code == 200 and RAW_ID not in raw and RAW_PHONE not in raw
    assert json.loads(raw)["echo"] == f"身份证号{MASKED_ID}，手机号{MASKED_PHONE}"
    assert r.headers["Content-Length"] == str(len(r.data))


@pytest.fixture
def echo_client(app, add_user):
    """A client of an app with a route that echoes a URL parameter, as a page's layout does."""
    import flask

    @app.route("/echo")
    def echo() -> flask.Response:
        q = flask.request.args.get("q", "")
        if flask.request.args.get("kind") == "html":  # a page embedding its state as JSON
            return f'<html><body><p>{q}</p><script type="application/json">{json.dumps({"q": q})}</script></body></html>'
        return flask.jsonify(q=q)

    add_user("op", "operator")
    c = app.test_client()
    login(c, "op")
    return c


def test_an_echoed_url_parameter_is_masked(echo_client):
    r = echo_client.get("/echo", query_string={"q": f"身份证号{RAW_ID}"})
    assert RAW_ID not in r.get_data(as_text=True)
    assert r.get_json() == {"q": f"身份证号{MASKED_ID}"}
    page = echo_client.get("/echo", query_string={"q": f"手机号{RAW_PHONE}", "kind": "html"}).get_data(as_text=True)
    assert RAW_PHONE not in page
    assert f"<p>手机号{MASKED_PHONE}</p>" in page and f'\\u53f7{MASKED_PHONE}"' in page


def test_html_with_embedded_json_escapes_is_masked():
    page = '<script id="_dash-config" type="application/json">{"a":"\\u53f713812345678","b":"\\n0571-88886666"}</script>'
    assert mask_body(page, "text/html") == \
        '<script id="_dash-config" type="application/json">{"a":"\\u53f7138****5678","b":"\\n0571****6666"}</script>'


def test_a_large_figure_without_numbers_passes_untouched_and_quickly():
    import random
    import time

    from web.privacy_filter import could_hold_personal_numbers

    rng = random.Random(7)
    figure = {"data": [{"type": "scatter", "name": f"青石村第{k}网格", "x": [f"2026-11-{d:02d}" for d in range(1, 29)] * 40,
                        "y": [rng.random() * 1000 for _ in range(1120)], "lon": [120 + rng.random() for _ in range(1120)],
                        "customdata": [[33099910120100 + k, rng.randrange(10**6)] for _ in range(1120)],
                        "text": [f"青石村{k}组 {rng.randrange(100, 999)}户" for _ in range(1120)]} for k in range(40)]}
    body = json.dumps({"response": {"graph": {"figure": figure}}}, separators=(",", ":"))
    assert len(body) > 2_000_000
    assert not could_hold_personal_numbers(body)
    start = time.perf_counter()
    assert mask_body(body, "application/json") is body
    assert time.perf_counter() - start < 2  # a NumPy pass over the bytes (~20 ms), no parse: a bound for gross slips
    leaky = body.replace("\\u9752\\u77f3\\u6751", "\\u53f7" + RAW_PHONE, 1)
    assert could_hold_personal_numbers(leaky)
    out = mask_body(leaky, "application/json")
    assert RAW_PHONE not in out and json.loads(out)["response"]["graph"]["figure"]["data"][0]["y"] == figure["data"][0]["y"]


@pytest.mark.parametrize("body", [
    '{"y":[0.13812345678,13812345678.5,1.3812345678e10,-0.330999194610079349]}',  # decimals
    '{"t":"2026-11-18T08:30:00","n":[1234,5678],"code":"33099910120101","village":330999101201}',
    '{"s":"\\u9752\\u77f3\\u6751100\\u7ec4","r":"RX0120261118000123"}',  # 村100组: hex digits are no digits
])
def test_bodies_that_cannot_hold_a_number_are_not_parsed(body):
    from web.privacy_filter import could_hold_personal_numbers

    assert not could_hold_personal_numbers(body)
    assert mask_body(body, "application/json") is body


def test_a_body_the_cheap_check_lets_through_is_still_returned_unchanged_when_it_holds_no_number():
    body = '{"d":20261118,"t":"20261118 0830","q":"\u8ba2\u5355\u53f7\u780120261118"}'  # 订单号码20261118
    assert mask_body(body, "application/json") is body


@pytest.mark.parametrize("body", [
    '{"a":"13812345678"}', '{"a":13812345678}', '{"a":"138-1234-5678"}', '{"a":"0571 8888 6666"}',
    '{"a":"\\u53f713812345678"}', '{"a":"\\uff11\\uff13\\uff18"}', '{"a":"\\u7535\\u8bdd8888-6666"}',
    '{"a":"\\\\u13812345678"}', '{"a":"\\\\\\u6751330999194610079349"}',  # \\ then \u6751: an escape after all
    "<p>手机１３８</p>", "<p>电话：8888-6666</p>", '{"href":"/audit?actor=%E5%8F%B7110101199003074518"}',
    '{"href":"?q=50%13812345678"}',
])
def test_the_cheap_check_lets_every_possible_number_through(body):
    from web.privacy_filter import could_hold_personal_numbers

    assert could_hold_personal_numbers(body)


def test_the_cheap_check_never_misses_what_the_masking_finds():
    """Random texts of personal numbers in all their forms among Chinese text, record numbers, codes,
    dates and decimals, sent as Dash sends them and as raw UTF-8: whenever masking the decoded body
    changes it, the cheap check said it might."""
    import random

    from tests.test_privacy_text import MASKED, UNCHANGED
    from web.privacy_filter import could_hold_personal_numbers

    rng = random.Random(11)
    pieces = [t for t, _ in MASKED] + UNCHANGED + ["号", "村", "，", "\n", " ", "-", "(", "：", "x", "tel", "7", "12",
                                                   "\\", "\\u", "u", "　", "１", "%E5%8F%B7", "%", "%20"]
    checked = 0
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 5)))
        for body in (json.dumps({"v": text}), json.dumps({"v": [text]}, ensure_ascii=False)):
            expected = mask_value(json.loads(body))
            if expected != json.loads(body):
                checked += 1
                assert could_hold_personal_numbers(body), body
            assert json.loads(mask_body(body, "application/json")) == expected
    assert checked > 1000


def test_the_audit_log_masks_numbers_in_its_details_actor_and_object(engine):
    from sqlalchemy import select

    from cockpit.auth.audit import audit
    from cockpit.warehouse.schema import audit_log

    with engine.begin() as conn:
        audit(conn, RAW_PHONE, "login.failure", "user", f"身份证号{RAW_ID}",
              {"filters": {"actor": f"身份证号{RAW_ID}", "q": f"第一行\n{RAW_PHONE}"}, "rows": 3})
    with engine.connect() as conn:
        row = conn.execute(select(audit_log)).one()
    assert RAW_ID not in " ".join(map(str, row)) and RAW_PHONE not in " ".join(map(str, row))
    assert (row.actor, row.obj_id) == (MASKED_PHONE, f"身份证号{MASKED_ID}")
    assert json.loads(row.detail) == {"filters": {"actor": f"身份证号{MASKED_ID}", "q": f"第一行\n{MASKED_PHONE}"}, "rows": 3}
