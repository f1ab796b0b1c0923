"""Writing synthetic patients (careloop/patients/synthetic.py) into an organization, a batch at a time.

Set-based: each batch of patients is one bulk INSERT per table, never a save() per row. Derived search
columns come from `identity.fill_derived_fields`, and identifiers are encrypted by `EncryptedTextField`
on the way in, exactly as for a patient registered through the web page.
"""

import itertools
import operator
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import F

from careloop.accounts.models import Department, Organization, User
from careloop.accounts.roles import Role
from careloop.bulkinsert import RowInserter
from careloop.patients import synthetic, tag_actions
from careloop.patients.cardnumbers import card_number
from careloop.patients.identity import fill_derived_fields
from careloop.patients.membership.actions import CARD_SEQUENCE
from careloop.patients.models import (
    Allergy,
    CardSequence,
    Condition,
    Encounter,
    FamilyHistory,
    Lifestyle,
    Medication,
    MembershipCard,
    Patient,
    PatientTag,
    Tag,
)

# Sections of a generated row that are lists of rows of one model.
SECTION_MODELS = {
    "medications": Medication,
    "allergies": Allergy,
    "family_history": FamilyHistory,
    "encounters": Encounter,
}
# Doctors made for an organization that has fewer than two: (display name, department).
SEED_DOCTORS = [("陈志明", "全科"), ("林慧", "内分泌科")]
TAG_COLOURS = {
    "高血压": "#dc2626", "糖尿病": "#d97706", "高脂血症": "#ca8a04", "冠心病": "#b91c1c", "脑卒中": "#7c3aed",
    "慢阻肺": "#0891b2", "慢性肾病": "#0d9488", "脂肪肝": "#65a30d", "痛风": "#9333ea", "高龄": "#475569",
    "家庭医生签约": "#2563eb", "独居老人": "#db2777",
}  # fmt: skip


def prepare_organization(code: str, name: str) -> tuple[Organization, bool]:
    """The organization with this code, made if missing, with the clinic's departments and two doctors."""
    organization, created = Organization.objects.get_or_create(code=code, defaults={"name": name})
    have = set(organization.departments.values_list("name", flat=True))
    Department.objects.bulk_create(
        [Department(organization=organization, name=d) for d in synthetic.DEPARTMENTS if d not in have]
    )
    departments = {d.name: d for d in organization.departments.all()}
    doctors = User.objects.filter(organization=organization, role=Role.DOCTOR).count()
    for index, (display_name, department) in enumerate(SEED_DOCTORS[doctors:], start=doctors + 1):
        username = f"{code}-doctor{index}"
        while User.objects.filter(username=username).exists():
            username += "x"
        doctor = User(
            username=username,
            organization=organization,
            department=departments[department],
            role=Role.DOCTOR,
            display_name=display_name,
        )
        doctor.set_unusable_password()
        doctor.save()
    return organization, created


class Seeder:
    """Writes generated rows into one organization; `counts` says how many rows went into each table."""

    def __init__(self, organization: Organization, skip_existing: bool = False):
        self.organization = organization
        self.skip_existing = skip_existing
        self.departments = {d.name: d.pk for d in organization.departments.all()}
        self.doctors = list(
            User.objects.filter(organization=organization, role=Role.DOCTOR, is_active=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        self.tags = dict(Tag.objects.filter(organization=organization).values_list("name", "pk"))
        self.counts: Counter[str] = Counter()
        self._assigned = 0
        # One inserter per section of the record, whose columns are the fields synthetic.generate() gives.
        self.tables = {
            section: RowInserter(model, ["patient_id", *synthetic.RECORD_FIELDS[section]])
            for section, model in SECTION_MODELS.items()
        }
        self.values = {
            section: operator.itemgetter(*synthetic.RECORD_FIELDS[section]) for section in SECTION_MODELS
        }
        self.conditions = RowInserter(
            Condition, ["patient_id", "recorded_at", *synthetic.RECORD_FIELDS["conditions"]]
        )
        self.tags_inserter = RowInserter(PatientTag, ["patient_id", "tag_id", "source", "added_at"])
        self.lifestyles = RowInserter(Lifestyle, ["patient_id", *synthetic.RECORD_FIELDS["lifestyle"]])
        self.lifestyle_values = operator.itemgetter(*synthetic.RECORD_FIELDS["lifestyle"])

    def write(
        self,
        rows: Iterable[dict[str, Any]],
        batch_size: int = 2000,
        progress: Callable[[int], Any] | None = None,
    ) -> Counter[str]:
        for batch in itertools.batched(rows, batch_size):
            self.write_batch(list(batch))
            if progress:
                progress(len(batch))
        return self.counts

    def write_batch(self, batch: list[dict[str, Any]]) -> None:
        patients = [self._patient(row) for row in batch]
        if self.skip_existing:
            batch, patients = self._without_existing(batch, patients)
            if not patients:
                return
        Patient.objects.bulk_create(patients)
        self.counts["patients"] += len(patients)
        self._ensure_tags({name for row in batch for name, _ in row["tags"]})
        condition_values = operator.itemgetter(*synthetic.RECORD_FIELDS["conditions"])
        for patient, row in zip(patients, batch, strict=True):
            pid, registered = patient.pk, patient.created_at
            for section, inserter in self.tables.items():
                values = self.values[section]
                inserter.extend((pid, *values(item)) for item in row[section])
            self.lifestyles.add((pid, *self.lifestyle_values(row["lifestyle"])))
            self.conditions.extend((pid, registered, *condition_values(item)) for item in row["conditions"])
            self.tags_inserter.extend(
                (pid, self.tags[name], source, registered) for name, source in row["tags"]
            )
        for inserter in [*self.tables.values(), self.lifestyles, self.conditions, self.tags_inserter]:
            # The class name in lower case, which is what _meta.model_name holds (typed optional there).
            self.counts[inserter.model.__name__.lower()] += inserter.flush()
        self._issue_cards([(p, row["card"]) for p, row in zip(patients, batch, strict=True) if row["card"]])

    def _patient(self, row: dict[str, Any]) -> Patient:
        fields = dict(row["patient"])
        registered = fields.pop("registered_at")
        patient = Patient(
            organization=self.organization,
            created_at=registered,
            department_id=self.departments.get(row["department"]),
            responsible_doctor_id=self.doctors[self._assigned % len(self.doctors)] if self.doctors else None,
            **fields,
        )
        self._assigned += 1
        fill_derived_fields(patient)
        return patient

    def _without_existing(
        self, batch: list[dict[str, Any]], patients: list[Patient]
    ) -> tuple[list[dict[str, Any]], list[Patient]]:
        """Leaves out patients whose ID number the organization has: one seed appended twice adds nothing."""
        indexes = [p.id_number_index for p in patients if p.id_number_index]
        existing = set(
            Patient.objects.filter(organization=self.organization, id_number_index__in=indexes).values_list(
                "id_number_index", flat=True
            )
        )
        kept = [(row, p) for row, p in zip(batch, patients, strict=True) if p.id_number_index not in existing]
        self.counts["skipped"] += len(patients) - len(kept)
        return [row for row, _ in kept], [p for _, p in kept]

    def _ensure_tags(self, names: set[str]) -> None:
        missing = sorted(names - self.tags.keys())
        if missing:
            tag_actions.do_create_seeded_tags(
                self.organization.pk,
                [
                    Tag(organization=self.organization, name=name, color=TAG_COLOURS.get(name, "#2563eb"))
                    for name in missing
                ],
            )
            self.tags = dict(Tag.objects.filter(organization=self.organization).values_list("name", "pk"))

    def _issue_cards(self, carded: list[tuple[Patient, dict[str, Any]]]) -> None:
        if not carded:
            return
        sequences = reserve_card_sequences(len(carded))
        MembershipCard.objects.bulk_create(
            [
                MembershipCard(
                    organization=self.organization,
                    patient_id=patient.pk,
                    number=card_number(sequence),
                    tier=card["tier"],
                    issued_on=card["issued_on"],
                    status_changed_at=patient.created_at,
                )
                for sequence, (patient, card) in zip(sequences, carded, strict=True)
            ]
        )
        self.counts["membershipcard"] += len(carded)


def reserve_card_sequences(count: int) -> range:
    """`count` consecutive card sequence numbers, taken from the same row that issuing a card at the desk
    draws from (careloop.patients.membership.actions), so cards issued later never collide with these."""
    CardSequence.objects.get_or_create(name=CARD_SEQUENCE)
    row = CardSequence.objects.select_for_update().get(name=CARD_SEQUENCE)
    CardSequence.objects.filter(name=CARD_SEQUENCE).update(next_value=F("next_value") + count)
    return range(row.next_value, row.next_value + count)
