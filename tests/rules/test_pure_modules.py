"""The rule language stays pure: no module of careloop/rules imports Django, so tables test it alone and
the Django layer that compiles rules to SQL lives elsewhere."""

from pathlib import Path

import careloop.rules
from tests.questionnaires.test_pure_modules import imported_modules

PACKAGE = Path(careloop.rules.__file__).parent


def test_no_rules_module_imports_django():
    modules = sorted(PACKAGE.glob("**/*.py"))
    assert len(modules) >= 10  # every module of the package is scanned, present and future
    offenders = {
        str(path.relative_to(PACKAGE)): [
            name for name in imported_modules(path.read_text()) if name.split(".")[0] == "django"
        ]
        for path in modules
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_no_rules_module_is_over_400_lines():
    lengths = {path.name: len(path.read_text().splitlines()) for path in PACKAGE.glob("**/*.py")}
    assert {name: count for name, count in lengths.items() if count > 400} == {}
