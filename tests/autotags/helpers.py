"""Patients with the facts a tag rule reads, written straight to the fact tables."""

import datetime

from django.utils import timezone

from careloop.autotags.models import TagRule
from careloop.facts.models import LatestIndicator
from careloop.patients.models import Patient, Tag

SBP = "8480-6"
TODAY = datetime.date(2026, 12, 7)


def person(org, name="患者", born=datetime.date(1960, 1, 1), sbp=None, **fields) -> Patient:
    patient = Patient.objects.create(organization=org, name=name, sex="male", birth_date=born, **fields)
    if sbp is not None:
        reading(patient, sbp)
    return patient


def reading(patient: Patient, sbp: float) -> None:
    LatestIndicator.objects.update_or_create(
        patient=patient,
        code=SBP,
        defaults={
            "organization": patient.organization,
            "value": sbp,
            "observed_at": timezone.now() - datetime.timedelta(days=3),
            "changed_at": timezone.now(),
        },
    )


def tag_rule(org, text=f'latest("{SBP}") >= 140', key="raised-bp", tag="血压高", enabled=True) -> TagRule:
    tag_row, _ = Tag.objects.get_or_create(organization=org, name=tag)
    return TagRule.objects.create(organization=org, tag=tag_row, key=key, text=text, enabled=enabled)
