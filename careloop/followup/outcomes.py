"""What a contact's outcome does to its task, enrolment and patient (pure: no Django).

Shared by the task page, the sweep and the reports, so "three unreachable attempts make 失访" is stated
once. The number of attempts is the project's (issue 25), not a national norm: the Norm asks staff to
contact a patient who missed a follow-up (followup-norms §3) but does not count attempts.
"""

from dataclasses import dataclass
from typing import Literal

UNREACHED_LIMIT = 3  # consecutive attempts without reaching anyone before the enrolment is 失访

UNREACHED = frozenset({"no_answer", "busy", "switched_off", "wrong_number"})
REACHED = frozenset({"reached", "refused", "hospitalised", "deceased", "moved"})
# Outcomes after which no plan of the patient goes on, and why each plan ends.
ENDS_EVERY_PLAN = {"deceased": "deceased", "moved": "moved"}
ENDS_THIS_PLAN = {"refused": "refused"}

EnrolmentChange = Literal["", "lost", "active", "ended"]


@dataclass(frozen=True)
class Consequence:
    task_done: bool  # the task is done (someone answered); otherwise it stays to be tried again
    enrolment: EnrolmentChange  # "" unchanged
    end_reason: str = ""  # with enrolment == "ended"
    end_every_plan: bool = False  # deceased, moved: every open plan of the patient ends
    patient_state: str = ""  # "deceased" or "moved": recorded on the patient


def consequence(outcome: str, enrolment_status: str, unreached_in_a_row: int) -> Consequence:
    """`unreached_in_a_row`: the enrolment's attempts without reaching anyone since the last that did,
    this one included."""
    if outcome in ENDS_EVERY_PLAN:
        reason = ENDS_EVERY_PLAN[outcome]
        return Consequence(True, "ended", reason, end_every_plan=True, patient_state=outcome)
    if outcome in ENDS_THIS_PLAN:
        return Consequence(True, "ended", ENDS_THIS_PLAN[outcome])
    if outcome in REACHED:
        return Consequence(True, "active" if enrolment_status == "lost" else "")
    if outcome in UNREACHED:
        lost = enrolment_status == "active" and unreached_in_a_row >= UNREACHED_LIMIT
        return Consequence(False, "lost" if lost else "")
    raise ValueError(f"unknown outcome {outcome!r}")
