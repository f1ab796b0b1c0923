"""The inbox's marks on other pages: the count in the top bar, the open alerts on the patient page."""

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import ngettext

from careloop.accounts.roles import Perm
from careloop.alerts.models import Alert
from careloop.alerts.presenting import unresolved_alerts_described
from careloop.patients.models import Patient
from careloop.questionnaires.tab import reader_language

register = template.Library()


@register.simple_tag
def open_alert_badge(user: Any) -> SafeString | str:
    """The number of open alerts assigned to the user, or nothing when there are none."""
    if not getattr(user, "is_authenticated", False) or not user.can(Perm.ALERT_VIEW):
        return ""
    count = Alert.objects.filter(
        organization_id=user.organization_id, assigned_to=user, status="open"
    ).count()
    if not count:
        return ""
    label = ngettext(
        "%(count)s open alert assigned to you", "%(count)s open alerts assigned to you", count
    ) % {"count": count}
    return format_html('<span class="badge" id="alert-badge" title="{}">{}</span>', label, count)


@register.inclusion_tag("alerts/_patient_alerts.html", takes_context=True)
def patient_alerts(context: dict[str, Any], patient: Patient) -> dict[str, Any]:
    """The patient's alerts not resolved yet, most pressing first, for a banner above the tabs."""
    user = context.get("user")
    if user is None or not user.can(Perm.ALERT_VIEW):
        return {"alerts": []}
    return {"alerts": unresolved_alerts_described(patient, reader_language())}
