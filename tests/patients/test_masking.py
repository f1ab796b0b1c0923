"""How identifiers and names are shown to someone who may not see them in full."""

import pytest

from careloop.patients.masking import mask_id_number, mask_mobile, mask_name


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("11010519491231002X", "1101**********002X"),  # region prefix and last four; birth date hidden
        ("310101198001010018", "3101**********0018"),
        ("E12345678", "E123*5678"),  # a passport: 9 characters
        ("AB123456", "A******6"),  # 8 characters or fewer: first and last only
        ("ABC", "A*C"),
        ("AB", "**"),
        ("A", "*"),
        ("", ""),
    ],
)
def test_id_number_masking(number, masked):
    assert mask_id_number(number) == masked
    assert len(mask_id_number(number)) == len(number)


def test_masked_id_number_never_shows_the_birth_date():
    assert "19491231" not in mask_id_number("11010519491231002X")


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("13812345678", "138****5678"),
        ("19912340000", "199****0000"),
        ("12345678", "123*5678"),
        ("1234567", "*******"),  # too short to keep anything
        ("", ""),
    ],
)
def test_mobile_masking(number, masked):
    assert mask_mobile(number) == masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("张小三", "张*三"),
        ("欧阳小明", "欧**明"),
        ("李", "李"),
        ("", ""),
        ("Li", "L*"),
    ],
)
def test_name_masking(name, masked):
    assert mask_name(name) == masked
