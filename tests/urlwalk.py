"""Every URL of the project, read from the resolver, with its parameters filled by real objects.

Tests that must cover every page (the cross-organization matrix, the audit of patient reads) walk
`url_cases()`: a page added later is covered without editing them. Each URL parameter is filled by a
value provider from `PROVIDERS`, keyed by the parameter's name; a parameter without one fails
`test_every_url_parameter_has_a_value_provider` with a message that says to add one here.

An organization's objects (`World`) are made by `populate`: one of everything a URL can name.
"""

import datetime
import io
import itertools
import re
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from django.utils import timezone

from careloop.accounts.models import Department, Organization, User
from careloop.alerts.actions import do_raise_alert
from careloop.alerts.models import Alert
from careloop.autotags.models import TagRule
from careloop.followup.actions import do_enrol, do_install_shipped
from careloop.followup.contact_models import ContactRecord, Recording
from careloop.followup.models import Task
from careloop.observations.models import (
    CriticalLimit,
    FeedReview,
    ImportBatch,
    ImportProblem,
    Observation,
    UnmatchedResult,
)
from careloop.patients.cardnumbers import card_number
from careloop.patients.merging import do_merge_patients
from careloop.patients.models import (
    Allergy,
    Condition,
    ConsentEvent,
    Encounter,
    FamilyHistory,
    FamilyLink,
    Lifestyle,
    Medication,
    MembershipCard,
    Patient,
    PatientMerge,
    PatientTag,
    RecordItem,
    Tag,
)
from careloop.patients.patient_tabs import TABS
from careloop.patients.record.sections import SECTIONS
from careloop.patients.views.registry import REVEALABLE
from careloop.questionnaires.actions import do_record_answer
from careloop.questionnaires.instruments import instrument, instrument_json
from careloop.questionnaires.invitations import do_send_links
from careloop.questionnaires.models import (
    Questionnaire,
    QuestionnaireAnswer,
    QuestionnaireInvitation,
    QuestionnaireVersion,
)
from tests.factories import make_patient

# The Django admin is the installation superuser's alone (closed to organization staff): not walked.
# A patient's questionnaire link (q/<token>/) is public by design: the token is the key, whoever holds it,
# and it belongs to no organization's staff (tests/questionnaires/test_links.py covers it).
SKIPPED_PREFIXES = ("admin/", "q/")

CRITICAL_CODE = "2823-3"  # potassium: every world sets its own critical limits for it
_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
_serial = itertools.count(1)


def silence_wav(seconds: float = 0.1, rate: int = 8000) -> bytes:
    """A WAV of silence (16-bit mono): the walk's call recording."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(2 * int(seconds * rate)))
    return buffer.getvalue()


@dataclass
class World:
    """One organization with one of everything a URL can name; `markers` are texts only it has."""

    organization: Organization
    department: Department
    doctor: User
    patient: Patient
    card: MembershipCard
    family_link: FamilyLink
    tag: Tag
    record_items: dict[str, RecordItem]
    batch: ImportBatch
    unmatched: UnmatchedResult
    twin: Patient  # a probable duplicate of `patient`, to merge with it
    merge: PatientMerge  # of two other records
    review: FeedReview  # a feed's change to `patient` held for review
    questionnaire: Questionnaire
    answer: QuestionnaireAnswer  # of `patient`, to `questionnaire`
    invitation: QuestionnaireInvitation  # a link sent to `patient`
    alert: Alert  # about `patient`, assigned to `doctor`
    task: Task  # a follow-up task of `patient`
    contact: ContactRecord  # a call to `patient`
    recording: Recording  # of `contact`: a WAV file, playable as it is
    tag_rule: TagRule  # puts `tag` on patients who have it already
    markers: list[str] = field(default_factory=list)


def staff(organization: Organization | None, role: str, **extra: Any) -> User:
    """A user without a password: hashing with Argon2 hundreds of times would dominate the walk."""
    return User.objects.create(
        username=f"{role}-walk-{next(_serial)}", organization=organization, role=role, **extra
    )


def populate(organization: Organization, mark: str) -> World:
    """One of everything, every name containing `mark`: a text no page shows unless it shows these objects."""
    department = Department.objects.create(organization=organization, name=f"{mark}科")
    doctor = staff(organization, "doctor", display_name=f"{mark}医生")
    patient = make_patient(doctor, name=f"{mark}患者", department=department)
    tag = Tag.objects.create(organization=organization, name=f"{mark}标签")
    PatientTag.objects.create(patient=patient, tag=tag)
    tag_rule = TagRule.objects.create(
        organization=organization, tag=tag, key="walk", text=f'has_tag("{mark}标签")'
    )
    card = MembershipCard.objects.create(
        organization=organization, patient=patient, number=card_number(10_000 + patient.pk)
    )
    family_link = FamilyLink.objects.create(
        patient=patient, related_name=f"{mark}家属", related_mobile="13900001111", relationship="child"
    )
    ConsentEvent.objects.create(patient=patient, purpose="care", granted=True)
    items: list[RecordItem] = [
        Condition.objects.create(patient=patient, icd10_code="I10", name=f"{mark}高血压"),
        Medication.objects.create(patient=patient, name=f"{mark}氨氯地平", dose="5 mg"),
        Allergy.objects.create(patient=patient, substance=f"{mark}青霉素", category="medication"),
        Lifestyle.objects.create(patient=patient),
        FamilyHistory.objects.create(patient=patient, relative="father", condition=f"{mark}卒中"),
        Encounter.objects.create(patient=patient, admitted_at=timezone.now() - datetime.timedelta(days=3)),
    ]
    by_model = {type(item): item for item in items}
    Observation.objects.create(
        organization=organization,
        patient=patient,
        code="1558-6",
        value=6.4,
        unit="mmol/L",
        value_reported="6.4",
        unit_reported="mmol/L",
        flag="high",
        effective_at=timezone.now() - datetime.timedelta(days=30),
        source_kind="hospital_system",
        source_system="walk-lis",
        source_id=f"walk-{patient.pk}",
    )
    batch = ImportBatch.objects.create(
        organization=organization, kind="csv", filename=f"{mark}结果.csv", status="done", started_by=doctor
    )
    ImportProblem.objects.create(batch=batch, location="row 2", code="unit", reason=f"{mark}单位")
    unmatched = UnmatchedResult.objects.create(
        organization=organization, batch=batch, patient_name=f"{mark}未匹配", record={"code": "1558-6"}
    )
    n = next(_serial)
    low, high = round(2.1 + n / 10_000, 4), round(7.6 + n / 10_000, 4)  # limits no other world has
    CriticalLimit.objects.create(organization=organization, code=CRITICAL_CODE, low=low, high=high)
    twin = make_patient(doctor, name=f"{mark}患者", birth_date=patient.birth_date)
    merge = do_merge_patients(
        None, make_patient(doctor, name=f"{mark}留存"), make_patient(doctor, name=f"{mark}并入")
    )
    review = FeedReview.objects.create(
        organization=organization, patient=patient, fields=["address"], sent_values='{"address": "x"}'
    )
    questionnaire = Questionnaire.objects.create(
        organization=organization, key="phq-2", language="zh", title=f"{mark}问卷"
    )
    version = QuestionnaireVersion.objects.create(
        questionnaire=questionnaire, number=1, definition=instrument_json("phq-2", "zh")
    )
    first_options = {
        item.link_id: [item.answer_options[0].value]
        for item in instrument("phq-2", "zh").items
        if item.answer_options
    }
    answer = do_record_answer(doctor, patient, version, first_options)
    [link] = do_send_links(doctor, [patient], version)
    alert, _ = do_raise_alert(
        organization_id=organization.pk,
        patient=patient,
        kind="questionnaire",
        severity="urgent",
        title=f"{mark}预警",
        source_type="questionnaire_answer",
        source_id=str(answer.pk),
        reason="walk",
    )
    protocol = next(p for p in do_install_shipped(organization) if p.key == "hypertension")
    enrolment = do_enrol(None, patient, protocol, datetime.date.today())
    today = datetime.date.today()
    task = Task.objects.create(
        organization=organization, enrolment=enrolment, step="walk", number=0, due=today, opens=today,
        closes=today, channel="phone", content_kind="script", assignee_role="nurse",
    )  # fmt: skip
    contact = ContactRecord.objects.create(
        organization=organization, patient=patient, outcome="reached", note=f"{mark}随访", recorded_by=doctor
    )
    recording = Recording(
        contact=contact,
        original_name=f"{mark}录音.wav",
        media_type="audio/wav",
        size=len(silence_wav()),
        uploaded_by=doctor,
    )
    recording.file.save("walk.wav", ContentFile(silence_wav()), save=True)
    return World(
        organization=organization,
        department=department,
        doctor=doctor,
        patient=patient,
        card=card,
        family_link=family_link,
        tag=tag,
        record_items={name: by_model[section.model] for name, section in SECTIONS.items()},
        batch=batch,
        unmatched=unmatched,
        twin=twin,
        merge=merge,
        review=review,
        questionnaire=questionnaire,
        answer=answer,
        invitation=link.invitation,
        alert=alert,
        task=task,
        contact=contact,
        recording=recording,
        tag_rule=tag_rule,
        markers=[mark, str(low), str(high)],
    )


@dataclass(frozen=True)
class Provider:
    """The values a URL parameter takes: `values(world, chosen)` given the parameters chosen before it.

    `owned` says the value is an object of the world's organization: a URL naming another organization's
    object must answer 403/404, never the object.
    """

    values: Callable[[World, dict[str, str]], list[str]]
    owned: bool


def _item(world: World, chosen: dict[str, str]) -> list[str]:
    # Two kinds of URL name an `item_id`: a health-record row (under a section) and a parked result.
    if "section" in chosen:
        return [str(world.record_items[chosen["section"]].pk)]
    return [str(world.unmatched.pk)]


PROVIDERS: dict[str, Provider] = {
    "patient_id": Provider(lambda w, c: [str(w.patient.pk)], owned=True),
    "tab": Provider(lambda w, c: list(TABS), owned=False),
    "field": Provider(lambda w, c: list(REVEALABLE), owned=False),
    "section": Provider(lambda w, c: list(SECTIONS), owned=False),
    "item_id": Provider(_item, owned=True),
    "card_id": Provider(lambda w, c: [str(w.card.pk)], owned=True),
    "change": Provider(lambda w, c: ["freeze", "unfreeze", "lost"], owned=False),
    "link_id": Provider(lambda w, c: [str(w.family_link.pk)], owned=True),
    "tag_id": Provider(lambda w, c: [str(w.tag.pk)], owned=True),
    "rule_id": Provider(lambda w, c: [str(w.tag_rule.pk)], owned=True),
    "user_id": Provider(lambda w, c: [str(w.doctor.pk)], owned=True),
    "department_id": Provider(lambda w, c: [str(w.department.pk)], owned=True),
    "batch_id": Provider(lambda w, c: [str(w.batch.pk)], owned=True),
    "fmt": Provider(lambda w, c: ["csv", "xlsx"], owned=False),
    "code": Provider(lambda w, c: [CRITICAL_CODE], owned=False),
    "first_id": Provider(lambda w, c: [str(w.patient.pk)], owned=True),
    "second_id": Provider(lambda w, c: [str(w.twin.pk)], owned=True),
    "merge_id": Provider(lambda w, c: [str(w.merge.pk)], owned=True),
    "review_id": Provider(lambda w, c: [str(w.review.pk)], owned=True),
    "questionnaire_id": Provider(lambda w, c: [str(w.questionnaire.pk)], owned=True),
    "answer_id": Provider(lambda w, c: [str(w.answer.pk)], owned=True),
    "invitation_id": Provider(lambda w, c: [str(w.invitation.pk)], owned=True),
    "version_id": Provider(lambda w, c: [str(w.answer.version_id)], owned=True),
    "alert_id": Provider(lambda w, c: [str(w.alert.pk)], owned=True),
    "task_id": Provider(lambda w, c: [str(w.task.pk)], owned=True),
    "protocol_id": Provider(lambda w, c: [str(w.task.enrolment.protocol_id)], owned=True),
    "enrolment_id": Provider(lambda w, c: [str(w.task.enrolment_id)], owned=True),
    "contact_id": Provider(lambda w, c: [str(w.contact.pk)], owned=True),
    "recording_id": Provider(lambda w, c: [str(w.recording.pk)], owned=True),
}


@dataclass(frozen=True)
class Route:
    route: str  # "patients/<int:patient_id>/tab/<slug:tab>/"
    name: str  # "patients:tab"
    params: tuple[str, ...]

    def __str__(self) -> str:
        return self.route


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        if not isinstance(entry.pattern, RoutePattern):
            continue  # regex routes: only inside the admin
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern):
            params = tuple(m["name"] for m in _PARAM.finditer(route))
            yield Route(route, f"{namespace}{entry.name or ''}", params)


def routes() -> list[Route]:
    """Every route of the project except the admin's, in a stable order."""
    found = {
        r.route: r for r in _walk(get_resolver().url_patterns) if not r.route.startswith(SKIPPED_PREFIXES)
    }
    return [found[key] for key in sorted(found)]


@dataclass(frozen=True)
class Case:
    """One route with a choice of its non-object parameters (tab, section, ...), to be filled per world."""

    route: Route
    slugs: tuple[tuple[str, str], ...]

    @property
    def id(self) -> str:
        return f"{self.route} {dict(self.slugs)}" if self.slugs else self.route.route

    def kwargs(self, world: World) -> dict[str, str]:
        chosen = dict(self.slugs)
        for name in self.route.params:
            if name not in chosen:
                chosen[name] = PROVIDERS[name].values(world, chosen)[0]
        return chosen

    def url(self, world: World, missing: bool = False) -> str:
        """The URL with `world`'s objects; with `missing`, objects that exist nowhere instead."""
        chosen = self.kwargs(world)
        if missing:
            chosen = {k: str(int(v) + 100_000) if PROVIDERS[k].owned else v for k, v in chosen.items()}
        return "/" + _PARAM.sub(lambda m: chosen[m["name"]], self.route.route)

    @property
    def names_an_object(self) -> bool:
        return any(PROVIDERS[name].owned for name in self.route.params)


def missing_providers() -> list[str]:
    return [
        f"parameter <{name}> of {route.route} ({route.name}) has no value provider: add one to PROVIDERS "
        f"in tests/urlwalk.py (and the object to `populate` if it is a new kind)"
        for route in routes()
        for name in route.params
        if name not in PROVIDERS
    ]


def url_cases() -> list[Case]:
    """A case per route and per value of each of its non-object parameters (every tab, every section)."""
    cases = []
    for route in routes():
        if any(name not in PROVIDERS for name in route.params):
            continue  # reported by missing_providers()
        combos: list[dict[str, str]] = [{}]
        for name in route.params:
            if not PROVIDERS[name].owned:
                combos = [{**c, name: v} for c in combos for v in PROVIDERS[name].values(_NO_WORLD, c)]
        cases += [Case(route, tuple(c.items())) for c in combos]
    return cases


_NO_WORLD: Any = None  # the non-object providers never look at the world
