"""Patient list search and filters, as one queryset with a constant number of queries."""

from django.db.models import Prefetch, Q, QuerySet

from careloop.patients import querykind
from careloop.patients.identity import id_number_index, mobile_index
from careloop.patients.models import MembershipCard, Patient, PatientTag


def search(patients: QuerySet[Patient], text: str) -> tuple[QuerySet[Patient], str]:
    kind = querykind.classify(text)
    text = text.strip().replace(" ", "")
    if kind == "id_number":
        patients = patients.filter(id_number_index=id_number_index(text.upper()))
    elif kind == "mobile":
        patients = patients.filter(mobile_index=mobile_index(text))
    elif kind == "mobile_last4":
        patients = patients.filter(mobile_last4=text)
    elif kind == "card":
        patients = patients.filter(cards__number=text).distinct()
    elif kind == "pinyin":
        lowered = text.lower()
        patients = patients.filter(Q(name_initials__startswith=lowered) | Q(name_pinyin__startswith=lowered))
    elif kind == "name":
        patients = patients.filter(name__contains=text)
    return patients, kind


def with_list_columns(patients: QuerySet[Patient]) -> QuerySet[Patient]:
    return patients.select_related("department", "responsible_doctor").prefetch_related(
        Prefetch("patient_tags", queryset=PatientTag.objects.select_related("tag").order_by("tag__name")),
        Prefetch("cards", queryset=MembershipCard.objects.filter(status="active"), to_attr="active_cards"),
    )
