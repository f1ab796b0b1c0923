"""Turning a parked record (stored as JSON without identifiers) back into a record for a chosen patient."""

import datetime
from typing import Any

from careloop.observations.importing.parsed import EncounterRecord, PatientRef, ReportRecord, ResultRecord

_KINDS: dict[str, type[ResultRecord | ReportRecord | EncounterRecord]] = {
    "result": ResultRecord,
    "report": ReportRecord,
    "encounter": EncounterRecord,
}
_DATETIMES = {"effective_at", "issued_at", "admitted_at", "discharged_at"}


def record_from_json(
    kind: str, data: dict[str, Any], patient: PatientRef
) -> ResultRecord | ReportRecord | EncounterRecord:
    values = dict(data)
    for name in _DATETIMES & values.keys():
        if values[name]:
            values[name] = datetime.datetime.fromisoformat(values[name])
    return _KINDS[kind](patient=patient, **values)
