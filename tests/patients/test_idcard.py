"""GB 11643-1999 resident ID numbers and mainland mobile numbers.

The expected check characters below were worked out by hand, not by the code under test: the sum of
the first 17 digits times the weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, taken mod 11, indexes
"10X98765432".
"""

import datetime

import pytest

from careloop.patients.idcard import (
    IdentifierError,
    check_character,
    parse_mobile,
    parse_resident_id,
)

TODAY = datetime.date(2026, 3, 1)

# first 17 digits, weighted sum, check character
CHECKS = [
    ("11010519491231002", 167, "X"),  # the example in GB 11643
    ("44052418800101001", 195, "4"),
    ("31010119800101001", 114, "8"),
    ("11010119900307002", 156, "X"),
    ("32010220000229123", 161, "5"),
    ("51010119850615332", 256, "9"),
    ("43010219721111456", 222, "X"),
]

# full number, birth date, sex (odd sequence: male)
VALID = [
    ("11010519491231002X", datetime.date(1949, 12, 31), "female"),
    ("310101198001010018", datetime.date(1980, 1, 1), "male"),
    ("11010119900307002X", datetime.date(1990, 3, 7), "female"),
    ("320102200002291235", datetime.date(2000, 2, 29), "male"),  # leap day
    ("510101198506153329", datetime.date(1985, 6, 15), "female"),
    ("43010219721111456X", datetime.date(1972, 11, 11), "female"),
]


@pytest.mark.parametrize(("first17", "weighted_sum", "expected"), CHECKS)
def test_check_character_matches_hand_computed_mod_11_2(first17, weighted_sum, expected):
    assert "10X98765432"[weighted_sum % 11] == expected  # the table itself is consistent
    assert check_character(first17) == expected


@pytest.mark.parametrize(("number", "birth", "sex"), VALID)
def test_valid_number_parses_birth_date_and_sex(number, birth, sex):
    parsed = parse_resident_id(number, today=TODAY)
    assert parsed.number == number
    assert parsed.birth_date == birth
    assert parsed.sex == sex


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("11010519491231002x", "11010519491231002X"),  # lowercase x
        (" 110105 19491231 002X ", "11010519491231002X"),  # spaces as read aloud
        ("11010119900307002x", "11010119900307002X"),
    ],
)
def test_lowercase_x_and_spaces_are_normalized(text, normalized):
    assert parse_resident_id(text, today=TODAY).number == normalized


@pytest.mark.parametrize(
    ("sequence", "sex"),
    [
        ("001", "male"),
        ("002", "female"),
        ("123", "male"),
        ("456", "female"),
        ("999", "male"),
        ("000", "female"),
    ],
)
def test_sex_comes_from_the_parity_of_the_sequence(sequence, sex):
    first17 = "31010119800101" + sequence
    assert parse_resident_id(first17 + check_character(first17), today=TODAY).sex == sex


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("110105194912310021", "check_digit"),  # X expected
        ("110105194912310029", "check_digit"),
        ("31010119800101001X", "check_digit"),  # 8 expected
        ("320102200002291234", "check_digit"),  # 5 expected
        ("11010119990230001X", "date"),  # 1999-02-30 does not exist
        ("110101199913010018", "date"),  # month 13
        ("110101203001010014", "date_range"),  # born in 2030, after TODAY
        ("440524188001010014", "date_range"),  # born in 1880
        ("11010519491231002", "length"),  # 17 characters
        ("11010519491231002XX", "length"),  # 19 characters
        ("110105491231002", "length"),  # the old 15-digit number
        ("", "length"),
        ("A1010519491231002X", "shape"),
        ("01010519491231002X", "shape"),  # address code cannot start with 0
        ("1101051949123100X2", "shape"),  # X only as the last character
    ],
)
def test_invalid_resident_id_is_refused_with_its_reason(text, code):
    with pytest.raises(IdentifierError) as caught:
        parse_resident_id(text, today=TODAY)
    assert caught.value.code == code


def test_birth_date_of_today_is_accepted_but_tomorrow_is_not():
    first17 = f"110101{TODAY:%Y%m%d}001"
    assert parse_resident_id(first17 + check_character(first17), today=TODAY).birth_date == TODAY
    tomorrow = TODAY + datetime.timedelta(days=1)
    first17 = f"110101{tomorrow:%Y%m%d}001"
    with pytest.raises(IdentifierError) as caught:
        parse_resident_id(first17 + check_character(first17), today=TODAY)
    assert caught.value.code == "date_range"


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("13812345678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("0086-138-1234-5678", "13812345678"),
        (" 199 1234 5678 ", "19912345678"),
        ("16612345678", "16612345678"),
    ],
)
def test_valid_mobile_is_normalized_to_11_digits(text, number):
    assert parse_mobile(text) == number


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("138123456789", "mobile_length"),  # 12 digits
        ("1381234567", "mobile_length"),  # 10 digits
        ("+86 138123456789", "mobile_length"),
        ("12812345678", "mobile_prefix"),  # 12 is not a mobile prefix
        ("11012345678", "mobile_prefix"),
        ("23812345678", "mobile_prefix"),
        ("1381234567a", "mobile_digits"),
        ("(138)12345678", "mobile_digits"),
        ("", "mobile_digits"),
    ],
)
def test_invalid_mobile_is_refused_with_its_reason(text, code):
    with pytest.raises(IdentifierError) as caught:
        parse_mobile(text)
    assert caught.value.code == code
