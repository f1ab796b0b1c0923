"""Checks that span items of a Questionnaire: unique linkIds, enableWhen targets and operators, scoring rules.

Each problem names the linkId of the item that carries the fault (the one whose enableWhen is wrong,
not the question it points at), or "Questionnaire" for the root and its scoring rules.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from careloop.questionnaires.definition import Coding, EnableWhen, Item, Problem, Questionnaire
from careloop.questionnaires.scoring_rules import ScoringRules

ROOT = "Questionnaire"
ORDERED = (">", "<", ">=", "<=")
# For each question type: the operators that make sense on it and the answer[x] kinds that can match
# its answers. Ordering is offered only where the order means something clinically (numbers, dates).
OPERATORS_FOR_TYPE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "boolean": (("=", "!="), ("Boolean",)),
    "decimal": (("=", "!=", *ORDERED), ("Decimal", "Integer")),
    "integer": (("=", "!=", *ORDERED), ("Integer",)),
    "date": (("=", "!=", *ORDERED), ("Date",)),
    "dateTime": (("=", "!=", *ORDERED), ("DateTime",)),
    "string": (("=", "!="), ("String",)),
    "text": (("=", "!="), ("String",)),
    "choice": (("=", "!="), ("Coding", "String", "Integer")),
    "open-choice": (("=", "!="), ("Coding", "String")),
    "quantity": ((), ()),
}
MAX_LENGTH_TYPES = ("string", "text", "open-choice")


def check_across_items(questionnaire: Questionnaire) -> list[Problem]:
    problems: list[Problem] = []
    counts = Counter(item.link_id for item, _ in questionnaire.walk())
    for link_id, count in sorted(counts.items()):
        if count > 1:
            problems.append(Problem(link_id, f"linkId is used by {count} items"))
    for item, _ in questionnaire.walk():
        problems.extend(_shape(item))
        for condition in item.enable_when:
            problems.extend(_enable_when(item, condition, questionnaire))
    problems.extend(_cycles(questionnaire))
    if questionnaire.scoring is not None:
        problems.extend(_scoring(questionnaire.scoring, questionnaire))
    return problems


def _shape(item: Item) -> list[Problem]:
    """The R4 invariants que-1, que-5, que-6 and que-10, and what CareLoop's flat answers cannot hold."""
    where, problems = item.link_id, []
    if item.type == "group" and not item.items:
        problems.append("a group needs child items")
    if item.type == "display" and item.items:
        problems.append("a display item cannot have child items")
    if item.type == "display" and (item.required or item.repeats):
        problems.append("a display item cannot be required or repeat")
    if item.type == "group" and item.repeats:
        problems.append("repeating groups are not supported (answers are a flat mapping by linkId)")
    if item.type == "choice" and not item.answer_options:
        problems.append("a choice item needs answerOption entries")
    if item.answer_options and item.type not in ("choice", "open-choice"):
        problems.append(f"answerOption is only supported on choice and open-choice items, not {item.type}")
    if item.max_length is not None and item.type not in MAX_LENGTH_TYPES:
        problems.append(f"maxLength does not apply to a {item.type} item")
    if item.min_value and item.max_value and _above(item.min_value.value, item.max_value.value):
        problems.append("minValue is above maxValue")
    return [Problem(where, message) for message in problems]


def _above(low: object, high: object) -> bool:
    return isinstance(low, int | float | date) and isinstance(high, type(low)) and low > high  # type: ignore[operator]


def _enable_when(item: Item, condition: EnableWhen, questionnaire: Questionnaire) -> list[Problem]:
    where, target = item.link_id, condition.question
    if target == where:
        return [Problem(where, "enableWhen points at the item itself")]
    if not questionnaire.has_item(target):
        return [Problem(where, f"enableWhen points at {target}, which is not an item of this Questionnaire")]
    question = questionnaire.item(target)
    if not question.takes_answers:
        return [Problem(where, f"enableWhen points at {target}, a {question.type} item that has no answer")]
    if condition.operator == "exists":
        if condition.kind != "Boolean":
            return [Problem(where, f"enableWhen 'exists' on {target} needs answerBoolean")]
        return []
    operators, kinds = OPERATORS_FOR_TYPE[question.type]
    if condition.operator not in operators:
        return [Problem(where, f"operator {condition.operator} is not valid for {target}, a {question.type}")]
    if condition.kind not in kinds:
        return [Problem(where, f"answer{condition.kind} cannot match {target}, a {question.type} question")]
    if question.type == "choice" and question.option_for(condition.answer) is None:
        return [Problem(where, f"enableWhen answer {_label(condition.answer)} is not an option of {target}")]
    return []


def _label(answer: object) -> str:
    return answer.code if isinstance(answer, Coding) else repr(answer)


def _cycles(questionnaire: Questionnaire) -> list[Problem]:
    """An item's enablement depends on its parent and its enableWhen questions; that graph must be acyclic."""
    depends: dict[str, list[str]] = {}
    for item, parent in questionnaire.walk():
        targets = [c.question for c in item.enable_when if c.question != item.link_id]
        depends[item.link_id] = [*targets, *([parent.link_id] if parent else [])]
    problems: list[Problem] = []
    done: set[str] = set()
    on_path: list[str] = []

    def visit(link_id: str) -> None:
        if link_id in done:
            return
        if link_id in on_path:
            cycle = [*on_path[on_path.index(link_id) :], link_id]
            problems.append(Problem(link_id, f"enableWhen forms a cycle: {' -> '.join(cycle)}"))
            return
        on_path.append(link_id)
        for target in depends.get(link_id, []):
            visit(target)
        on_path.pop()
        done.add(link_id)

    for link_id in depends:
        visit(link_id)
    return problems


def _scoring(rules: ScoringRules, questionnaire: Questionnaire) -> list[Problem]:
    problems = []
    named = [(f"score {s.code}", link_id) for s in rules.scores for link_id in s.items]
    named += [(f"flag {f.code}", c.item) for f in rules.flags for c in f.when]
    for rule, link_id in named:
        if not questionnaire.has_item(link_id):
            problems.append(Problem(ROOT, f"{rule} names {link_id}, which is not an item"))
            continue
        item = questionnaire.item(link_id)
        if item.type != "choice" or item.repeats or any(o.score is None for o in item.answer_options):
            problems.append(
                Problem(link_id, f"{rule} needs a single-answer choice item with a score on every option")
            )
    return problems
