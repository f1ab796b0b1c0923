"""The one way to reach alerts: through the user's organization, as patients are (patients/scoping.py).

Another organization's alert does not exist for the user (404, never 403); a role without the
permission gets 403 for the alerts it can see.
"""

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import Http404

from careloop.accounts.authorization import require
from careloop.accounts.models import User
from careloop.accounts.roles import Perm
from careloop.alerts.models import Alert


def alerts_for(user: User | AnonymousUser) -> QuerySet[Alert]:
    if not user.is_authenticated or user.organization_id is None:
        return Alert.objects.none()
    return Alert.objects.filter(organization_id=user.organization_id)


def alert_for_user(user: User, alert_id: int, permission: Perm = Perm.ALERT_VIEW) -> Alert:
    alert = alerts_for(user).select_related("patient", "assigned_to").filter(pk=alert_id).first()
    if alert is None:
        raise Http404("No such alert")
    require(user, permission)
    return alert
