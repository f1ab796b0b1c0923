"""Which identifiers of a FHIR Patient (or a reference's `identifier`) are the resident ID, which an MRN.

The resident ID (居民身份证号, GB 11643-1999) is recognised three ways, because senders label it three ways:
- its identifier system is a known one: urn:oid:2.16.156.10011.1.3 (the resident ID card in the
  2.16.156.10011 OID arc of China's health information standards, as used by Chinese FHIR/CDA profiles;
  taken from the project's issue brief, not re-verified against the OID registry here);
- its type is coded "NI" (national unique individual identifier) or "NNCHN" (national person identifier
  of China), both from HL7 v2 table 0203, which FHIR's identifier-type value set reuses;
- or, with any other system, its value has the resident ID shape and a correct GB 11643 check character
  (the check keeps an 18-digit MRN from being taken for an ID number).
Every other identifier with a value is a candidate MRN; one typed "MR" wins over the first one.
A Patient with no identifier at all is the MRN <its id> in the source system, which is what a bare
"Patient/<id>" reference means too (references.py), so the two meet in matching.

`person_record` reads the rest of what a Patient says of the person (mobile, address, contacts) into a
PersonRecord; what its codes mean in our terms is decided in `sources.people`, shared with HL7 v2.
"""

import datetime
import re
from collections.abc import Iterable, Sequence
from typing import Any

from careloop.observations.importing.parsed import ContactRecord, PatientRef, PersonRecord, because
from careloop.observations.sources.fhir.dates import BadDate, parse_date, parse_datetime
from careloop.observations.sources.fhir.fields import FieldProblem
from careloop.observations.sources.people import ADDRESS_LENGTH, address_line, choose_mobile, relationship
from careloop.patients.idcard import check_character

RESIDENT_ID_SYSTEMS = frozenset({"urn:oid:2.16.156.10011.1.3"})
RESIDENT_ID_TYPES = frozenset({"NI", "NNCHN"})
SEXES = ("", "male", "female", "other", "unknown")  # FHIR AdministrativeGender, or not sent
_SHAPE = re.compile(r"[1-9][0-9]{16}[0-9Xx]")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def looks_like_resident_id(value: str) -> bool:
    return (
        len(value) == 18
        and _SHAPE.fullmatch(value) is not None
        and check_character(value[:17]) == value[17].upper()
    )


def _type_codes(identifier: dict[str, Any]) -> set[str]:
    kind = identifier.get("type")
    if not kind:
        return set()
    return {coding.get("code") for coding in kind.get("coding") or ()}


def ref_from_identifiers(
    identifiers: Iterable[dict[str, Any]], default_system: str, fallback_id: str = "", **demographics: Any
) -> PatientRef:
    """A PatientRef from FHIR Identifiers; with none usable, the resource id is the MRN in default_system."""
    id_number = mrn = mrn_system = ""
    mrn_typed = False
    for identifier in identifiers:
        value = identifier.get("value")
        if not value or type(value) is not str:
            continue
        codes = _type_codes(identifier)
        system = identifier.get("system") or ""
        if not id_number and (
            system in RESIDENT_ID_SYSTEMS or codes & RESIDENT_ID_TYPES or looks_like_resident_id(value)
        ):
            id_number = value
        elif not mrn or ("MR" in codes and not mrn_typed):
            mrn, mrn_system, mrn_typed = value, system or default_system, "MR" in codes
    if not mrn and fallback_id:
        # The resource id is then the MRN: what "Patient/<id>" means to an Observation read before it.
        mrn, mrn_system = fallback_id, default_system
    return PatientRef(id_number=id_number, mrn=mrn, mrn_system=mrn_system, **demographics)


def person_name(names: Sequence[dict[str, Any]]) -> str:
    """name[0].text, else family and given joined: no space for Chinese names (张三), one otherwise."""
    if not names:
        return ""
    name = names[0]
    text: str | None = name.get("text")
    if text:
        return text
    family = name.get("family") or ""
    given = [part for part in name.get("given") or () if part]
    if _CJK.search(family) or any(_CJK.search(part) for part in given):
        return family + "".join(given)
    return " ".join([*given, family]).strip()


def patient_ref(resource: dict[str, Any], system: str, contained: bool = False) -> PatientRef:
    """A Patient resource as a PatientRef (identifiers, name, birth date, sex); FieldProblem if one is wrong.

    A contained Patient's id means nothing outside its container, so it never becomes the MRN.
    """
    birth = None
    if resource.get("birthDate") is not None:
        try:
            birth = parse_date(resource["birthDate"])
        except BadDate as error:
            raise FieldProblem("birthDate", resource["birthDate"], error.reason) from None
    sex = resource.get("gender") or ""
    if sex not in SEXES:
        raise FieldProblem("gender", sex, because("must be male, female, other or unknown"))
    return ref_from_identifiers(
        resource.get("identifier") or (),
        system,
        "" if contained else resource.get("id") or "",
        name=person_name(resource.get("name") or ()),
        birth_date=birth,
        sex=sex,
    )


def person_record(
    resource: dict[str, Any], ref: PatientRef, system: str, where: str, tz: datetime.tzinfo
) -> PersonRecord:
    """A Patient as a PersonRecord, sent at its meta.lastUpdated; FieldProblem if that is not a time."""
    sent_at = None
    updated = (resource.get("meta") or {}).get("lastUpdated")
    if updated is not None:
        try:
            sent_at = parse_datetime(updated, tz)
        except BadDate as error:
            raise FieldProblem("meta.lastUpdated", updated, error.reason) from None
    contacts = (contact_record(contact) for contact in resource.get("contact") or ())
    return PersonRecord(
        patient=ref,
        event="Patient",
        source_system=system,
        source_id=resource.get("id") or "",
        sent_at=sent_at,
        mobile=telecom_mobile(resource.get("telecom") or ()),
        address=address_text(resource.get("address") or ()),
        contacts=tuple(contact for contact in contacts if contact is not None),
        location=where,
    )


def contact_record(contact: dict[str, Any]) -> ContactRecord | None:
    """A Patient.contact as a ContactRecord; None for one without a name (an organization)."""
    name = person_name([contact["name"]]) if contact.get("name") else ""
    if not name:
        return None
    codes = [
        coding.get("code") or ""
        for concept in contact.get("relationship") or ()
        for coding in concept.get("coding") or ()
    ]
    return ContactRecord(
        name=name, relationship=relationship(codes), mobile=telecom_mobile(contact.get("telecom") or ())
    )


def telecom_mobile(telecom: Iterable[dict[str, Any]]) -> str:
    """The mainland mobile among ContactPoints of system "phone": of use "mobile" first, else the first."""
    return choose_mobile(
        (point["value"], point.get("use") == "mobile")
        for point in telecom
        if point.get("system") == "phone" and type(point.get("value")) is str
    )


def address_text(addresses: Sequence[dict[str, Any]]) -> str:
    """The home address (use "home") or the first, as one line: its `text` when sent, else its parts."""
    if not addresses:
        return ""
    address = next((a for a in addresses if a.get("use") == "home"), addresses[0])
    if address.get("text"):
        text: str = address["text"].strip()
        return text[:ADDRESS_LENGTH]
    return address_line(
        state=address.get("state") or "",
        city=address.get("city") or "",
        district=address.get("district") or "",
        lines=address.get("line") or (),
        postal_code=address.get("postalCode") or "",
    )
