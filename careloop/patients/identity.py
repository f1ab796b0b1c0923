"""Derived, searchable columns of a patient: blind indexes, last four digits, pinyin."""

from careloop.encryption import cipher
from careloop.fieldcrypto import Undecryptable
from careloop.patients.idcard import normalize_mobile, normalize_resident_id
from careloop.patients.models import Patient
from careloop.patients.pinyin import full_pinyin, initials


def id_number_index(number: str) -> str:
    return cipher().blind_index(normalize_resident_id(number))


def mobile_index(number: str) -> str:
    return cipher().blind_index(normalize_mobile(number))


def fill_derived_fields(patient: Patient) -> None:
    patient.name_initials = initials(patient.name)[:30]
    patient.name_pinyin = full_pinyin(patient.name)[:200]
    # A value no key decrypts keeps the columns derived from it when it was readable.
    if not isinstance(patient.id_number, Undecryptable):
        patient.id_number_index = id_number_index(patient.id_number) if patient.id_number else ""
    if not isinstance(patient.mobile, Undecryptable):
        patient.mobile_index = mobile_index(patient.mobile) if patient.mobile else ""
        patient.mobile_last4 = normalize_mobile(patient.mobile)[-4:] if patient.mobile else ""
