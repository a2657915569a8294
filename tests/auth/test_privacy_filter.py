"""The response filter masks raw ID and phone numbers that reach a response, whatever produced them."""

import json

import pytest

from tests.auth.conftest import RAW_ID, RAW_PHONE, login
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
