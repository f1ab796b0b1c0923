"""Follow-up's arithmetic stays pure: its modules import no Django, so they are tested by tables alone."""

from pathlib import Path

import careloop.followup
from tests.questionnaires.test_pure_modules import imported_modules

PACKAGE = Path(careloop.followup.__file__).parent
PURE = ("__init__", "schedule", "protocol_reading", "planning", "shipped", "trigger_rules")


def test_no_pure_followup_module_imports_django():
    modules = [PACKAGE / f"{name}.py" for name in PURE]
    assert all(path.exists() for path in modules)
    offenders = {
        path.name: [name for name in imported_modules(path.read_text()) if name.split(".")[0] == "django"]
        for path in modules
    }
    assert offenders == {path.name: [] for path in modules}
