"""One redaction routine for logs, stored import problems and error reports: the shapes it knows."""

# ruff: noqa: RUF001 -- full-width digits and punctuation are shapes people type numbers in.

import pytest

from careloop.redaction import redact

MASKED = [
    # resident ID numbers, 18 characters
    ("11010519491231002X", "1101**********002X"),
    ("id 11010519491231002x ok", "id 1101**********002x ok"),
    ("110101 19800101 1234", "1101**********1234"),
    ("110101-19800101-1234", "1101**********1234"),
    ("110101 1980 0101 1234", "1101**********1234"),
    ("110101\u00a019800101\u00a01234", "1101**********1234"),
    ("身份证：110101　19800101　123X。", "身份证：1101**********123X。"),
    ("１１０１０１１９８００１０１１２３４", "１１０１**********１２３４"),
    ("ID110101198001011234", "ID1101**********1234"),
    # the 15-digit number issued before 1999
    ("110101800101123", "1101*******1123"),
    ("old id 110101 800101 123", "old id 1101*******1123"),
    # mobile numbers
    ("13812345678", "138****5678"),
    ("call 13812345678 now", "call 138****5678 now"),
    ("138 1234 5678", "138****5678"),
    ("138-1234-5678", "138****5678"),
    ("138 12345678", "138****5678"),
    ("+86 138 1234 5678", "+86 138****5678"),
    ("+86-138-1234-5678", "+86-138****5678"),
    ("+8613812345678", "+86138****5678"),
    ("8613812345678", "86138****5678"),
    ("008613812345678", "0086138****5678"),
    ("0086 138-1234-5678", "0086 138****5678"),
    ("(+86) 13812345678", "(+86) 138****5678"),
    ("＋８６ １３８ １２３４ ５６７８", "＋８６ １３８****５６７８"),
    ("电话：19912345678。", "电话：199****5678。"),
    ("13812345678 5", "138****5678 5"),
    # landlines with their area code
    ("010-65123456", "010-****3456"),
    ("(0571) 8888 6666", "(0571) ****6666"),
    ("（0571）88886666", "（0571）****6666"),
    # several in one text
    ("13812345678,11010519491231002X", "138****5678,1101**********002X"),
    ("id 110101 19800101 1234, tel +86 138 1234 5678", "id 1101**********1234, tel +86 138****5678"),
]

UNCHANGED = [
    "order 1234567890123",  # 13 digits
    "seq 12812345678",  # 12x is not a mobile prefix
    "card 881234567890",  # 12 digits
    "1101051949123100201",  # 19 digits: glued to one more
    "1101051949123100",  # 16 digits
    "20240305083000",  # an HL7 timestamp
    "R20240305001",  # a report number
    "01065123456",  # a landline needs its area code set apart
    "00012345678",  # a specimen number with leading zeros
    "5.6 mmol/L",
    "3.9-6.1",
    "0.5-12345678",
    "120/80 mmHg",
    "2024-03-05 08:30",
    "2024-03-05T08:30:00+08:00",
    "110101",  # an area code
    "100020",  # a postal code
    "station 110101 2024-03-05 08:30",  # a code and a date
    "LOINC 2345-7, 1558-6",
    "HbA1c 6.5 %, 138 mmol/L Na",
    "135 1234",
    "",
]


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_identifier_and_phone_shapes_are_masked(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize("text", UNCHANGED)
def test_ordinary_numbers_are_left_as_they_are(text):
    assert redact(text) == text


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_masking_is_idempotent(text, expected):
    assert redact(redact(text)) == expected
