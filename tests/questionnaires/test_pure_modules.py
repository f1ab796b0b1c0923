"""The questionnaire core stays pure: no module of careloop.questionnaires imports Django."""

import ast
from pathlib import Path

import careloop.questionnaires

PACKAGE = Path(careloop.questionnaires.__file__).parent


def imported_modules(source: str) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_no_questionnaire_module_imports_django():
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) >= 10  # the scan reads the package, not an empty folder
    offenders = {
        str(path.relative_to(PACKAGE)): [
            name for name in imported_modules(path.read_text()) if name.split(".")[0] == "django"
        ]
        for path in modules
    }
    assert {path: names for path, names in offenders.items() if names} == {}
