"""The Follow-up tab of the patient page (随访): the patient's plans, open ones first, each with where it
came from and its tasks as a timeline with the contacts recorded for them; and, for those who may assign
follow-up, the forms to enrol by hand (with its dry run), end a plan and correct its anchor. The tab is
rendered (and audited) by the patient page."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from careloop.accounts.roles import Perm
from careloop.followup.contact_models import ContactRecord
from careloop.followup.enrolment_forms import AnchorForm, EndForm, EnrolForm
from careloop.followup.models import Enrolment, Task
from careloop.followup.wording import provenance_words
from careloop.patients.models import Patient
from careloop.patients.patient_tabs import Tab


@dataclass(frozen=True)
class Plan:
    enrolment: Enrolment
    provenance: str
    tasks: list[Task]
    end_form: EndForm
    anchor_form: AnchorForm

    @property
    def is_open(self) -> bool:
        return self.enrolment.status in ("active", "lost")


def plans_of(patient: Patient) -> list[Plan]:
    contacts = ContactRecord.objects.filter(organization_id=patient.organization_id).select_related(
        "recorded_by"
    )
    enrolments = (
        Enrolment.objects.filter(organization_id=patient.organization_id, patient=patient)
        .select_related("protocol", "enrolled_by")
        .prefetch_related(
            Prefetch(
                "tasks",
                Task.objects.order_by("due", "id").prefetch_related(
                    Prefetch("contacts", contacts.order_by("occurred_at", "id"))
                ),
            )
        )
    )
    found = list(enrolments)
    # Open plans first, then by when they started, newest first (the model's ordering within each).
    found.sort(key=lambda e: e.status == "ended")
    plans = []
    for enrolment in found:
        tasks = list(enrolment.tasks.all())
        for task in tasks:
            task.enrolment = enrolment  # the step label reads the protocol from here, without a query
        by = enrolment.enrolled_by
        plans.append(
            Plan(
                enrolment=enrolment,
                provenance=provenance_words(
                    enrolment.trigger, (by.display_name or by.username) if by else ""
                ),
                tasks=tasks,
                end_form=EndForm(prefix=f"end-{enrolment.pk}"),
                anchor_form=AnchorForm(prefix=f"anchor-{enrolment.pk}", initial={"anchor": enrolment.anchor}),
            )
        )
    return plans


def followup_context(patient: Patient) -> dict[str, Any]:
    return {
        "plans": plans_of(patient),
        "enrol_form": EnrolForm(organization_id=patient.organization_id),
        "today": timezone.localdate(),
    }


FOLLOWUP_TAB = Tab("followup", _("Follow-up"), Perm.FOLLOWUP_WORK, "followup/tab.html", followup_context)
