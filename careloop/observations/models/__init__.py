"""The observations app's models: results (results.py) and the imports that bring them (imports.py)."""

from careloop.observations.models.imports import (
    ImportBatch,
    ImportProblem,
    PatientIdentifier,
    UnmatchedResult,
)
from careloop.observations.models.results import (
    FLAGS,
    RESULT_STATUSES,
    SOURCE_KINDS,
    CriticalLimit,
    ExamReport,
    Observation,
    ObservationVersion,
)

__all__ = [
    "FLAGS",
    "RESULT_STATUSES",
    "SOURCE_KINDS",
    "CriticalLimit",
    "ExamReport",
    "ImportBatch",
    "ImportProblem",
    "Observation",
    "ObservationVersion",
    "PatientIdentifier",
    "UnmatchedResult",
]
