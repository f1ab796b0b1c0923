import datetime

import pytest

from careloop.patients.sameperson import (
    SAME_MOBILE_AND_NAME,
    SAME_NAME_AND_BIRTH,
    SOUNDS_ALIKE_AND_BIRTH,
    Demographics,
    Registrant,
    contradictions,
    probable_reasons,
    same_name,
)

BIRTH = datetime.date(1962, 5, 17)
OTHER_DAY = datetime.date(1962, 7, 15)
OUYANG = Demographics("欧阳晓燕", "female", BIRTH)


@pytest.mark.parametrize(
    ("sent", "ours", "found"),
    [
        (OUYANG, OUYANG, []),
        (Demographics("张三", "male", BIRTH), OUYANG, ["name", "sex"]),
        (Demographics("欧阳晓燕", "female", OTHER_DAY), OUYANG, ["birth_date"]),
        (Demographics("欧阳 晓燕"), OUYANG, []),  # a space typed in
        (Demographics("", "", None), OUYANG, []),  # the source says nothing
        (Demographics("欧阳晓燕", "unknown"), Demographics("欧阳晓燕", "female"), []),
        (Demographics("欧阳晓燕", "other"), Demographics("欧阳晓燕", "male"), []),
        (Demographics("欧阳晓燕", "female", BIRTH), Demographics("欧阳晓燕", "", None), []),  # we know less
        (Demographics("   "), Demographics("欧阳晓燕"), []),
        (Demographics("欧阳小燕", "male", OTHER_DAY), OUYANG, ["name", "sex", "birth_date"]),
    ],
)  # fmt: skip
def test_contradictions(sent, ours, found):
    assert contradictions(sent, ours) == found


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [
        ("阿卜杜·热合曼", "阿卜杜热合曼", True),
        ("阿卜杜・热合曼", "阿卜杜·热合曼", True),
        ("ZHANG San", "zhang-san", True),
        ("ＺＨＡＮＧ", "zhang", True),  # full-width letters  # noqa: RUF001
        ("王小明", "王晓明", False),
        ("王小明", "王小", False),
    ],
)
def test_same_name(one, other, same):
    assert same_name(one, other) is same


WANG = Registrant("王晓明", "wangxiaoming", "male", BIRTH, "m-index-1")


@pytest.mark.parametrize(
    ("new", "reasons"),
    [
        (WANG, [SAME_NAME_AND_BIRTH, SAME_MOBILE_AND_NAME]),
        (Registrant("王晓明", "wangxiaoming", "male", BIRTH), [SAME_NAME_AND_BIRTH]),
        (Registrant("王 晓明", "wangxiaoming", "", BIRTH), [SAME_NAME_AND_BIRTH]),  # sex not given
        (Registrant("王小明", "wangxiaoming", "male", BIRTH), [SOUNDS_ALIKE_AND_BIRTH]),  # a homophone typed
        (Registrant("王小明", "wangxiaoming", "male", OTHER_DAY, "m-index-1"), [SAME_MOBILE_AND_NAME]),
        (Registrant("王晓明", "wangxiaoming", "female", BIRTH, "m-index-1"), []),  # sex contradicts
        (Registrant("王晓明", "wangxiaoming", "male", OTHER_DAY), []),
        (Registrant("李秀英", "lixiuying", "male", BIRTH, "m-index-1"), []),  # a family's shared mobile
        (Registrant("汪晓明", "wangxiaoming", "male", OTHER_DAY), []),
    ],
)  # fmt: skip
def test_probable_reasons(new, reasons):
    assert probable_reasons(new, WANG) == reasons
