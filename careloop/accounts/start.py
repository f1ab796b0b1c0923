"""Where a signed-in user starts: each of the three powers has its own first page."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from careloop.accounts.models import User
from careloop.accounts.roles import Perm

# The first page a role may open, in this order; the patient list for everyone who reads patients.
START_PAGES = [
    (Perm.PATIENT_VIEW, "patients:list"),
    (Perm.AUDIT_VIEW, "accounts:audit"),
    (Perm.STAFF_MANAGE, "staff:list"),
]


def start_page(user: User) -> str:
    if user.is_installation_superuser:
        return "admin:index"
    for permission, page in START_PAGES:
        if user.can(permission):
            return page
    return "myaccount:home"


@login_required
def home(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    return redirect(start_page(request.user))
