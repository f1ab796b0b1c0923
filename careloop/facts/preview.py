"""The rule editor's "try it": how many patients a rule matches now, and a few of them, before it is on."""

from __future__ import annotations

import datetime

from careloop.facts.compile import matching
from careloop.patients.models import Patient
from careloop.rules import RuleError, parse


def preview(
    rule_text: str, organization_id: int, sample: int = 10, today: datetime.date | None = None
) -> tuple[int, list[Patient]] | RuleError:
    """The count of the organization's patients the rule matches and the first `sample` of them by name;
    the rule's first problem (with its position) when it is not valid. Two queries."""
    try:
        rule = parse(rule_text)
    except RuleError as error:
        return error
    found = matching(rule, organization_id, today)
    return found.count(), list(found.order_by("name_initials", "pk")[:sample])
