"""What a feed's description of a known patient changes, and what waits because staff changed it by hand."""

import datetime

import pytest

from careloop.patients.feedupdate import Value, edited_times, feed_changes, marked_edited

SENT_AT = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)
BEFORE = SENT_AT - datetime.timedelta(days=1)
AFTER = SENT_AT + datetime.timedelta(hours=1)
OUYANG_ID = "11010519491231002X"
NEW_MOBILE = "13900139000"
OURS: dict[str, Value] = {
    "name": "欧阳晓燕",
    "sex": "female",
    "birth_date": datetime.date(1949, 12, 31),
    "id_number": "",
    "mobile": "13800138000",
    "address": "北京市东城区",
}


@pytest.mark.parametrize(
    ("case", "sent", "edited", "apply", "review"),
    [
        ("nothing sent", {}, {}, {}, {}),
        ("same values", dict(OURS), {}, {}, {}),
        ("empty erases nothing", {"mobile": "", "address": ""}, {}, {}, {}),
        ("new mobile", {"mobile": "13900139000"}, {}, {"mobile": "13900139000"}, {}),
        ("same mobile written otherwise", {"mobile": "+86 138-0013-8000"}, {}, {}, {}),
        ("name spaced otherwise", {"name": "欧阳 晓燕"}, {}, {}, {}),
        ("address spacing", {"address": "北京市东城区 "}, {}, {}, {}),
        ("new address", {"address": "北京市西城区"}, {}, {"address": "北京市西城区"}, {}),
        ("ID number filled in", {"id_number": OUYANG_ID}, {}, {"id_number": OUYANG_ID}, {}),
        ("unknown sex says less", {"sex": "unknown"}, {}, {}, {}),
        ("edited by hand before", {"mobile": NEW_MOBILE}, {"mobile": BEFORE}, {"mobile": NEW_MOBILE}, {}),
        ("edited by hand after", {"mobile": NEW_MOBILE}, {"mobile": AFTER}, {}, {"mobile": NEW_MOBILE}),
        ("only the edited field waits", {"mobile": "13900139000", "address": "上海市"}, {"mobile": AFTER},
         {"address": "上海市"}, {"mobile": "13900139000"}),
    ],
)  # fmt: skip
def test_feed_changes(case, sent, edited, apply, review):
    assert feed_changes(OURS, sent, edited, SENT_AT) == (apply, review), case


def test_an_id_number_on_file_is_never_replaced():
    ours = {**OURS, "id_number": "11010519491231002X"}
    assert feed_changes(ours, {"id_number": "440305196002120039"}, {}, SENT_AT) == ({}, {})


def test_hand_edit_times_are_read_and_bad_ones_left_out():
    times = edited_times({"mobile": AFTER.isoformat(), "address": "not a time"})
    assert times == {"mobile": AFTER}


def test_fields_marked_as_edited_by_hand_read_back_as_that_time():
    stored = marked_edited({"address": BEFORE.isoformat()}, ["mobile", "name"], AFTER)
    assert edited_times(stored) == {"address": BEFORE, "mobile": AFTER, "name": AFTER}
