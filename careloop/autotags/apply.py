"""Put each enabled rule's tag on the patients it matches, and take it off those it no longer matches.

Set-based: per rule, one query finds the patients to tag (the rule compiled to SQL by
`careloop.facts.compile.matching`, less those who already have the tag from any source), one DELETE takes
the rule's own tags off the patients who left the match, and the facts the rule read are recorded on each
new tag (`PatientTag.matched`) from `careloop.facts.snapshots`, a fixed number of queries per chunk of
patients. Running it twice adds and removes nothing the second time.

Only tags with source="rule" and rule=<the rule's key> are ever removed: a tag staff added by hand or an
import brought stays, whatever the rules say.

Who is tagged: the organization's living patients whose record was not merged into another. A merged-away
record is no longer a patient anyone follows (its survivor is), and a deceased patient is no longer to be
followed up, so both lose the tags rules gave them; their manual and imported tags are kept as history.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import batched

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from careloop.accounts import audit
from careloop.autotags.models import TagRule
from careloop.facts.compile import matching
from careloop.facts.snapshots import snapshot_for
from careloop.patients.models import Patient, PatientTag
from careloop.rules import Call, Expr, Fact, Value, facts_read, format
from careloop.rules.facts import Snapshot

CHUNK = 2000  # new tags whose matched facts are read and written together


@dataclass(frozen=True)
class Applied:
    added: int = 0
    removed: int = 0


def tagged_population(
    rule: Expr, organization_id: int, today: datetime.date | None = None
) -> QuerySet[Patient]:
    """The patients the rule tags: those it matches, living and not merged away (see the module)."""
    return matching(rule, organization_id, today).filter(deceased_on__isnull=True)


def apply_tag_rules(
    organization_id: int,
    patient_ids: Iterable[int] | None = None,
    *,
    rules: Iterable[TagRule] | None = None,
    today: datetime.date | None = None,
    progress: Callable[[str, Applied], None] | None = None,
) -> dict[str, Applied]:
    """Apply the organization's enabled rules (or `rules`) to all its patients (or those of `patient_ids`).

    `progress(key, applied)` is called as each rule is done. Returns what each rule added and removed, by
    key; writes one audit entry for the run when it changed something (every rule's counts in it), none
    for a patient."""
    chosen = list(
        rules
        if rules is not None
        else TagRule.objects.filter(organization_id=organization_id, enabled=True).select_related("tag")
    )
    if not chosen:
        return {}
    ids = None if patient_ids is None else sorted(set(patient_ids))
    found = {}
    for rule in chosen:
        if rule.organization_id != organization_id:
            raise ValueError("a tag rule applies to its own organization's patients only")
        found[rule.key] = _apply_rule(rule, ids, today)
        if progress:
            progress(rule.key, found[rule.key])
    if not any(done.added or done.removed for done in found.values()):
        return found  # as the sweep: a run that finds everything in place leaves no entry
    audit.record(
        "tag_rule.apply",
        organization_id=organization_id,
        detail={
            "patients": "all" if ids is None else len(ids),
            "rules": {key: {"added": done.added, "removed": done.removed} for key, done in found.items()},
        },
    )
    return found


@transaction.atomic
def _apply_rule(rule: TagRule, ids: list[int] | None, today: datetime.date | None) -> Applied:
    parsed = rule.rule
    matches = tagged_population(parsed, rule.organization_id, today)
    mine = PatientTag.objects.filter(tag_id=rule.tag_id, source="rule", rule=rule.key)
    if ids is not None:
        matches = matches.filter(pk__in=ids)
        mine = mine.filter(patient_id__in=ids)
    removed, _ = mine.exclude(patient_id__in=matches.values("pk")).delete()
    already = PatientTag.objects.filter(tag_id=rule.tag_id).values("patient_id")
    new = list(matches.exclude(pk__in=already).order_by("pk").values_list("pk", flat=True))
    now = timezone.now()
    read = sorted(facts_read(parsed), key=format)
    for chunk in batched(new, CHUNK):
        snapshots = snapshot_for(Patient.objects.filter(pk__in=chunk), today)
        PatientTag.objects.bulk_create(
            [
                PatientTag(
                    patient_id=patient_id,
                    tag_id=rule.tag_id,
                    source="rule",
                    rule=rule.key,
                    matched=matched_facts(read, snapshots[patient_id]),
                    added_at=now,
                )
                for patient_id in chunk
            ],
            ignore_conflicts=True,  # (patient, tag) is unique: a tag added meanwhile is kept as it is
        )
    TagRule.objects.filter(pk=rule.pk).update(last_applied_at=now)
    return Applied(added=len(new), removed=removed)


def matched_facts(read: Iterable[Fact], facts: Snapshot) -> dict[str, Value]:
    """The values of the facts a rule reads, for one patient, written as the rule writes them
    (`{'latest("8480-6")': 152.0, "age": 67}`); facts the patient lacks, or that are false, are left out:
    an `or` of diagnoses lists the one the patient has."""
    values: dict[str, Value] = {}
    for fact in read:
        if isinstance(fact, Call):
            value = facts.call(fact.name, tuple(arg.value for arg in fact.args))
        else:
            value = facts.field(fact.name)
        if value is not None and value is not False:
            values[format(fact)] = value
    return values


def disable_rule_tags(rule: TagRule) -> int:
    """Take the rule's tags off every patient (the rule was switched off); manual and imported stay."""
    removed, _ = PatientTag.objects.filter(tag_id=rule.tag_id, source="rule", rule=rule.key).delete()
    return removed
