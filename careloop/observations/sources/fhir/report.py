"""A FHIR DiagnosticReport -> ReportRecord; its `result` references tell later Observations their report."""

import datetime
from typing import Any

from careloop.observations.importing.parsed import ReportRecord, because
from careloop.observations.sources.fhir.fields import FieldProblem, concept_text, first_time
from careloop.observations.sources.fhir.keys import SourceKeys
from careloop.observations.sources.fhir.references import Subjects


def read_report(
    resource: dict[str, Any], where: str, keys: SourceKeys, subjects: Subjects, tz: datetime.tzinfo
) -> ReportRecord:
    """The report, issued at `issued` (else its effective time); FieldProblem if it cannot be imported.

    Each Observation it lists ("Observation/9", or an entry's fullUrl) is remembered as the report's, so an
    Observation read after it carries the report's source id. (A Bundle reads reports first for that.)
    """
    system, source_id = keys.key_of(resource)
    patient = subjects.of(resource, system)
    issued = first_time(resource, ("issued", "effectiveDateTime", "effectivePeriod"), tz)
    if issued is None:
        raise FieldProblem("issued", "", because("is missing (also no effectiveDateTime)"), "missing")
    performers = resource.get("performer") or ()
    code = resource.get("code") or {}
    report = ReportRecord(
        patient,
        system,
        source_id,
        issued,
        institution=performers[0].get("display") or "" if performers else "",
        package=code.get("text") or concept_text(code),
        conclusion=resource.get("conclusion") or "",
        status=resource.get("status") or "final",
        location=where,
    )
    for result in resource.get("result") or ():
        reference = result.get("reference")
        if reference:
            subjects.refs.report_of[reference] = source_id
    return report
