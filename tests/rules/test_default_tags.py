"""The auto-tag rules CareLoop ships (careloop/rules/default_tags.py): valid, canonical, right answers."""

import pytest

from careloop.rules import evaluate, format, parse
from careloop.rules.default_tags import DEFAULT_TAGS, NOT_SHIPPED
from careloop.rules.facts import Reading, Snapshot


def test_the_issue_names_twelve_default_tags_and_each_is_shipped_or_explained():
    issue = {
        "高血压",
        "糖尿病",
        "血脂异常",
        "超重",
        "肥胖",
        "中心性肥胖",
        "吸烟",
        "老年人",
        "血压未达标",
        "血糖未达标",
        "新发异常",
        "失访风险",
    }
    assert set(DEFAULT_TAGS) | set(NOT_SHIPPED) == issue
    assert not set(DEFAULT_TAGS) & set(NOT_SHIPPED)


@pytest.mark.parametrize("name", list(DEFAULT_TAGS))
def test_a_default_tag_rule_is_valid_and_written_canonically(name):
    assert format(parse(DEFAULT_TAGS[name])) == DEFAULT_TAGS[name]


def adult(**readings):
    return Snapshot(
        fields={"age": 50, "sex": "male"},
        readings={code: Reading(value, 10) for code, value in readings.items()},
    )


SBP, DBP, FPG, HBA1C, WAIST = "8480-6", "8462-4", "1558-6", "4548-4", "8280-0"


@pytest.mark.parametrize(
    ("tag", "facts", "expected"),
    [
        ("高血压", adult(**{SBP: 140}), True),  # >= 140, the threshold itself counts
        ("高血压", adult(**{SBP: 139, DBP: 89}), False),
        ("高血压", adult(**{DBP: 90}), True),
        ("高血压", Snapshot(fields={"age": 15}, readings={SBP: Reading(150, 1)}), False),  # adults only
        ("高血压", Snapshot(conditions=frozenset({"I15.0"})), True),
        ("高血压", Snapshot(conditions=frozenset({"I14"})), False),
        ("糖尿病", adult(**{FPG: 7.0}), True),
        ("糖尿病", adult(**{FPG: 6.9, HBA1C: 6.4}), False),
        ("糖尿病", adult(**{HBA1C: 6.5}), True),
        ("糖尿病", Snapshot(conditions=frozenset({"E14.9"})), True),
        ("超重", Snapshot(fields={"age": 30}, bmi=24.0), True),
        ("超重", Snapshot(fields={"age": 30}, bmi=27.99), True),
        ("超重", Snapshot(fields={"age": 30}, bmi=28.0), False),
        ("超重", Snapshot(fields={"age": 30}, bmi=23.9), False),
        ("肥胖", Snapshot(fields={"age": 30}, bmi=28.0), True),
        ("肥胖", Snapshot(fields={"age": 12}, bmi=30.0), False),
        ("中心性肥胖", adult(**{WAIST: 90}), True),
        ("中心性肥胖", adult(**{WAIST: 89}), False),
        ("中心性肥胖", Snapshot(fields={"age": 40, "sex": "female"}, readings={WAIST: Reading(85, 1)}), True),
        ("中心性肥胖", Snapshot(fields={"age": 40}, readings={WAIST: Reading(95, 1)}), False),  # sex unknown
        ("老年人", Snapshot(fields={"age": 65}), True),
        ("老年人", Snapshot(fields={"age": 64}), False),
        ("血压未达标", Snapshot(conditions=frozenset({"I10"}), readings={SBP: Reading(140, 1)}), True),
        (
            "血压未达标",
            Snapshot(conditions=frozenset({"I10"}), readings={SBP: Reading(139, 1), DBP: Reading(89, 1)}),
            False,
        ),
        ("血压未达标", Snapshot(conditions=frozenset({"I15"}), readings={SBP: Reading(160, 1)}), False),
        ("血压未达标", adult(**{SBP: 160}), False),  # no diagnosis: 高血压, not 未达标
        ("血糖未达标", Snapshot(conditions=frozenset({"E11.9"}), readings={FPG: Reading(7.0, 1)}), True),
        ("血糖未达标", Snapshot(conditions=frozenset({"E11.9"}), readings={FPG: Reading(6.9, 1)}), False),
    ],
)
def test_a_default_tag_applies_at_its_sourced_threshold(tag, facts, expected):
    assert evaluate(parse(DEFAULT_TAGS[tag]), facts) is expected
