"""The order in which a source's description of a person finds one of our patients, and what happens to a
person it finds nobody for. Pure: no Django import; `matching.py` and `people.py` run the queries.

1. The resident ID number, by its keyed index: the patient with that number is the person, unless the
   name, sex or birth date sent contradict them (sameperson.contradictions).
2. Else the source system's MRN: the patient the source knows by it, unless the demographics contradict
   them, or the ID number sent is another than the one on their record.
3. Else nobody. A person record (ADT PID, FHIR Patient) that is probably one of our patients (same name and
   birth date, a name sounding the same, the same mobile) is never merged by itself: it waits for a
   person to review. One that cannot be registered (no name or no birth date) waits too. Otherwise the
   organization's feed policy decides: register the person, or hold the registration for review.
   Results without a person record wait for their patient in the unmatched queue.

A contradicted identifier is never passed over to a weaker one: whoever the ID number names, the record
contradicts them, and filing it under someone its MRN names instead would hide that.
"""

from typing import NamedTuple

from careloop.patients.sameperson import Demographics, contradictions

# Outcomes
MATCHED = "matched"  # filed under patient_id
CONTRADICTION = "contradiction"  # an identifier found a patient the record contradicts: waits
WAIT = "wait"  # nobody found; what it brings waits for its patient
REGISTER = "register"  # a person nobody matches, registered now
# A feed policy: what a feed may do with a person it names that nobody matches.
POLICY_REGISTER = "register"
POLICY_HOLD = "hold"


class Candidate(NamedTuple):
    """A patient an identifier found, as the decision needs them."""

    patient_id: int
    demographics: Demographics
    id_number_index: str = ""  # the keyed index of the ID number on their record, "" for none


class Decision(NamedTuple):
    outcome: str  # MATCHED / CONTRADICTION / WAIT / REGISTER
    patient_id: int | None = None
    via: str = ""  # how a match was found: "id_number" / "mrn"
    why: str = ""  # why it waits (UnmatchedResult.why), for CONTRADICTION and WAIT


class Sent(NamedTuple):
    """What a source says of the person, as the decision needs it."""

    demographics: Demographics
    id_number_index: str = ""  # keyed index of the ID number sent, "" for none
    has_mrn: bool = False


def identify(sent: Sent, by_id_number: Candidate | None, by_mrn: Candidate | None) -> Decision:
    """Steps 1 and 2: the patient the identifiers name, or why there is none (`why_unknown`)."""
    if by_id_number is not None:
        if contradictions(sent.demographics, by_id_number.demographics):
            return Decision(CONTRADICTION, why="contradiction")
        return Decision(MATCHED, by_id_number.patient_id, "id_number")
    if by_mrn is not None:
        other_number = (
            sent.id_number_index and by_mrn.id_number_index and sent.id_number_index != by_mrn.id_number_index
        )
        if other_number or contradictions(sent.demographics, by_mrn.demographics):
            return Decision(CONTRADICTION, why="contradiction")
        return Decision(MATCHED, by_mrn.patient_id, "mrn")
    return Decision(WAIT, why=why_unknown(sent))


def why_unknown(sent: Sent) -> str:
    """Why a description that found nobody did: the strongest identifier it carried found nobody."""
    if sent.id_number_index:
        return "unknown_id_number"
    if sent.has_mrn:
        return "unknown_mrn"
    return "no_identifier"


def settle_unknown_person(sent: Sent, probable: bool, policy: str) -> Decision:
    """Step 3, for a person record that found nobody: register, or wait saying why."""
    if probable:
        return Decision(WAIT, why="probable_match")
    if not registrable(sent.demographics):
        return Decision(WAIT, why="incomplete")
    if policy == POLICY_HOLD:
        return Decision(WAIT, why="held")
    return Decision(REGISTER)


def registrable(person: Demographics) -> bool:
    """Whether a record says enough to register its person: a name and a birth date (a sex not sent is
    registered as unknown)."""
    return bool(person.name.strip()) and person.birth_date is not None


def decide(
    sent: Sent,
    by_id_number: Candidate | None,
    by_mrn: Candidate | None,
    *,
    person: bool,
    probable: bool = False,
    policy: str = POLICY_REGISTER,
) -> Decision:
    """The whole order for one description: `person` says whether it is a person record (which may
    register its person) or only names the patient of results; `probable` whether the registry holds a
    probable duplicate of it."""
    decision = identify(sent, by_id_number, by_mrn)
    if decision.outcome != WAIT or not person:
        return decision
    return settle_unknown_person(sent, probable, policy)
