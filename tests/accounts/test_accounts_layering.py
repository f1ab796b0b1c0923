"""Accounts is the base app: no module of it imports an app built on it (a function-local import counts)."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

import careloop.accounts

ABOVE_ACCOUNTS = ("careloop.patients", "careloop.observations", "careloop.demo")
ACCOUNTS = Path(careloop.accounts.__file__).parent


def imported_modules(source: str) -> list[str]:
    """Every module an import statement anywhere in `source` names (absolute imports only)."""
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names += [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
    return names


def imports_above(source: str) -> list[str]:
    return [
        name
        for name in imported_modules(source)
        if any(name == app or name.startswith(f"{app}.") for app in ABOVE_ACCOUNTS)
    ]


@pytest.mark.parametrize(
    ("source", "found"),
    [
        (
            "from careloop.patients.models import Tag",
            ["careloop.patients.models", "careloop.patients.models.Tag"],
        ),
        (
            "def f():\n    from careloop.observations import actions",
            ["careloop.observations", "careloop.observations.actions"],
        ),
        ("import careloop.demo.clinic", ["careloop.demo.clinic"]),
        ("from careloop import patients", ["careloop.patients"]),
        ("from careloop.accounts.models import User", []),
        ('"""See `careloop.patients.searchtokens`."""', []),
        ("from careloop.patientsx import y", []),
    ],
)
def test_imports_above_accounts_are_found(source, found):
    assert imports_above(source) == found


def test_no_accounts_module_imports_an_app_built_on_accounts():
    modules = sorted(ACCOUNTS.rglob("*.py"))
    assert len(modules) > 40  # the scan reads the app's modules, not an empty folder
    offenders = {
        str(path.relative_to(ACCOUNTS)): above
        for path in modules
        if (above := imports_above(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_the_demo_app_comes_after_the_apps_it_seeds():
    apps = settings.INSTALLED_APPS
    seeded = ("careloop.accounts", "careloop.patients", "careloop.observations")
    assert all(apps.index(app) < apps.index("careloop.demo") for app in seeded)
