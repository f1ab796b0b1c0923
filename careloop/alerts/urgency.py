"""The order alerts are worked in, as SQL: open before acknowledged before resolved, then urgent before
high before normal, then the one waiting longest."""

from django.db.models import Case, IntegerField, QuerySet, Value, When

from careloop.alerts.models import SEVERITY_RANK, STATUS_RANK, Alert


def _rank(field: str, ranks: dict[str, int]) -> Case:
    whens = [When(**{field: value}, then=Value(n)) for value, n in ranks.items()]
    return Case(*whens, default=Value(len(ranks)), output_field=IntegerField())


def by_urgency(alerts: QuerySet[Alert]) -> QuerySet[Alert]:
    return alerts.annotate(
        status_rank=_rank("status", STATUS_RANK), severity_rank=_rank("severity", SEVERITY_RANK)
    ).order_by("status_rank", "severity_rank", "raised_at", "pk")
