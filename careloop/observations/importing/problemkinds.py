"""Labels for the kinds of refusal an import reports, in the user's language.

The detailed reason stays beside the label, translated where the parser built it with `because`.
"""

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from careloop.observations import catalogue
from careloop.observations.importing.parsed import Problem, reason_parts
from careloop.observations.language import in_chinese
from careloop.observations.sources.tabular.columns import COLUMNS, HEADER_INDEX, normalize_header

if TYPE_CHECKING:
    from django.db.models import QuerySet
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
    "missing_column": _("Missing column"),
    "unknown_key": _("Column mapping"),
    "identifier_as_number": _("ID typed as a number"),
    "future": _("Dated in the future"),
    "contradiction": _("Contradicts the patient"),
}


def kind_label(code: str) -> "StrOrPromise":
    return PROBLEM_KINDS.get(code, _("Refused"))


_PLACES = {
    "row": _("row %(number)s"),
    "line": _("line %(number)s"),
    "entry": _("entry %(number)s"),
    "message": _("message %(number)s"),
}
# A segment of an HL7 message, named by what it carries ("message 3 / OBX 4": the 4th result of it).
_SEGMENTS = {
    "MSH": _("message header %(number)s"),
    "EVN": _("event %(number)s"),
    "PID": _("patient %(number)s"),
    "MRG": _("merged record %(number)s"),
    "PV1": _("visit %(number)s"),
    "ORC": _("order %(number)s"),
    "OBR": _("order %(number)s"),
    "OBX": _("result %(number)s"),
    "NTE": _("note %(number)s"),
}
# Places that are the whole of what was sent, rather than a part of it.
_WHOLE = {
    "file": _("the whole file"),
    "document": _("the whole document"),
    "mapping": _("Column mapping"),
}
# "row 7", "message 3 / OBX 4", and a spreadsheet's cell "row 7 / column E".
_PLACE = re.compile(
    r"(row|line|entry|message) (\d+)((?: / [A-Z][A-Z0-9]{2} \d+)*)(?: / column ([A-Z]{1,3}))?"
)
_PLACE_START = re.compile(r"(row|line|entry|message) (\d+)\b")
_ROW = re.compile(r"row (\d+)")
_CELL = re.compile(r"row (\d+) / column ([A-Z]{1,3})")
_SEGMENT = re.compile(r" / ([A-Z][A-Z0-9]{2}) (\d+)")
_NUMBER = re.compile(r"\d+")

_PLACE_PARAMETERS = {"first", "location", "where"}
_FIELD_PARAMETERS = {"field", "column"}
# A spreadsheet problem names its column by key ("unit"); shown by the column's header name.
_COLUMN_NAMES = {column.key: (column.zh, column.en) for column in COLUMNS}
# A spreadsheet column as the parser names it: "column C (单位)", letter and header as in the file.
_COLUMN = re.compile(r"column ([A-Z]{1,3}) \((.*)\)", re.DOTALL)
_HEADER_ROW = _("header row")
# Fields of the import steps, HL7 v2 segments and FHIR resources that hold what a spreadsheet column
# holds: shown by that column's name. A clerk fixing a file knows "unit", not "OBX-6".
_AS_COLUMN = {
    "code": "indicator",
    "PID-7": "birth_date",
    "OBR-3": "report_id",
    "OBR-7": "time",
    "OBX-3": "indicator",
    "OBX-5": "value",
    "OBX-6": "unit",
    "OBX-7": "reference_range",
    "OBX-8": "abnormal_flag",
    "OBX-14": "time",
    "code.coding": "indicator",
    "valueQuantity.value": "value",
    "valueQuantity.unit": "unit",
    "valueInteger": "value",
    "valueString": "value",
    "valueCodeableConcept": "value",
    "value[x]": "value",
    "effectiveDateTime": "time",
    "birthDate": "birth_date",
    "gender": "sex",
}
# The other fields a problem may name, by what they hold.
_FIELDS = {
    "MSH": _("message header"),
    "MSH-2": _("delimiters"),
    "MSH-7": _("message time"),
    "MSH-9": _("message type"),
    "MSH-10": _("message control ID"),
    "MSH-12": _("HL7 version"),
    "EVN": _("event"),
    "PID": _("patient"),
    "PID-3": _("patient identifier"),
    "MRG": _("merged record"),
    "MRG-1": _("merged record's identifier"),
    "mobile": _("mobile"),
    "id_number": _("ID number"),
    "PV1": _("visit"),
    "PV1-2": _("visit class"),
    "PV1-19": _("visit number"),
    "PV1-44": _("admission time"),
    "PV1-45": _("discharge time"),
    "OBR": _("order"),
    "OBX": _("result"),
    "OBX-2": _("value type"),
    "OBX-4": _("result sub-ID"),
    "OBX-11": _("result status"),
    "id": _("resource ID"),
    "resourceType": _("resource type"),
    "resource": _("resource"),
    "type": _("bundle type"),
    "entry": _("entries"),
    "request.method": _("request method"),
    "issued": _("report time"),
    "subject": _("patient"),
    "subject.reference": _("patient"),
    "subject.identifier": _("patient identifier"),
    "patient": _("patient"),
    "patient.reference": _("patient"),
    "identifier": _("patient identifier"),
    "status": _("status"),
    "class.code": _("visit class"),
    "period.start": _("admission time"),
    "period.end": _("discharge time"),
}
_COMPONENT = re.compile(r"component\[(\d+)\]\.(.*)", re.DOTALL)


def _column_name(key: str) -> str:
    zh, en = _COLUMN_NAMES[key]
    return zh if in_chinese() else en


def _header_name(header: str) -> str:
    """A file's header in the active language where it is one of ours ("单位" -> "unit"), else as written."""
    hit = HEADER_INDEX.get(normalize_header(header))
    return _column_name(hit[0]) if hit is not None else header


def field_text(field: str) -> str:
    """The field a problem is about, in the active language: a spreadsheet column by its letter and its
    header's name ("column C (unit)"), an HL7 or FHIR field by what it holds; anything else as sent."""
    key = _AS_COLUMN.get(field, field)
    if key in _COLUMN_NAMES:
        return _column_name(key)
    named = _FIELDS.get(field)
    if named is not None:
        return str(named)
    if field == "header":
        return str(_HEADER_ROW)
    column = _COLUMN.fullmatch(field)
    if column is not None:
        letter, header = column.groups()
        return str(_("column %(letter)s (%(header)s)")) % {"letter": letter, "header": _header_name(header)}
    component = _COMPONENT.fullmatch(field)
    if component is not None:
        number, rest = component.groups()
        return str(_("component %(number)s: %(field)s")) % {"number": number, "field": field_text(rest)}
    return field


def location_text(location: str) -> str:
    """Where a problem was, in the active language: "row 7" -> "第 7 行", "message 2 / OBX 4" -> the 4th
    result of the 2nd message. A place that only begins as one of ours keeps the rest as sent; any other
    place is shown as sent."""
    whole = _WHOLE.get(location)
    if whole is not None:
        return str(whole)
    found = _PLACE.fullmatch(location)
    if found is None:
        begins = _PLACE_START.match(location)
        if begins is None:
            return location
        kind, number = begins.groups()
        return str(_PLACES[kind]) % {"number": number} + location[begins.end() :]
    kind, number, segments, letter = found.groups()
    parts = [str(_PLACES[kind]) % {"number": number}]
    for name, ordinal in _SEGMENT.findall(segments):
        segment = _SEGMENTS.get(name)
        parts.append(f"{name} {ordinal}" if segment is None else str(segment) % {"number": ordinal})
    if letter:
        parts.append(str(_("column %(letter)s")) % {"letter": letter})
    return " / ".join(parts)


def report_place(location: str, field: str) -> tuple[str, str]:
    """A problem's "row" and "column" in the error report: a row by its number alone, a wide
    spreadsheet's cell ("row 7 / column E", field "unit") as row 7 and column E (unit); other places
    and fields as `location_text` and `field_text` show them."""
    cell = _CELL.fullmatch(location)
    if cell is not None:
        number, letter = cell.groups()
        return number, str(_("column %(letter)s (%(header)s)")) % {
            "letter": letter,
            "header": field_text(field),
        }
    row = _ROW.fullmatch(location)
    return (row.group(1) if row is not None else location_text(location)), field_text(field)


def place_order(location: str) -> tuple[int, tuple[int, ...]]:
    """How a problem's place sorts: the whole file first, then by its numbers read as numbers (row 2
    before row 10, message 3 / OBX 2 before message 3 / OBX 10)."""
    numbers = tuple(int(number) for number in _NUMBER.findall(location))
    return (1, numbers) if numbers else (0, ())


def in_row_order(problems: "QuerySet[Any]") -> list[int]:
    """The ids of the stored problems in the order of their places (`place_order`), in the order they
    were found within one place."""
    places = problems.order_by("id").values_list("id", "location")
    return [pk for pk, location in sorted(places, key=lambda place: place_order(place[1]))]


def first_in_row_order(problems: "QuerySet[Any]", count: int) -> list[Any]:
    """The first `count` stored problems in row order, as model instances."""
    ids = in_row_order(problems)[:count]
    found = problems.in_bulk(ids)
    return [found[pk] for pk in ids]


def values_in_row_order(
    problems: "QuerySet[Any]", columns: tuple[str, ...], chunk: int = 1000
) -> Iterator[tuple[Any, ...]]:
    """The `columns` of each stored problem in row order, read `chunk` problems at a time."""
    ids = in_row_order(problems)
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        rows = {row[0]: row[1:] for row in problems.filter(id__in=part).values_list("id", *columns)}
        yield from (rows[pk] for pk in part if pk in rows)


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
    shown.update({k: field_text(v) for k, v in params.items() if k in _FIELD_PARAMETERS})
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
