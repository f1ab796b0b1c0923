"""What makes a spreadsheet row the same result in every upload, and identifiers that cannot be trusted.

A result's source id is its `source_id` column where the file has one. Otherwise it is a keyed BLAKE2b
hash of what the result means:
- with a report (or order) number: (report number, indicator, time);
- without one: (patient, indicator, time), the patient being the resident ID number or the MRN.
The indicator enters as `normalize_header` folds it, the time as the UTC instant to the second. Nothing
of the file's bytes, encoding, column or row order, file name, value spelling or date spelling enters,
so the same results uploaded as UTF-8 or GBK CSV, or as .xlsx, meet the rows they made before (the
merge's unique key is (source system, source id)). The hash is keyed with the organization's index key:
an id that contains a resident ID number must not let anyone test guesses of ID numbers against it.

An identifier that reached us as a number (an Excel numeric cell, or the text Excel writes for one:
"1.10105E+17", "12345.0") has lost what made it an identifier: Excel keeps 15 significant digits and no
leading zeros. Such a cell is refused, never read as the number's digits.
Pure: no Django import.
"""

import datetime
import hashlib
import re

from careloop.observations.importing.parsed import Reason, because

# The columns whose cells name someone or something, rather than measure it.
IDENTIFIER_KEYS = ("id_number", "mrn", "report_id", "source_id")
# How a number is written out once it has been one: in scientific notation as Excel and Python write
# it (one digit before the point, a signed exponent: "1.10105E+17", "1.1010519491231002e+17"), or with
# a zero fraction ("12345.0"). A sample number such as "24E0012" is none of these.
_WRITTEN_NUMBER = re.compile(r"\d(?:\.\d+)?[eE][+-]\d{1,3}|\d+\.0+")
IDENTIFIER_AS_NUMBER = "identifier_as_number"  # the problem's kind


def text_of(cell: object) -> str:
    """A cell as text: numbers as a person reads them (120, not 120.0), dates in ISO."""
    if cell is None:
        return ""
    if isinstance(cell, str):
        return cell.strip()
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() else repr(cell)
    if isinstance(cell, datetime.datetime | datetime.date):
        return cell.isoformat()
    return str(cell).strip()


def arrived_as_number(cell: object, text: str) -> bool:
    """Whether an identifier cell holds a number, or the text of one, rather than the identifier typed."""
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return True
    return _WRITTEN_NUMBER.fullmatch(text) is not None


def identifier_as_number() -> Reason:
    return because(
        "This identifier arrived as a number, and a number keeps at most 15 digits and no leading zeros, "
        "so it may no longer be the identifier that was typed. Format the column as text "
        "(in Excel: Format Cells > Text), type the identifiers again and upload the file again."
    )


def instant_text(when: datetime.datetime) -> str:
    """The UTC instant of an aware time to the second, as ISO text: one spelling for each moment."""
    rounded = when + datetime.timedelta(microseconds=500_000) if when.microsecond >= 500_000 else when
    return rounded.replace(microsecond=0).astimezone(datetime.UTC).isoformat()


def stable_id(hash_key: bytes, *parts: str) -> str:
    """A source id from the parts that identify a result (see module doc), keyed with `hash_key`."""
    material = "\x1f".join(parts)
    return "t-" + hashlib.blake2b(material.encode(), digest_size=12, key=hash_key).hexdigest()


def result_id(hash_key: bytes, report_id: str, patient_key: str, indicator_key: str, instant: str) -> str:
    """The source id of a result without a `source_id` column: by report number where there is one."""
    if report_id:
        return stable_id(hash_key, "report", report_id, indicator_key, instant)
    return stable_id(hash_key, patient_key, indicator_key, instant)
