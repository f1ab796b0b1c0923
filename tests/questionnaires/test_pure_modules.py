"""The questionnaire core stays pure: its modules import no Django. The Django app around it (models,
actions, forms, views, the tab, the command) lives in the same package, so the core is listed here."""

import ast
from pathlib import Path

import careloop.questionnaires

PACKAGE = Path(careloop.questionnaires.__file__).parent
PURE = (
    "__init__",
    "definition",
    "definition_checks",
    "enablewhen",
    "fhir_reading",
    "fhir_writing",
    "responses",
    "scoring",
    "scoring_rules",
    "instruments/__init__",
    "drafting",
    "draft_fields",
    "answer_export",
)


def imported_modules(source: str) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_no_questionnaire_module_imports_django():
    modules = [PACKAGE / f"{name}.py" for name in PURE]
    assert all(path.exists() for path in modules)  # the scan reads the modules, not missing files
    offenders = {
        str(path.relative_to(PACKAGE)): [
            name for name in imported_modules(path.read_text()) if name.split(".")[0] == "django"
        ]
        for path in modules
    }
    assert {path: names for path, names in offenders.items() if names} == {}
