"""Personal numbers inside free text are masked; what is not personal is left exactly as it was."""

from __future__ import annotations

import pytest

from cockpit.privacy import (credit_check_char, id_check_char, is_valid_credit_code, is_valid_id_number, mask_spans,
                             mask_text, mask_value, might_hold_personal_numbers)

VALID_ID = "330999194610079349"
assert is_valid_id_number(VALID_ID)
BAD_CHECK_ID = VALID_ID[:17] + "0"  # a typo in the check character is still someone's number
assert not is_valid_id_number(BAD_CHECK_ID)
X_ID = next(f + "X" for n in range(1000) for f in [f"33099919800101{n:03d}"] if id_check_char(f) == "X")

MASKED = [
    # 身份证号, 18 characters, anywhere in the text
    ("我的身份证号是330999194610079349", "我的身份证号是330***********9349"),
    ("身份证号330999194610079349", "身份证号330***********9349"),
    (VALID_ID, "330***********9349"),
    (BAD_CHECK_ID, "330***********9340"),
    (X_ID, X_ID[:3] + "*" * 11 + X_ID[-4:]),
    (X_ID[:17] + "x", X_ID[:3] + "*" * 11 + X_ID[-4:-1] + "x"),
    ("证件：330999 19461007 9349。", "证件：330***********9349。"),
    ("110101200001011234", "110***********1234"),
    ("来电人(330999194610079349)反映", "来电人(330***********9349)反映"),
    ("３３０９９９１９４６１００７９３４９", "330***********9349"),  # full-width digits
    # the legacy 15-digit form, after a word that says it is an ID number
    ("身份证号码：330999461007934", "身份证号码：330********7934"),
    ("公民身份号码330999461007934", "公民身份号码330********7934"),
    # mobile numbers
    ("我的手机号是13812345678", "我的手机号是138****5678"),
    ("手机号13812345678", "手机号138****5678"),
    ("13812345678", "138****5678"),
    ("138-1234-5678", "138****5678"),
    ("138 1234 5678", "138****5678"),
    ("+8613812345678", "+86138****5678"),
    ("+86 138 1234 5678", "+86 138****5678"),
    ("8613812345678", "86138****5678"),
    ("(+86)13812345678", "(+86)138****5678"),
    ("联系人王芳，19912345678，请回电", "联系人王芳，199****5678，请回电"),
    ("Tel.13812345678", "Tel.138****5678"),
    ("tel:13812345678", "tel:138****5678"),
    ("电话13812345678或13912345678", "电话138****5678或139****5678"),
    ("１３８１２３４５６７８", "138****5678"),
    ("第一行\n13812345678", "第一行\n138****5678"),
    # landlines with their area code
    ("0571-88886666", "0571****6666"),
    ("(0571)88886666", "0571****6666"),
    ("（0571）88886666", "0571****6666"),
    ("057188886666", "0571****6666"),
    ("0571 8888 6666", "0571****6666"),
    ("0571-8888-6666", "0571****6666"),
    ("010-62345678", "010****5678"),
    ("02162345678", "021****5678"),
    ("0571-8886666", "0571***6666"),
    ("+86 571 8888 6666", "+86 571****6666"),
    ("座机0571-88886666转801", "座机0571****6666转801"),
    # a bare local number only right after a word that says it is a phone number
    ("电话：88886666", "电话：****6666"),
    ("联系电话是8888-6666", "联系电话是****6666"),
    ("座机8886666", "座机***6666"),
    ("固话 88886666", "固话 ****6666"),
    # URL-encoded text (an href or a request line echoing a filter): 号 is %E5%8F%B7
    ("/audit?actor=%E8%BA%AB%E4%BB%BD%E8%AF%81%E5%8F%B7110101199003074518",
     "/audit?actor=%E8%BA%AB%E4%BB%BD%E8%AF%81%E5%8F%B7110***********4518"),
    ("q=%E6%89%8B%E6%9C%BA13812345678&p=2", "q=%E6%89%8B%E6%9C%BA138****5678&p=2"),
    ("占比50%13812345678", "占比50%138****5678"),
    # several kinds in one text
    ("来电人身份证330999194610079349，手机138-1234-5678，座机(0571)88886666。",
     "来电人身份证330***********9349，手机138****5678，座机0571****6666。"),
]

UNCHANGED = [
    "12345热线", "拨打12345反映", "12345-1", "市民服务热线12345转3",
    "20261118", "2026-11-18", "2026/11/18 08:30", "2026年11月18日", "2026-11-18T08:30:00", "20261118083000",
    "08:30-11:30", "0830-1130", "0900-2100", "2019-2026",
    "金额12345678.90元", "13812345678.5", "0.13812345678", "-0.13812345678", "1.3812345678e10", "共1234户",
    "RX0120261118000123", "J0120261118000045", "GJ202611180830000000123", "XF0120261118000012",
    "EV13812345678", "13812345678ab",
    "330999", "330999101", "330999101201", "33099910120101", "3309991012010101",  # area codes, camera ids
    "330106001001001",  # a 15-digit grid code is not a legacy ID number without a word saying so
    "91330999MA2ABC1234",  # 统一社会信用代码
    "1381234567890", "138123456789", "1381234567",  # not 11 digits
    "12812345678",  # no mobile network starts with 12
    "202611181234567890",  # 18 digits without a birth date inside
    "330999190013079349",  # month 13
    "增长12%", "50%20261118", "%E9%9D%92%E7%9F%B3%E6%9D%91", "/drill?village=330999101201&grid=33099910120101",
    "订单号码20261118", "邮编311000", "房号1201", "青石村3组45号", "电话12345",
    "",
]


@pytest.mark.parametrize(("text", "masked"), MASKED)
def test_personal_numbers_are_masked(text: str, masked: str) -> None:
    assert mask_text(text) == masked
    assert mask_text(masked) == masked  # masking is idempotent
    assert might_hold_personal_numbers(text)


@pytest.mark.parametrize("text", UNCHANGED)
def test_what_is_not_personal_is_left_alone(text: str) -> None:
    assert mask_text(text) == text


def _all_digit_credit_code(first17_prefix: str) -> str:
    """An all-digit 统一社会信用代码 starting with ``first17_prefix`` that is not a valid ID number."""
    for n in range(10 ** (17 - len(first17_prefix))):
        body = first17_prefix + f"{n:0{17 - len(first17_prefix)}d}"
        code = body + credit_check_char(body)
        if code.isdigit() and not is_valid_id_number(code):
            return code
    raise AssertionError("no such code")


def test_an_all_digit_credit_code_is_public_even_when_shaped_like_an_id_number():
    code = _all_digit_credit_code("91330919800101")  # a birth date 19800101 where an ID number has it
    assert is_valid_credit_code(code)
    assert mask_text(f"企业信用代码{code}") == f"企业信用代码{code}"


def test_a_number_that_could_be_both_is_masked_when_it_can_be_a_person():
    # passes GB 11643: an ID number, whatever else it may be
    first17 = "91330919800101001"
    as_id = first17 + id_check_char(first17)
    assert mask_text(as_id) == as_id[:3] + "*" * 11 + as_id[-4:]
    # a GB 32100 code not starting with 9 (no market-regulator code) is read as an ID number with a typo
    code = _all_digit_credit_code("33099919800101")
    assert mask_text(code) == code[:3] + "*" * 11 + code[-4:]


def test_mask_spans_finds_numbers_in_the_scan_and_replaces_them_in_the_text():
    text = "\\u53f713812345678"  # JSON of 号13812345678: the escape's last hex digit hides the boundary
    scan = "\0" * 6 + text[6:]
    assert mask_spans(text, scan) == "\\u53f7138****5678"
    assert mask_spans(text, text) == text


def test_mask_value_masks_strings_keys_and_whole_integers_not_floats():
    data = {"a": ["手机号13812345678", 13812345678, int(VALID_ID), 330999101201, 42, True, 0.13812345678, None],
            "身份证330999194610079349": {"n": 13812345678.0}}
    assert mask_value(data) == {
        "a": ["手机号138****5678", "138****5678", "330***********9349", 330999101201, 42, True, 0.13812345678, None],
        "身份证330***********9349": {"n": 13812345678.0},
    }


def test_the_pre_filter_is_false_only_for_texts_without_seven_digits_or_grouped_digits():
    assert not might_hold_personal_numbers("青石村3组噪声问题")
    assert not might_hold_personal_numbers("2026-11-18 08:30")
    assert not might_hold_personal_numbers("138 123 567")
    assert might_hold_personal_numbers("2019-2026")  # (a pre-filter may let through what is not a number)
    assert might_hold_personal_numbers("１３８　１２３４　５６７８")
