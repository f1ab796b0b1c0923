"""Labels for the kinds of refusal an import reports, in the user's language.

The detailed reason stays beside the label, translated where the parser built it with `because`.
"""

import re
from typing import TYPE_CHECKING

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from careloop.observations import catalogue
from careloop.observations.importing.parsed import Problem, reason_parts
from careloop.observations.language import in_chinese
from careloop.observations.sources.tabular.columns import COLUMNS

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PROBLEM_KINDS = {
    "malformed": _("Unreadable"),
    "missing": _("Missing"),
    "invalid": _("Invalid"),
    "bad_date": _("Bad date"),
    "unknown_code": _("Unknown indicator"),
    "unknown_unit": _("Unknown unit"),
    "unknown_value": _("Unknown value"),
    "not_numeric": _("Not a number"),
    "implausible": _("Implausible value"),
    "duplicate": _("Duplicate"),
    "unsupported": _("Not supported"),
    "unknown_patient": _("Unknown patient"),
    "mapping": _("Column mapping"),
    "sequence": _("Segment order"),
    "internal": _("Internal error"),
    "too_large": _("Too large"),
}


def kind_label(code: str) -> "StrOrPromise":
    return PROBLEM_KINDS.get(code, _("Refused"))


_PLACES = {
    "row": _("row %(number)s"),
    "line": _("line %(number)s"),
    "entry": _("entry %(number)s"),
    "message": _("message %(number)s"),
}
_PLACE = re.compile(r"(row|line|entry|message) (\d+)(.*)", re.DOTALL)


_PLACE_PARAMETERS = {"first", "location", "where"}
# A spreadsheet problem names its column by key ("unit"); shown by the column's header name.
_COLUMN_NAMES = {column.key: (column.zh, column.en) for column in COLUMNS}


def field_text(field: str) -> str:
    """The field a problem is about: a spreadsheet column by its header (单位), anything else as sent."""
    names = _COLUMN_NAMES.get(field)
    if names is None:
        return field
    return names[0] if in_chinese() else names[1]


def location_text(location: str) -> str:
    """Where a problem was, in the active language: "row 7" -> "第 7 行"; the rest ("/ OBX 3") as sent."""
    if location == "file":  # a refusal of the file itself (unreadable, or past a limit)
        return str(_("the whole file"))
    found = _PLACE.fullmatch(location)
    if found is None:
        return location
    kind, number, rest = found.groups()
    return str(_PLACES[kind]) % {"number": number} + rest


def reason_text(reason: str, template: str, params: dict[str, str]) -> str:
    """A refusal reason in the active language: its template translated, filled with its parameters.

    Falls back to the English sentence for reasons stored without a template, and for a translation
    that does not fit its parameters (a translator's slip must not hide the reason).
    """
    if not template:
        return reason
    if not params and "%(" not in template:
        return gettext(template)
    # A parameter that names a place ("line 4") is shown like the problem's own location, and an
    # indicator's English name (beside its code) by its name in the user's language.
    shown = {k: location_text(v) if k in _PLACE_PARAMETERS else v for k, v in params.items()}
    if "expected" in shown:  # a list of units joined with " or " (units.py)
        alternatively = gettext("or")
        shown["expected"] = shown["expected"].replace(" or ", f" {alternatively} ")
    if "name" in shown and "code" in shown:
        indicator = catalogue.by_code(shown["code"])
        if indicator is not None and in_chinese():
            shown["name"] = indicator.name_zh
    try:
        return gettext(template) % shown
    except (KeyError, ValueError, TypeError):
        return reason


def problem_text(problem: Problem) -> str:
    """One line for a parsed problem, in the active language: where, which field, why."""
    reason = reason_text(problem.reason, *reason_parts(problem.reason))
    where = f"{location_text(problem.location)} {field_text(problem.field)}".strip()
    return f"{where}: {reason}"
