"""What the questionnaires say about patients now, for the facts that tags, alerts and protocols read.

Set-based over `QuestionnaireScore` rows: one query for a whole organization, whatever its size.
"""

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q, QuerySet

from careloop.questionnaires.models import QuestionnaireScore


def newest_scores() -> QuerySet[QuestionnaireScore]:
    """Each patient's newest total of each score (PHQ-9 in Chinese or English is one score: its code), in
    every organization: the one statement of "newest wins", which the facts' rule compiler filters further."""
    newer = QuestionnaireScore.objects.filter(
        patient_id=OuterRef("patient_id"), code=OuterRef("code")
    ).filter(
        Q(answered_at__gt=OuterRef("answered_at"))
        | Q(answered_at=OuterRef("answered_at"), pk__gt=OuterRef("pk"))
    )
    return QuestionnaireScore.objects.exclude(Exists(newer))


def latest_scores(
    organization_id: int, patient_ids: Iterable[int] | None = None
) -> QuerySet[QuestionnaireScore]:
    """The organization's (or these patients') newest totals, as `newest_scores` decides them."""
    scores = newest_scores().filter(organization_id=organization_id)
    if patient_ids is not None:
        scores = scores.filter(patient_id__in=list(patient_ids))
    return scores
