"""The pure reduction of a patient's results (careloop/facts/indicators.py): latest value, trend word, BMI."""

import datetime

import pytest

from careloop.facts.indicators import TREND_WORDS, Latest, Result, bmi_of, latest_by_indicator
from careloop.observations import catalogue
from careloop.rules.vocabulary import VOCABULARY


def day(n: int, hour: int = 9) -> datetime.datetime:
    return datetime.datetime(2026, 1, 1, hour) + datetime.timedelta(days=n)


def resolve(code: str) -> str:
    found = catalogue.by_code(code)
    return found.code if found else code


def test_the_rules_and_the_facts_speak_of_trends_in_the_same_words():
    assert VOCABULARY.entries["trend"].values == TREND_WORDS


@pytest.mark.parametrize(
    ("code", "values", "trend"),
    [
        ("8480-6", [130], None),  # one result: no trend
        ("8480-6", [130, 131], "stable"),
        ("8480-6", [130, 150], "worsening"),  # lower is better for blood pressure
        ("8480-6", [150, 130], "improving"),
        ("62238-1", [90, 60], "worsening"),  # higher is better for eGFR
        ("8480-6", [130, 150, 152, 155, 160, 170], "worsening"),  # a significant slope
    ],
)
def test_the_trend_word_is_detections_judgement_of_the_series(code, values, trend):
    results = [Result(code, day(30 * i), value) for i, value in enumerate(values)]
    [latest] = latest_by_indicator(results, resolve).values()
    assert (latest.value, latest.trend) == (values[-1], trend)


def test_the_latest_of_equal_times_is_the_last_given_and_same_day_results_are_one_point():
    results = [Result("8480-6", day(0), 150), Result("8480-6", day(1), 140), Result("8480-6", day(1), 141)]
    [latest] = latest_by_indicator(results, resolve).values()
    assert (latest.value, latest.when, latest.trend) == (141, day(1), "stable")


def test_an_alternative_code_joins_its_indicator():
    # 14647-2 is total cholesterol in mol units, an accepted code of 2093-3 (catalogue.by_code).
    found = latest_by_indicator([Result("14647-2", day(0), 5.2)], resolve)
    assert set(found) == {"2093-3"}


def reading(code: str, value: float, n: int) -> Latest:
    return Latest(code, value, day(n), None)


@pytest.mark.parametrize(
    ("readings", "bmi"),
    [
        ([], None),
        ([reading("29463-7", 70, 5)], None),  # weight without height
        ([reading("29463-7", 70, 5), reading("8302-2", 175, -400)], 22.9),  # an old height still serves
        ([reading("39156-5", 25.0, 5), reading("29463-7", 70, 5), reading("8302-2", 175, 0)], 25.0),
        ([reading("39156-5", 25.0, 4), reading("29463-7", 70, 5), reading("8302-2", 175, 0)], 22.9),
        ([reading("39156-5", 25.0, 4)], 25.0),
        ([reading("39156-5", 25.0, 4), reading("29463-7", 70, 5)], 25.0),  # no height to compute with
    ],
)
def test_bmi_is_the_bmi_result_unless_a_newer_weight_gives_it(readings, bmi):
    found = bmi_of({r.code: r for r in readings})
    assert (found.value if found else None) == bmi
