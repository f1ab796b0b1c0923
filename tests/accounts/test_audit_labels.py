"""Every action code the code writes has words on the audit page, so a new code cannot be forgotten."""

import ast
from pathlib import Path

import pytest
from django.utils import translation

from careloop.accounts import audit_labels
from careloop.patients.membership.cardstates import TRANSITIONS
from careloop.patients.record.sections import SECTIONS

PACKAGE = Path(__file__).resolve().parents[2] / "careloop"


# Actions that write through a small wrapper of their own (`_record("staff.created", ...)`) name it here.
WRAPPERS = {"_record", "_audit_attempt"}


def _writes_an_entry(call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr == "record" and isinstance(func.value, ast.Name) and func.value.id == "audit"
    return isinstance(func, ast.Name) and func.id in WRAPPERS


def record_calls() -> list[tuple[str, ast.expr]]:
    """(where, first argument) of every `audit.record(...)`, or a wrapper's call, in the package."""
    calls = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args and _writes_an_entry(node):
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
    assert {"patient.view", "login.throttled", "staff.created", "consent.grant", "consent.withdraw"} <= codes
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
        ("tag.merged", "Tag: merged"),  # a code nobody has worded yet still reads
        ("backup", "Backup"),
        ("record.vaccination.create", "Health record: vaccination added"),
    ],
)
def test_labels_in_english(code, words):
    with translation.override("en"):
        assert audit_labels.label(code) == words
