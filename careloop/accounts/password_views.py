"""Every user's own account page and password change (reached from the header's "My account")."""

import datetime

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from careloop.accounts.password_actions import do_change_own_password
from careloop.accounts.password_forms import OwnPasswordForm
from careloop.accounts.password_rules import expired
from careloop.accounts.password_validation import rules_for
from careloop.accounts.requests import StaffRequest
from careloop.accounts.start import start_page


@login_required
def my_account(request: StaffRequest) -> HttpResponse:
    rules = rules_for(request.user.organization_id)
    changed = request.user.password_changed_at
    expires = changed + datetime.timedelta(days=rules.max_age_days) if rules.max_age_days else None
    return render(request, "accounts/account.html", {"rules": rules, "expires": expires})


@login_required
@never_cache
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
def change_password(request: StaffRequest) -> HttpResponse:
    user = request.user
    form = OwnPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        do_change_own_password(user, form.cleaned_data["new_password1"])
        update_session_auth_hash(request, user)  # this session stays; the user's other sessions end
        messages.success(request, _("Your password has been changed."))
        return redirect(start_page(user))
    rules = rules_for(user.organization_id)
    context = {
        "form": form,
        "rules": rules,
        "forced": user.must_change_password,
        "expired": expired(user.password_changed_at, timezone.now(), rules),
    }
    return render(request, "accounts/password_change.html", context)
