"""Report the templates under careloop/ that no test rendered.

Every template rendered in the test process (views through the test client, the live server thread the
browser tests talk to, includes, form widgets) sends Django's `template_rendered` test signal; at the
end the files under `careloop/**/templates/` that never did are listed in the terminal summary.

A partial run would list nearly everything, so the report is printed only when the whole suite ran: no
paths on the command line (pytest used `testpaths`), no `-k`/`-m`, nothing deselected, not stopped
early, not `--collect-only`. `--template-report` prints it for any run (e.g.
`pytest tests/patients --template-report`); `--no-template-report` never does. It is a report: it never
fails the run.
"""

from pathlib import Path
from typing import Any

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "careloop"

_rendered: set[Path] = set()
_state: dict[str, Any] = {"deselected": 0, "session": None}


def all_templates() -> set[Path]:
    return {
        path.resolve()
        for path in PACKAGE.rglob("*")
        if path.is_file() and "templates" in path.relative_to(PACKAGE).parts[:-1]
    }


def _record(sender: Any, template: Any, context: Any = None, **kwargs: Any) -> None:
    origin = getattr(template, "origin", None)
    name = getattr(origin, "name", None)
    if isinstance(name, str) and name.startswith("/"):
        _rendered.add(Path(name).resolve())


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("careloop")
    group.addoption(
        "--template-report",
        action="store_const",
        const=True,
        dest="template_report",
        default=None,
        help="list the templates no test rendered, even for a partial run",
    )
    group.addoption(
        "--no-template-report",
        action="store_const",
        const=False,
        dest="template_report",
        help="never list the templates no test rendered",
    )


def pytest_configure(config: pytest.Config) -> None:
    from django.test.signals import template_rendered

    template_rendered.connect(_record, dispatch_uid="careloop-template-report")


def pytest_sessionstart(session: pytest.Session) -> None:
    _state["session"] = session


def pytest_deselected(items: list[pytest.Item]) -> None:
    _state["deselected"] += len(items)


def _whole_suite(session: pytest.Session, config: pytest.Config) -> bool:
    return (
        config.args_source == pytest.Config.ArgsSource.TESTPATHS
        and not config.option.keyword
        and not config.option.markexpr
        and not config.option.collectonly
        and not _state["deselected"]
        and not session.shouldstop
        and not session.shouldfail
        and session.testscollected > 0
    )


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    wanted = config.option.template_report
    if wanted is False or (wanted is None and not _whole_suite(_state["session"], config)):
        return
    root = PACKAGE.parent
    never = sorted(str(path.relative_to(root)) for path in all_templates() - _rendered)
    write = terminalreporter.write_line
    if never:
        terminalreporter.section(f"templates no test rendered: {len(never)}", sep="-", yellow=True)
        for name in never:
            write(name)
    else:
        terminalreporter.section("templates: every template under careloop/ was rendered", sep="-")
