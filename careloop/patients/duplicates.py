"""Probable duplicates among patients (sameperson.probable_reasons): those already registered who are
probably the person being registered, and every probable pair of an organization's registry.

Found by indexed lookups and by groups sharing a blocking key (name pinyin with the birth date or the
mobile), never by comparing every pair.
"""

import datetime
from collections.abc import Iterator
from itertools import groupby
from operator import itemgetter
from typing import Any, NamedTuple

from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from careloop.bulkinsert import column_name, concrete_field
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
    registry = Patient.objects.filter(organization_id=organization_id, merged_into__isnull=True)
    found = registry.filter(near).exclude(pk=new.pk)
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
# ever compared. Each reason of sameperson.probable_reasons needs names alike, and so one pinyin: a family
# sharing a mobile is never a group.
_BLOCKS = ((("birth_date", "name_pinyin"), "name_pinyin"), (("mobile_index", "name_pinyin"), "mobile_index"))
Member = tuple[int, sameperson.Registrant]
_STRENGTH = {reason: rank for rank, reason in enumerate(sameperson.REASONS)}


class Pair(NamedTuple):
    first_id: int
    second_id: int
    reasons: list[str]  # sameperson reasons, strongest first


def probable_pairs(organization_id: int) -> list[Pair]:
    """Every pair of the organization's patients who are probably one person, strongest first.

    Set-based: the database finds the blocking keys shared by 2 to GROUP_LIMIT patients and returns those
    patients grouped by key; only the people of a group are compared, pair by pair.
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
    quote = connection.ops.quote_name
    table = quote(Patient._meta.db_table)
    key = [_column(name) for name in block]
    columns = ", ".join(f"p.{_column(name)}" for name in _COLUMNS)
    organization, merged_into = _column("organization"), _column("merged_into")
    # The keys shared by 2 to GROUP_LIMIT patients, joined back to their patients: two scans and a hash
    # join, where a window over every patient or a subquery per patient would cost far more. A record
    # merged into another (a redirect, its mobile cleared) is left out of the pairs only, so that the key
    # scan still reads the index alone; a group counts it towards GROUP_LIMIT.
    sql = (
        f"SELECT {columns} FROM {table} p JOIN ("  # noqa: S608 -- names from the model, values as parameters
        f"SELECT {', '.join(key)} FROM {table} WHERE {organization} = %s AND {quote(required)} <> '' "
        f"GROUP BY {', '.join(key)} HAVING COUNT(*) BETWEEN 2 AND %s"
        f") g ON {' AND '.join(f'g.{column} = p.{column}' for column in key)} "
        f"WHERE p.{organization} = %s AND p.{merged_into} IS NULL "
        f"ORDER BY {', '.join(f'p.{column}' for column in key)}, p.id"
    )
    key_of = itemgetter(*(_COLUMNS.index(name) for name in block))
    with connection.cursor() as cursor:
        cursor.execute(sql, [organization_id, GROUP_LIMIT, organization_id])
        for _key, members in groupby(_rows(cursor), key=key_of):
            yield [(row[0], sameperson.Registrant(*row[1:])) for row in members]


def _column(name: str) -> str:
    return connection.ops.quote_name(column_name(concrete_field(Patient, name)))


def _rows(cursor: CursorWrapper) -> Iterator[tuple[Any, ...]]:
    while batch := cursor.fetchmany(5000):
        for pid, name, pinyin, sex, birth, mobile in batch:
            # SQLite answers a date as its text to a cursor.
            born = datetime.date.fromisoformat(birth) if isinstance(birth, str) else birth
            yield pid, name, pinyin, sex, born, mobile


_COLUMNS = ("id", "name", "name_pinyin", "sex", "birth_date", "mobile_index")
