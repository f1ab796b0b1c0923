"""The builder's draft: a FHIR R4 Questionnaire JSON tree, changed one step at a time.

Each operation takes a tree and returns a changed copy (the caller's tree is never touched), or raises
`DraftError` with a message for the person editing. The draft may be invalid between steps (a new choice
item has no options yet); `problems_by_item` says what is wrong, keyed by linkId, using the same reader
that publishing uses, so a draft with no problems is one that can be published. Pure: no Django import.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from careloop.questionnaires.definition import ITEM_TYPES, DefinitionError
from careloop.questionnaires.fhir_reading import ROOT, parse_questionnaire
from careloop.questionnaires.fhir_writing import to_fhir
from careloop.questionnaires.scoring_rules import SCORING_EXTENSION

Tree = dict[str, Any]


class DraftError(ValueError):
    """A step that cannot be taken; the message is shown to the person editing."""


def starter(title: str, language: str) -> Tree:
    """An empty questionnaire to start from: no items yet, so it cannot be published as it is."""
    return {
        "resourceType": "Questionnaire",
        "title": title,
        "language": {"zh": "zh-CN"}.get(language, language),
        "status": "draft",
        "item": [],
    }


def canonical(tree: Tree) -> Tree:
    """The tree as `to_fhir` writes it (raises `DefinitionError`): what publishing stores and compares."""
    return to_fhir(parse_questionnaire(tree))


def problems_by_item(tree: Tree) -> dict[str, list[str]]:
    """What stops the draft from being published: linkId (or "Questionnaire") -> messages."""
    try:
        parse_questionnaire(tree)
    except DefinitionError as error:
        found: dict[str, list[str]] = {}
        for problem in error.problems:
            found.setdefault(problem.where, []).append(problem.message)
        return found
    if not tree.get("item"):
        return {ROOT: ["add at least one item"]}
    return {}


def walk(tree: Tree) -> list[tuple[Tree, int]]:
    """Every item dict in document order with its depth (0 at the top)."""
    found: list[tuple[Tree, int]] = []

    def visit(items: list[Tree], depth: int) -> None:
        for item in items:
            found.append((item, depth))
            visit(item.get("item", []), depth + 1)

    visit(tree.get("item", []), 0)
    return found


def _locate(tree: Tree, link_id: str) -> tuple[list[Tree], int, Tree | None]:
    """The list holding the item, its index there, and its parent item (None at the top)."""

    def search(items: list[Tree], parent: Tree | None) -> tuple[list[Tree], int, Tree | None] | None:
        for index, item in enumerate(items):
            if item.get("linkId") == link_id:
                return items, index, parent
            found = search(item.get("item", []), item)
            if found:
                return found
        return None

    found = search(tree.setdefault("item", []), None)
    if found is None:
        raise DraftError(f"there is no item {link_id}")
    return found


def item_of(tree: Tree, link_id: str) -> Tree:
    siblings, index, _parent = _locate(tree, link_id)
    return siblings[index]


def fresh_link_id(tree: Tree) -> str:
    """The next whole number not used as a linkId: short ids a person can say on the phone ("question 7")."""
    numbers = [int(item["linkId"]) for item, _ in walk(tree) if str(item.get("linkId", "")).isdigit()]
    taken = {item.get("linkId") for item, _ in walk(tree)}
    candidate = max(numbers, default=0) + 1
    while str(candidate) in taken:
        candidate += 1
    return str(candidate)


def add_item(tree: Tree, item_type: str, parent: str | None = None) -> tuple[Tree, str]:
    """A new item at the end of the questionnaire, or of the group `parent`; returns its linkId.

    A new group gets one question inside, since R4 does not allow an empty group."""
    if item_type not in ITEM_TYPES:
        raise DraftError(f"{item_type!r} is not an item type")
    tree = copy.deepcopy(tree)
    link_id = fresh_link_id(tree)
    item: Tree = {"linkId": link_id, "type": item_type}
    if parent is None:
        tree.setdefault("item", []).append(item)
    else:
        holder = item_of(tree, parent)
        if holder.get("type") != "group":
            raise DraftError(f"{parent} is not a group: only a group holds other items")
        holder.setdefault("item", []).append(item)
    if item_type == "group":
        item["item"] = [{"linkId": fresh_link_id(tree), "type": "string"}]
    return tree, link_id


def delete_item(tree: Tree, link_id: str) -> Tree:
    """Removes the item and what it holds. Conditions and scores that named it stay, and are reported as
    problems, so a clinical rule never changes without the person editing seeing it."""
    tree = copy.deepcopy(tree)
    siblings, index, _parent = _locate(tree, link_id)
    del siblings[index]
    return tree


def move_item(tree: Tree, link_id: str, step: int) -> Tree:
    """One place up (step -1) or down (+1) among its siblings."""
    tree = copy.deepcopy(tree)
    siblings, index, _parent = _locate(tree, link_id)
    target = index + step
    if not 0 <= target < len(siblings):
        raise DraftError(f"{link_id} is already {'first' if step < 0 else 'last'} here")
    siblings[index], siblings[target] = siblings[target], siblings[index]
    return tree


def nest_item(tree: Tree, link_id: str) -> Tree:
    """Into the group just above it, as that group's last item."""
    tree = copy.deepcopy(tree)
    siblings, index, _parent = _locate(tree, link_id)
    if index == 0 or siblings[index - 1].get("type") != "group":
        raise DraftError(f"{link_id} can only go into a group placed just above it")
    siblings[index - 1].setdefault("item", []).append(siblings.pop(index))
    return tree


def unnest_item(tree: Tree, link_id: str) -> Tree:
    """Out of its group, placed just after the group."""
    tree = copy.deepcopy(tree)
    siblings, index, parent = _locate(tree, link_id)
    if parent is None:
        raise DraftError(f"{link_id} is not inside a group")
    outer, parent_index, _grandparent = _locate(tree, parent["linkId"])
    outer.insert(parent_index + 1, siblings.pop(index))
    return tree


def rename_link_id(tree: Tree, old: str, new: str) -> Tree:
    """Gives an item a new linkId, and every enableWhen and scoring rule that named it follows."""
    new = new.strip()
    if new == old:
        return tree
    if not new or any(character.isspace() for character in new):
        raise DraftError("a linkId must be non-empty and have no spaces")
    if any(item.get("linkId") == new for item, _ in walk(tree)):
        raise DraftError(f"linkId {new} is already used by another item")
    tree = copy.deepcopy(tree)
    item_of(tree, old)["linkId"] = new
    for item, _ in walk(tree):
        for condition in item.get("enableWhen", []):
            if condition.get("question") == old:
                condition["question"] = new
    rules = scoring_json(tree)
    if rules is not None:
        for score in rules.get("scores", []):
            score["items"] = [new if link_id == old else link_id for link_id in score.get("items", [])]
        for flag in rules.get("flags", []):
            for condition in flag.get("when", []):
                if condition.get("item") == old:
                    condition["item"] = new
        tree = with_scoring_json(tree, rules)
    return tree


def scoring_json(tree: Tree) -> dict[str, Any] | None:
    """The scoring extension's rules as JSON, or None when there are none (or they cannot be read)."""
    for extension in tree.get("extension", []):
        if isinstance(extension, dict) and extension.get("url") == SCORING_EXTENSION:
            try:
                rules = json.loads(extension.get("valueString") or "")
            except (TypeError, ValueError):
                return None
            return rules if isinstance(rules, dict) else None
    return None


def with_scoring_json(tree: Tree, rules: dict[str, Any] | None) -> Tree:
    """The tree carrying `rules` in the scoring extension (none when `rules` has no scores and no flags)."""
    tree = copy.deepcopy(tree)
    others = [
        e
        for e in tree.get("extension", [])
        if not (isinstance(e, dict) and e.get("url") == SCORING_EXTENSION)
    ]
    if rules and (rules.get("scores") or rules.get("flags")):
        text = json.dumps(rules, ensure_ascii=False, sort_keys=True)
        others.append({"url": SCORING_EXTENSION, "valueString": text})
    if others:
        tree["extension"] = others
    else:
        tree.pop("extension", None)
    return tree
