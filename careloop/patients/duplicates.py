"""Probable duplicates among patients (sameperson.probable_reasons): those already registered who are
probably the person being registered, and every probable pair of an organization's registry.

Found by indexed lookups and by groups sharing a blocking key (name pinyin and birth date, mobile), never
by comparing every pair.
"""

from collections.abc import Iterator
from itertools import groupby
from operator import itemgetter
from typing import NamedTuple

from django.db.models import Count, F, Q, Window
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


# A key shared by more people than this (a clinic's placeholder mobile, a twins' ward) says nothing of
# any pair in it: its group is left out rather than paired n x n.
GROUP_LIMIT = 20
# The blocking keys, each with its text field that must not be empty: only patients sharing a key are
# ever compared.
_BLOCKS = ((("birth_date", "name_pinyin"), "name_pinyin"), (("mobile_index",), "mobile_index"))
Member = tuple[int, sameperson.Registrant]
_STRENGTH = {reason: rank for rank, reason in enumerate(REASON_LABELS)}


class Pair(NamedTuple):
    first_id: int
    second_id: int
    reasons: list[str]  # sameperson reasons, strongest first


def probable_pairs(organization_id: int) -> list[Pair]:
    """Every pair of the organization's patients who are probably one person, strongest first.

    Set-based: the database sorts the patients into groups sharing a blocking key (a window count keeps
    only groups of 2 to GROUP_LIMIT), and only the people of a group are compared, pair by pair.
    """
    found: dict[tuple[int, int], set[str]] = {}
    for block, required in _BLOCKS:
        for group in _groups(organization_id, block, required):
            for position, first in enumerate(group):
                for second in group[position + 1 :]:
                    reasons = sameperson.probable_reasons(first[1], second[1])
                    if reasons:
                        found.setdefault((first[0], second[0]), set()).update(reasons)
    pairs = [Pair(a, b, sorted(reasons, key=_STRENGTH.__getitem__)) for (a, b), reasons in found.items()]
    pairs.sort(key=lambda pair: (_STRENGTH[pair.reasons[0]], -len(pair.reasons), pair.first_id))
    return pairs


def _groups(organization_id: int, block: tuple[str, ...], required: str) -> Iterator[list[Member]]:
    """The organization's patients sharing `block`'s fields, a group at a time, in id order within it."""
    patients = Patient.objects.filter(organization_id=organization_id).exclude(**{required: ""})
    sized = patients.annotate(size=Window(Count("id"), partition_by=[F(name) for name in block]))
    rows = sized.filter(size__gt=1, size__lte=GROUP_LIMIT).order_by(*block, "id").values_list(*_COLUMNS)
    key_of = itemgetter(*(_COLUMNS.index(name) for name in block))
    for _key, members in groupby(rows.iterator(chunk_size=5000), key=key_of):
        yield [(row[0], sameperson.Registrant(*row[1:])) for row in members]


_COLUMNS = ("id", "name", "name_pinyin", "sex", "birth_date", "mobile_index")
