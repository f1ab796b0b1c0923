"""The builder's draft operations on FHIR JSON (pure): structure steps, typed fields, scoring rules."""

import json

import pytest

from careloop.questionnaires.definition import Coding
from careloop.questionnaires.draft_fields import (
    BandRow,
    ConditionRow,
    FlagCondition,
    FlagEdit,
    ItemEdit,
    OptionRow,
    ScoreEdit,
    apply_item_edit,
    apply_scoring_edit,
    condition_answer_text,
)
from careloop.questionnaires.drafting import (
    DraftError,
    Tree,
    add_item,
    canonical,
    delete_item,
    move_item,
    nest_item,
    problems_by_item,
    rename_link_id,
    scoring_json,
    starter,
    unnest_item,
    walk,
)
from careloop.questionnaires.fhir_reading import parse_questionnaire
from careloop.questionnaires.instruments import SHIPPED, instrument_json

CHOICE = (OptionRow("a", "Never", "0"), OptionRow("b", "Often", "2"))


def tree_of(*types: str) -> Tree:
    tree = starter("T", "en")
    for kind in types:
        tree, _link_id = add_item(tree, kind)
    return tree


def layout(tree: Tree) -> list[tuple[str, int]]:
    return [(item["linkId"], depth) for item, depth in walk(tree)]


def test_a_new_draft_cannot_be_published_until_it_has_an_item():
    assert problems_by_item(starter("T", "zh")) == {"Questionnaire": ["add at least one item"]}
    assert problems_by_item(tree_of("string")) == {}


def test_a_new_group_gets_a_question_inside_and_new_items_take_the_next_number():
    tree = tree_of("string", "group")
    assert layout(tree) == [("1", 0), ("2", 0), ("3", 1)]
    tree, link_id = add_item(tree, "integer", parent="2")
    assert link_id == "4" and layout(tree)[-1] == ("4", 1)


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        (lambda t: move_item(t, "1", 1), [("2", 0), ("1", 0), ("3", 0)]),
        (lambda t: move_item(t, "3", -1), [("1", 0), ("3", 0), ("2", 0)]),
        (lambda t: delete_item(t, "2"), [("1", 0), ("3", 0)]),
    ],
)
def test_structure_steps(step, expected):
    assert layout(step(tree_of("string", "integer", "date"))) == expected


def test_nesting_into_the_group_above_and_back_out():
    tree = tree_of("group", "string")  # group 1 holds 2; item 3 at the top
    nested = nest_item(tree, "3")
    assert layout(nested) == [("1", 0), ("2", 1), ("3", 1)]
    assert layout(unnest_item(nested, "3")) == [("1", 0), ("2", 1), ("3", 0)]
    assert layout(tree) == [("1", 0), ("2", 1), ("3", 0)]  # the caller's tree is never changed


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (lambda t: move_item(t, "1", -1), "already first"),
        (lambda t: nest_item(t, "2"), "only go into a group"),
        (lambda t: unnest_item(t, "1"), "not inside a group"),
        (lambda t: add_item(t, "slider"), "not an item type"),
        (lambda t: add_item(t, "string", parent="1"), "not a group"),
        (lambda t: rename_link_id(t, "1", "2"), "already used"),
        (lambda t: rename_link_id(t, "1", "a b"), "no spaces"),
    ],
)
def test_steps_that_cannot_be_taken_say_why(step, message):
    with pytest.raises(DraftError, match=message):
        step(tree_of("string", "string"))


def test_renaming_a_linkid_carries_its_conditions_and_scoring_rules_along():
    tree = instrument_json("phq-9", "en")
    renamed = rename_link_id(tree, "9", "self-harm")
    assert problems_by_item(renamed) == {}
    rules = scoring_json(renamed)
    assert rules is not None
    assert "self-harm" in rules["scores"][0]["items"] and "9" not in rules["scores"][0]["items"]
    assert rules["flags"][0]["when"][0]["item"] == "self-harm"


def test_deleting_a_question_that_a_condition_names_is_reported_on_the_condition():
    tree = tree_of("boolean", "integer")
    tree = apply_item_edit(
        tree, "2", ItemEdit("2", "integer", "n", conditions=(ConditionRow("1", "=", "yes"),))
    )
    problems = problems_by_item(delete_item(tree, "1"))
    assert list(problems) == ["2"] and "not an item" in problems["2"][0]


CONDITION_CASES = [
    ("boolean", "=", "true", {"answerBoolean": True}),
    ("boolean", "!=", "否", {"answerBoolean": False}),
    ("integer", ">=", "3", {"answerInteger": 3}),
    ("decimal", "<", "37.5", {"answerDecimal": 37.5}),
    ("decimal", ">", "38", {"answerDecimal": 38}),
    ("date", "<=", "2026-01-31", {"answerDate": "2026-01-31"}),
    ("dateTime", ">", "2026-01-31T08:00:00+08:00", {"answerDateTime": "2026-01-31T08:00:00+08:00"}),
    ("string", "=", "头痛", {"answerString": "头痛"}),
    ("choice", "=", "b", {"answerCoding": {"code": "b", "display": "Often"}}),
    ("choice", "!=", "Never", {"answerCoding": {"code": "a", "display": "Never"}}),
    ("open-choice", "=", "something else", {"answerString": "something else"}),
    ("string", "exists", "false", {"answerBoolean": False}),
]


@pytest.mark.parametrize(("kind", "operator", "text", "answer"), CONDITION_CASES)
def test_a_condition_answer_is_typed_after_the_question_it_looks_at(kind, operator, text, answer):
    tree = tree_of(kind, "string")
    options = CHOICE if kind in ("choice", "open-choice") else ()
    tree = apply_item_edit(tree, "1", ItemEdit("1", kind, "Q", options=options))
    edit = ItemEdit("2", "string", "Then", conditions=(ConditionRow("1", operator, text),))
    tree = apply_item_edit(tree, "2", edit)
    condition = tree["item"][1]["enableWhen"][0]
    assert condition == {"question": "1", "operator": operator, **answer}
    assert problems_by_item(tree) == {}
    assert condition_answer_text(condition) in (text, "true", "false", "a", "b")


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        ("integer", "three", "not a whole number"),
        ("date", "31/01/2026", "not a valid date"),
        ("dateTime", "2026-01-31T08:00", "needs a time zone"),
        ("boolean", "maybe", "true or false"),
        ("choice", "z", "not an option"),
    ],
)
def test_a_condition_answer_that_cannot_be_typed_is_refused(kind, text, message):
    tree = tree_of(kind, "string")
    options = CHOICE if kind == "choice" else ()
    tree = apply_item_edit(tree, "1", ItemEdit("1", kind, "Q", options=options))
    with pytest.raises(DraftError, match=message):
        apply_item_edit(tree, "2", ItemEdit("2", "string", conditions=(ConditionRow("1", "=", text),)))


def test_an_item_edit_writes_every_field_and_drops_blank_rows():
    tree = tree_of("choice", "integer")
    edit = ItemEdit(
        link_id="mood",
        type="choice",
        text="  How often?  ",
        prefix="1.",
        required=True,
        repeats=True,
        options=(*CHOICE, OptionRow("", "", "")),
        conditions=(ConditionRow("2", ">", "0"), ConditionRow("2", "<", "9"), ConditionRow("", "=", "")),
        behavior="any",
    )
    item = apply_item_edit(tree, "1", edit)["item"][0]
    assert item["linkId"] == "mood" and item["text"] == "How often?" and item["prefix"] == "1."
    assert item["required"] is True and item["repeats"] is True and item["enableBehavior"] == "any"
    assert len(item["answerOption"]) == 2 and len(item["enableWhen"]) == 2
    question = parse_questionnaire(apply_item_edit(tree, "1", edit)).item("mood")
    assert (
        question.answer_options[1].value == Coding(None, "b", "Often")
        and question.answer_options[1].score == 2
    )


def test_bounds_take_the_items_type_and_leave_with_a_type_that_has_none():
    tree = tree_of("decimal")
    tree = apply_item_edit(tree, "1", ItemEdit("1", "decimal", "T", min_value="35", max_value="42.5"))
    assert [e.get("valueDecimal") for e in tree["item"][0]["extension"]] == [35, 42.5]
    assert "extension" not in apply_item_edit(tree, "1", ItemEdit("1", "string", "T"))["item"][0]
    with pytest.raises(DraftError, match="not a number"):
        apply_item_edit(tree, "1", ItemEdit("1", "decimal", "T", min_value="low"))


def test_the_scoring_form_rebuilds_the_rules_it_was_filled_from():
    """PHQ-9's rules, entered through the builder's rows, come out as the shipped ones."""
    shipped = instrument_json("phq-9", "zh")
    rules = scoring_json(shipped)
    assert rules is not None
    scores = [
        ScoreEdit(
            code=s["code"],
            items=tuple(s["items"]),
            bands=tuple(
                BandRow(
                    str(b["min"]),
                    str(b["max"]),
                    b["code"],
                    b["en"],
                    b.get("zh") or "",
                    b.get("sex") or "",
                    alert=b.get("alert") or "",
                )
                for b in s["bands"]
            ),
            display=s.get("display") or "",
            system=s.get("system") or "",
        )
        for s in rules["scores"]
    ]
    flags = [
        FlagEdit(
            f["code"],
            f["en"],
            f.get("zh") or "",
            tuple(FlagCondition(c["item"], c["operator"], str(c["score"])) for c in f["when"]),
            f.get("alert") or "",
        )
        for f in rules["flags"]
    ]
    rebuilt = apply_scoring_edit(shipped, [*scores, ScoreEdit("", ())], [*flags, FlagEdit("", "")])
    assert canonical(rebuilt) == canonical(shipped)


def test_rules_without_scores_or_flags_remove_the_extension():
    tree = apply_scoring_edit(instrument_json("gad-2", "en"), [], [])
    assert "extension" not in tree and problems_by_item(tree) == {}


def test_a_flag_without_conditions_is_refused():
    with pytest.raises(DraftError, match="at least one condition"):
        apply_scoring_edit(tree_of("string"), [], [FlagEdit("f", "F", "", (FlagCondition("", ">=", ""),))])


def test_a_score_band_with_a_bad_total_is_refused():
    with pytest.raises(DraftError, match="not a whole number"):
        apply_scoring_edit(tree_of("string"), [ScoreEdit("s", ("1",), (BandRow("0", "x", "low"),))], [])


@pytest.mark.parametrize(("key", "language"), SHIPPED)
def test_every_shipped_instrument_loads_into_the_builder_without_problems(key, language):
    tree = canonical(instrument_json(key, language))
    assert problems_by_item(tree) == {}
    assert json.loads(json.dumps(tree)) == tree  # the session stores the draft as JSON
