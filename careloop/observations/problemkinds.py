"""Labels for the kinds of refusal an import reports, in the user's language.

The detailed reason stays beside the label, translated where the parser built it with `because`.
"""

from typing import TYPE_CHECKING

from django.utils.translation import gettext
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


def reason_text(reason: str, template: str, params: dict[str, str]) -> str:
    """A refusal reason in the active language: its template translated, filled with its parameters.

    Falls back to the English sentence for reasons stored without a template, and for a translation
    that does not fit its parameters (a translator's slip must not hide the reason).
    """
    if not template:
        return reason
    if not params and "%(" not in template:
        return gettext(template)
    try:
        return gettext(template) % params
    except (KeyError, ValueError, TypeError):
        return reason
