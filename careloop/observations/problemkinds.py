"""Labels for the kinds of refusal an import reports, in the user's language.

The detailed reason stays beside the label.
"""

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

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
}


def kind_label(code: str) -> "StrOrPromise":
    return PROBLEM_KINDS.get(code, _("Refused"))
