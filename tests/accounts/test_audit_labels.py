"""Every action code the code writes has words on the audit page, so a new code cannot be forgotten."""

import ast
from pathlib import Path

import pytest
from django.utils import translation

from careloop.accounts import audit_labels
from careloop.patients.membership.cardstates import TRANSITIONS
from careloop.patients.record.sections import SECTIONS

PACKAGE = Path(__file__).resolve().parents[2] / "careloop"


def record_calls() -> list[tuple[str, ast.expr]]:
    """(where, first argument) of every `audit.record(...)` in the package."""
    calls = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "record"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "audit"
                and node.args
            ):
                calls.append((f"{path.relative_to(PACKAGE.parent)}:{node.lineno}", node.args[0]))
    return calls


def literal_codes(argument: ast.expr) -> list[str]:
    """The codes a call can write: a literal, either branch of `a if c else b`; f-strings are families."""
    if isinstance(argument, ast.JoinedStr):
        return []
    return [
        node.value
        for node in ast.walk(argument)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def test_the_scan_finds_the_calls():
    codes = {code for _where, argument in record_calls() for code in literal_codes(argument)}
    assert {"patient.view", "login.failed", "consent.grant", "consent.withdraw"} <= codes
    assert len(record_calls()) > 25


@pytest.mark.parametrize(
    ("where", "argument"), record_calls(), ids=lambda value: value if isinstance(value, str) else ""
)
def test_every_literal_action_code_has_a_label(where, argument):
    if isinstance(argument, ast.JoinedStr):
        prefix = argument.values[0]
        assert isinstance(prefix, ast.Constant) and str(prefix.value).startswith(
            audit_labels.DYNAMIC_PREFIXES
        ), f"{where}: an action code built at run time needs a family in audit_labels.DYNAMIC_PREFIXES"
        return
    for code in literal_codes(argument):
        assert audit_labels.is_worded(code), f"{where}: add {code!r} to careloop/accounts/audit_labels.py"


@pytest.mark.parametrize("change", list(TRANSITIONS))
def test_every_card_change_has_a_label(change):
    assert audit_labels.is_worded(f"card.{change}")


@pytest.mark.parametrize("section", list(SECTIONS.values()), ids=lambda section: section.name)
@pytest.mark.parametrize("verb", ["create", "update", "delete"])
def test_every_health_record_section_reads_in_words(section, verb):
    code = f"record.{section.model.__name__.lower()}.{verb}"
    assert audit_labels.is_worded(code)
    with translation.override("en"):
        assert str(section.model._meta.verbose_name) in audit_labels.label(code)


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("patient.view", "Opened a patient's record"),
        ("record.allergy.delete", "Health record: allergy removed"),
        ("staff.password_reset", "Staff: password reset"),
        ("backup", "Backup"),
        ("record.vaccination.create", "Health record: vaccination added"),
    ],
)
def test_labels_in_english(code, words):
    with translation.override("en"):
        assert audit_labels.label(code) == words
