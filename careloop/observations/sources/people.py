"""What HL7 v2 (PID, NK1) and FHIR (Patient, Patient.contact) say of a person, in our terms: which phone
is the mobile, the address as one line, a relationship code as one of ours (patients.choices.RELATIONSHIPS).

Shared by both readers so that the two formats mean the same by the same code. Pure: no Django import.
"""

import re
from collections.abc import Iterable, Sequence

from careloop.patients.idcard import IdentifierError, parse_mobile

ADDRESS_LENGTH = 200

# Relationship codes -> ours. HL7 v2 table 0063 (NK1-3) and the v3 RoleCode family codes FHIR uses in
# Patient.contact.relationship (https://terminology.hl7.org/CodeSystem-v3-RoleCode.html); the codes the
# two share (FTH, MTH, SON, DAU, BRO, SIS, SIB) mean the same in both.
RELATIONSHIPS = {
    **dict.fromkeys(("SPO", "HUS", "WIF", "DOM"), "spouse"),  # 0063 (DOM: life partner)
    **dict.fromkeys(("SPS", "HUSB", "WIFE", "DOMPART"), "spouse"),  # RoleCode
    **dict.fromkeys(("FTH", "NFTH"), "father"),  # NFTH: RoleCode natural father
    **dict.fromkeys(("MTH", "NMTH"), "mother"),
    **dict.fromkeys(("SON", "SONC"), "son"),  # RoleCode: SONC son, SON natural son
    **dict.fromkeys(("DAU", "DAUC"), "daughter"),
    **dict.fromkeys(("BRO", "SIS", "SIB", "NSIB"), "sibling"),
    **dict.fromkeys(("GRP", "GRPRN", "GRFTH", "GRMTH"), "grandparent"),  # GRP: 0063, the others RoleCode
    **dict.fromkeys(("GCH", "GRNDCHILD", "GRNDSON", "GRNDDAU"), "grandchild"),
    **dict.fromkeys(("GRD", "GUARD"), "guardian"),  # GRD: 0063, GUARD: RoleCode
    "CGV": "caregiver",  # 0063
}
OTHER = "other"

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def relationship(codes: Iterable[str]) -> str:
    """The first of the sent codes we know (HL7 table 0063 or v3 RoleCode), as ours; "other" for none."""
    for code in codes:
        ours = RELATIONSHIPS.get(code.strip().upper())
        if ours:
            return ours
    return OTHER


def chinese_mobile(text: str) -> str:
    """The number as a mainland mobile (11 digits, 13-19 first: `idcard.parse_mobile`, the rule a patient's
    mobile is kept by; +86 / 0086, spaces and hyphens dropped), else ""."""
    try:
        return parse_mobile(text)
    except IdentifierError:
        return ""


def choose_mobile(candidates: Iterable[tuple[str, bool]]) -> str:
    """Of (number as sent, marked as a mobile by the sender) pairs in the order sent: the first marked one
    that is a mainland mobile, else the first that is one at all, else "". Normalized (digits only)."""
    first = ""
    for text, marked in candidates:
        number = chinese_mobile(text)
        if number and marked:
            return number
        first = first or number
    return first


def address_line(
    *, state: str = "", city: str = "", district: str = "", lines: Sequence[str] = (), postal_code: str = ""
) -> str:
    """An address as one line, at most 200 characters, without the country.

    A Chinese address is written big to small without spaces (省, 市, 区, then the street lines),
    each part once: senders often repeat the province and city at the start of the street line, and the
    municipalities send the same name as province and city (北京市 北京市). Any other address is written
    "street, other, city, state zip".
    """
    lines = [line.strip() for line in lines if line and line.strip()]
    state, city, district = state.strip(), city.strip(), district.strip()
    if _CJK.search("".join([state, city, district, *lines])):
        street = "".join(lines)
        said = ""
        for part in (state, city, district):
            if part and part not in said and part not in street:
                said += part
        text = said + street
    else:
        region = " ".join(part for part in (state, postal_code.strip()) if part)
        text = ", ".join(part for part in (*lines, city, region) if part)
    return text[:ADDRESS_LENGTH]
