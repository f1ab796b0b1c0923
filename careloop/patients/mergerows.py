"""The rows of every app that point at a patient, and moving them between two records of one person
(merging.py). Set-based: a few queries per kind of row, whatever the number of rows.

A row moves unless the surviving record's unique constraints would refuse it there (a second active
card, the same tag twice, a second lifestyle assessment, a visit already filed under the same source
key), or it links the two records to each other (a family link between them): such a row stays where it
is, and the merge names it as kept.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.apps import apps
from django.db import connection, models
from django.db.models.fields.reverse_related import ManyToOneRel

from careloop.patients.models import Patient, PatientMerge


@dataclass(frozen=True)
class PatientLink:
    """One foreign key to Patient: `label` ("app_label.Model.field") names it in a merge's record."""

    model: type[models.Model]
    field: models.ForeignKey[Patient, Patient]

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.field.name}"

    def rows_of(self, patient_id: int) -> models.QuerySet[models.Model]:
        # The base manager: a default manager that hides some rows would leave them behind.
        return self.model._base_manager.filter(**{self.field.attname: patient_id})


def patient_links() -> list[PatientLink]:
    """Every foreign key (and one-to-one) to Patient in every installed app, but the merge's own."""
    merged_into = Patient._meta.get_field("merged_into")
    return [
        PatientLink(relation.related_model, relation.field)
        for relation in Patient._meta.get_fields(include_hidden=True)
        if isinstance(relation, ManyToOneRel)
        and relation.field is not merged_into
        and relation.related_model is not PatientMerge
    ]


def link_named(label: str) -> PatientLink:
    app_label, model_name, field_name = label.split(".")
    model = apps.get_model(app_label, model_name)
    field = model._meta.get_field(field_name)
    assert isinstance(field, models.ForeignKey)
    return PatientLink(model, field)


def split_rows(link: PatientLink, survivor_id: int, merged_id: int) -> tuple[list[int], list[int]]:
    """The merged record's rows through `link`: (those that move to the survivor, those that stay)."""
    rows = list(link.rows_of(merged_id).order_by("pk").values_list("pk", flat=True))
    if not rows:
        return [], []
    staying = _between_the_two(link, survivor_id, merged_id)
    for fields, condition in _unique_sets(link):
        staying |= _clashing(link, fields, condition, survivor_id, merged_id)
    return [pk for pk in rows if pk not in staying], [pk for pk in rows if pk in staying]


def move_rows(link: PatientLink, pks: Sequence[int], from_id: int, to_id: int) -> int:
    """Point the rows `pks` that still point at `from_id` at `to_id`; how many did."""
    moved = 0
    for part in _slices(pks):
        moved += link.rows_of(from_id).filter(pk__in=part).update(**{link.field.attname: to_id})
    return moved


def _between_the_two(link: PatientLink, survivor_id: int, merged_id: int) -> set[int]:
    """Rows whose other reference to a patient names one of the two: moved, they would link the survivor
    to itself."""
    others = [
        field.attname
        for field in link.model._meta.concrete_fields
        if isinstance(field, models.ForeignKey) and field.related_model is Patient and field is not link.field
    ]
    staying: set[int] = set()
    for attname in others:
        rows = link.rows_of(merged_id).filter(**{f"{attname}__in": [survivor_id, merged_id]})
        staying.update(rows.values_list("pk", flat=True))
    return staying


def _unique_sets(link: PatientLink) -> Iterator[tuple[list[str], models.Q | None]]:
    """The other fields of each unique set that holds the link's field, with the set's condition."""
    name = link.field.name
    if link.field.unique:
        yield [], None
    for constraint in link.model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and name in constraint.fields:
            yield [field for field in constraint.fields if field != name], constraint.condition
    for together in link.model._meta.unique_together:
        if name in together:
            yield [field for field in together if field != name], None


def _clashing(
    link: PatientLink, fields: list[str], condition: models.Q | None, survivor_id: int, merged_id: int
) -> set[int]:
    """The merged record's rows that the survivor's rows would refuse under one unique set."""
    held, candidates = link.rows_of(survivor_id), link.rows_of(merged_id)
    if condition is not None:
        held, candidates = held.filter(condition), candidates.filter(condition)
    if not fields:
        return set(candidates.values_list("pk", flat=True)) if held.exists() else set()
    taken = set(held.values_list(*fields))
    return {
        pk
        for pk, *key in candidates.values_list("pk", *fields)
        # NULLs never clash in a unique index, as in SQL.
        if tuple(key) in taken and None not in key
    }


def _slices(pks: Sequence[int]) -> Iterator[Sequence[int]]:
    """`pks` in parts that fit one statement's parameters (SQLite caps them; PostgreSQL does not)."""
    size = max((connection.features.max_query_params or len(pks) or 1) - 10, 1)
    for start in range(0, len(pks), size):
        yield pks[start : start + size]
