"""The observations app's models: results (results.py), the imports that bring them (imports.py), and what
organizations let feeds do to their registry (feeds.py)."""

from careloop.observations.models.feeds import FeedPolicy, FeedReview
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
    "FeedPolicy",
    "FeedReview",
    "ImportBatch",
    "ImportProblem",
    "Observation",
    "ObservationVersion",
    "PatientIdentifier",
    "UnmatchedResult",
]
