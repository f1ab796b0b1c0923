"""Patients already registered who are probably the person being registered (sameperson.probable_reasons).

Found by indexed lookups of the organization's patients (same name or name pinyin on the same birth
date, same mobile), never by comparing every pair.
"""

from typing import NamedTuple

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from careloop.patients import sameperson
from careloop.patients.models import Patient

# Shown to the clerk; a few at most are ever shown.
CANDIDATES_SHOWN = 10
REASON_LABELS: dict[str, Promise] = {
    sameperson.SAME_NAME_AND_BIRTH: _("Same name and birth date"),
    sameperson.SOUNDS_ALIKE_AND_BIRTH: _("Name sounds the same, same birth date"),
    sameperson.SAME_MOBILE_AND_NAME: _("Same mobile and name"),
}


class Candidate(NamedTuple):
    patient: Patient
    reasons: list[Promise]


def registrant(patient: Patient) -> sameperson.Registrant:
    """`patient` (saved or not, its derived fields filled: identity.fill_derived_fields) as sameperson
    compares it."""
    return sameperson.Registrant(
        patient.name, patient.name_pinyin, patient.sex, patient.birth_date, patient.mobile_index
    )


def probable_duplicates(organization_id: int, new: Patient) -> list[Candidate]:
    """The organization's patients who are probably `new` (its derived fields filled), with why."""
    near = Q(mobile_index=new.mobile_index) if new.mobile_index else Q(pk__in=[])
    if new.birth_date is not None:
        near |= Q(birth_date=new.birth_date, name=new.name)
        if new.name_pinyin:
            near |= Q(birth_date=new.birth_date, name_pinyin=new.name_pinyin)
    found = Patient.objects.filter(organization_id=organization_id).filter(near).exclude(pk=new.pk)
    wanted = registrant(new)
    candidates = []
    for patient in found.order_by("id")[: CANDIDATES_SHOWN * 5]:
        reasons = sameperson.probable_reasons(wanted, registrant(patient))
        if reasons:
            candidates.append(Candidate(patient, [REASON_LABELS[reason] for reason in reasons]))
    return candidates[:CANDIDATES_SHOWN]
