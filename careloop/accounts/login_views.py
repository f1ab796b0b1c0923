"""Logging in and out: the one login path of every session, the Django admin's included."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from careloop.accounts import actions, login_steps
from careloop.accounts.actions import SecondFactor
from careloop.accounts.login_forms import LoginForm, SecondFactorForm
from careloop.accounts.models import User

PENDING_USER = "careloop_pending_2fa_user"


def refused_message() -> str:
    # One answer for a wrong password, an unknown username, a disabled account and a waiting count: it
    # must not tell whether an account exists, nor that it is the account (not the password) that waits.
    return _(
        "Wrong username or password, or too many failed attempts. "
        "If you are sure of your password, wait a few minutes and try again."
    )


def _safe_next(request: HttpRequest) -> str:
    next_url = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        return next_url
    return ""


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        user = login_steps.check_password(form.cleaned_data["username"], form.cleaned_data["password"])
        if user is None:
            error = refused_message()
        elif user.totp_confirmed:
            request.session[PENDING_USER] = user.pk
            return redirect(_with_next(reverse("accounts:totp_verify"), _safe_next(request)))
        else:
            return _complete_login(request, user, None)
    return render(request, "accounts/login.html", {"form": form, "error": error})


def totp_verify_view(request: HttpRequest) -> HttpResponse:
    user = User.objects.filter(pk=request.session.get(PENDING_USER, 0), is_active=True).first()
    if user is None:
        return redirect("accounts:login")
    form = SecondFactorForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        outcome = login_steps.check_second_factor(user, form.cleaned_data["code"])
        if outcome == "totp" or outcome == "recovery_code":
            return _complete_login(request, user, outcome)
        if outcome == "throttled":
            request.session.pop(PENDING_USER, None)
            error = _("Too many failed attempts. Wait a few minutes, then log in again.")
        else:
            error = _("That code is not right.")
    return render(request, "accounts/totp_verify.html", {"form": form, "error": error})


def _complete_login(request: HttpRequest, user: User, second_factor: SecondFactor | None) -> HttpResponse:
    request.session.pop(PENDING_USER, None)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    actions.do_record_login_success(user, login_steps.subject_for(user.username), second_factor)
    if second_factor == "recovery_code":
        left = actions.unused_recovery_codes(user)
        messages.warning(
            request,
            ngettext(
                "You logged in with a recovery code; %(count)d is left. "
                "Set up your authenticator again on the second-factor page.",
                "You logged in with a recovery code; %(count)d are left. "
                "Set up your authenticator again on the second-factor page.",
                left,
            )
            % {"count": left},
        )
    return redirect(_safe_next(request) or settings.LOGIN_REDIRECT_URL)


def admin_login_view(request: HttpRequest) -> HttpResponse:
    """The Django admin's login URL: never authenticates, sends to CareLoop's login and back."""
    return redirect(_with_next(reverse("accounts:login"), _safe_next(request) or reverse("admin:index")))


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        actions.do_record_logout(request.user)
    logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)
