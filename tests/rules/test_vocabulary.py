"""The facts schema (careloop/rules/vocabulary.py) and the one-patient facts that answer it (facts.py)."""

import re
from dataclasses import dataclass

import pytest

from careloop.rules import RuleError, evaluate, parse
from careloop.rules.facts import FUNCTIONS
from careloop.rules.parsing import GRAMMAR
from careloop.rules.vocabulary import VOCABULARY, Entry, Parameter, Type, Vocabulary

NAME = re.search(r"^NAME: /(.+)/$", GRAMMAR, re.MULTILINE)


def test_the_vocabulary_has_the_fields_and_functions_of_the_issue():
    fields = {name for name, entry in VOCABULARY.entries.items() if not entry.function}
    functions = {name for name, entry in VOCABULARY.entries.items() if entry.function}
    assert fields == {"age", "sex", "deceased", "moved", "days_since_contact"}
    assert functions == {
        "has_condition", "has_tag", "has_medication", "latest", "latest_days", "trend",
        "score", "band", "bmi", "consent", "discharged_within", "open_alerts",
    }  # fmt: skip


@pytest.mark.parametrize("entry", VOCABULARY.entries.values(), ids=lambda entry: entry.name)
def test_every_entry_can_be_written_and_has_help_in_both_languages(entry):
    assert NAME is not None and re.fullmatch(NAME[1], entry.name)
    assert entry.en.strip() and entry.zh.strip() and "\n" not in entry.en + entry.zh
    assert entry.type is not Type.STRING or not entry.values or all(entry.values)


def test_the_snapshot_answers_every_function_of_the_vocabulary():
    assert set(FUNCTIONS) == {name for name, entry in VOCABULARY.entries.items() if entry.function}


@dataclass
class SmokingFacts:
    """Any object with field() and call() is a patient's facts (careloop.rules.Facts)."""

    pack_years: float | None

    def field(self, name):
        return {"smoker": True, "age": 50}.get(name)

    def call(self, name, args):
        assert (name, args) == ("pack_years", (2000,))
        return self.pack_years


def test_a_new_function_is_one_entry():
    smoker = Entry("smoker", Type.BOOLEAN, "Smokes now.", "目前吸烟。", function=False)
    pack_years = Entry(
        "pack_years", Type.NUMBER, "Pack-years.", "包年数。", (Parameter("since", Type.NUMBER),)
    )
    extended = VOCABULARY.extended(smoker, pack_years)
    rule = parse("smoker and pack_years(2000) >= 20 and age >= 40", extended)
    assert evaluate(rule, SmokingFacts(pack_years=25)) is True
    assert evaluate(rule, SmokingFacts(pack_years=None)) is False  # a missing fact: the comparison is false
    with pytest.raises(RuleError, match="unknown field smoker"):
        parse("smoker", VOCABULARY)


def test_an_entry_is_filed_under_its_own_name():
    with pytest.raises(ValueError, match="filed under another name: age"):
        Vocabulary({"age": VOCABULARY.entries["sex"]})
