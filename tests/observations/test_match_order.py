"""The matching order (matchorder.py), case by case: which patient a description finds, and what happens to
a person it finds nobody for."""

import datetime

import pytest

from careloop.observations.importing.matchorder import (
    CONTRADICTION,
    MATCHED,
    POLICY_HOLD,
    POLICY_REGISTER,
    REGISTER,
    WAIT,
    Candidate,
    Sent,
    decide,
)
from careloop.patients.sameperson import Demographics

BORN = datetime.date(1949, 12, 31)
OUYANG = Demographics("欧阳晓燕", "female", BORN)
ZHANG = Demographics("张三", "male", datetime.date(1980, 1, 1))
BY_ID = Candidate(1, OUYANG, "index-a")
BY_MRN = Candidate(2, OUYANG, "index-a")
BY_MRN_OTHER_NUMBER = Candidate(3, OUYANG, "index-b")
BY_MRN_NO_NUMBER = Candidate(4, OUYANG, "")

SENT_ID = Sent(OUYANG, "index-a", has_mrn=True)
SENT_MRN = Sent(OUYANG, "", has_mrn=True)
SENT_NOTHING = Sent(OUYANG)
SENT_ZHANG = Sent(ZHANG, "index-a", has_mrn=True)
NO_BIRTH = Sent(Demographics("欧阳晓燕", "female", None), "index-a")
NO_NAME = Sent(Demographics("", "female", BORN), "index-a")
ZHANG_MRN = Sent(ZHANG, "", has_mrn=True)
UNKNOWN_SEX = Sent(Demographics("欧阳晓燕", "", BORN), "index-a")


REG, HOLD = POLICY_REGISTER, POLICY_HOLD
CONTRA = (CONTRADICTION, None, "", "contradiction")
NEW = (REGISTER, None, "", "")


def waits(why: str) -> tuple[str, None, str, str]:
    return (WAIT, None, "", why)


def found(patient_id: int, via: str) -> tuple[str, int, str, str]:
    return (MATCHED, patient_id, via, "")


@pytest.mark.parametrize(
    ("case", "sent", "by_id", "by_mrn", "person", "probable", "policy", "expected"),
    [
        ("ID number finds her", SENT_ID, BY_ID, None, False, False, REG, found(1, "id_number")),
        ("ID number wins over MRN", SENT_ID, BY_ID, BY_MRN, False, False, REG, found(1, "id_number")),
        ("ID number, other name", SENT_ZHANG, BY_ID, None, False, False, REG, CONTRA),
        ("contradicted ID never falls to MRN", SENT_ZHANG, BY_ID, BY_MRN, True, False, REG, CONTRA),
        ("MRN alone finds her", SENT_MRN, None, BY_MRN, False, False, REG, found(2, "mrn")),
        ("unknown ID, known MRN", SENT_ID, None, BY_MRN, True, False, REG, found(2, "mrn")),
        ("MRN patient, no ID on file", SENT_ID, None, BY_MRN_NO_NUMBER, False, False, REG, found(4, "mrn")),
        ("MRN patient with another ID", SENT_ID, None, BY_MRN_OTHER_NUMBER, True, False, REG, CONTRA),
        ("MRN, other name", ZHANG_MRN, None, BY_MRN, False, False, REG, CONTRA),
        ("results for an unknown ID", SENT_ID, None, None, False, False, REG, waits("unknown_id_number")),
        ("results for an unknown MRN", SENT_MRN, None, None, False, False, REG, waits("unknown_mrn")),
        ("results naming no one", SENT_NOTHING, None, None, False, False, REG, waits("no_identifier")),
        ("results never register", SENT_ID, None, None, False, False, REG, waits("unknown_id_number")),
        ("a new person registers", SENT_ID, None, None, True, False, REG, NEW),
        ("a new person by MRN only registers", SENT_MRN, None, None, True, False, REG, NEW),
        ("sex not sent still registers", UNKNOWN_SEX, None, None, True, False, REG, NEW),
        ("held by the policy", SENT_ID, None, None, True, False, HOLD, waits("held")),
        ("probable duplicate waits", SENT_ID, None, None, True, True, REG, waits("probable_match")),
        ("probable, under hold too", SENT_ID, None, None, True, True, HOLD, waits("probable_match")),
        ("no birth date", NO_BIRTH, None, None, True, False, REG, waits("incomplete")),
        ("no name", NO_NAME, None, None, True, False, REG, waits("incomplete")),
        ("known person is matched", SENT_ID, BY_ID, None, True, True, REG, found(1, "id_number")),
    ],
)  # fmt: skip
def test_matching_order(case, sent, by_id, by_mrn, person, probable, policy, expected):
    decision = decide(sent, by_id, by_mrn, person=person, probable=probable, policy=policy)
    assert tuple(decision) == expected, case
