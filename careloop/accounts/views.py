import pyotp
import segno
from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.accounts import actions
from careloop.accounts.forms import LoginForm, TotpForm
from careloop.accounts.lockout import is_locked
from careloop.accounts.models import User
from careloop.accounts.requests import StaffRequest

PENDING_USER = "careloop_pending_2fa_user"


def _locked_message(user: User) -> str:
    until = timezone.localtime(user.locked_until)
    return _("This account is locked after too many failed attempts. Try again after %(time)s.") % {
        "time": date_format(until, "TIME_FORMAT")
    }


def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        user = User.objects.filter(username=username).first()
        if user and is_locked(user.locked_until, timezone.now()):
            error = _locked_message(user)
        else:
            authenticated = authenticate(request, username=username, password=form.cleaned_data["password"])
            if authenticated is None:
                if user:
                    user = actions.do_record_login_failure(user, "password")
                    if is_locked(user.locked_until, timezone.now()):
                        error = _locked_message(user)
                error = error or _("Wrong username or password.")
            elif authenticated.totp_confirmed:
                request.session[PENDING_USER] = authenticated.pk
                return redirect("accounts:totp_verify")
            else:
                return _complete_login(request, authenticated)
    return render(request, "accounts/login.html", {"form": form, "error": error})


def _complete_login(request: HttpRequest, user: User) -> HttpResponse:
    request.session.pop(PENDING_USER, None)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    actions.do_record_login_success(user)
    next_url = request.GET.get("next", "")
    if next_url.startswith("/") and not next_url.startswith("//"):
        return redirect(next_url)
    return redirect(settings.LOGIN_REDIRECT_URL)


def totp_verify_view(request: HttpRequest) -> HttpResponse:
    user = User.objects.filter(pk=request.session.get(PENDING_USER, 0), is_active=True).first()
    if user is None:
        return redirect("accounts:login")
    form = TotpForm(request.POST or None)
    error = ""
    if is_locked(user.locked_until, timezone.now()):
        request.session.pop(PENDING_USER, None)
        error = _locked_message(user)
    elif request.method == "POST" and form.is_valid():
        if actions.totp_matches(user.totp_secret, form.cleaned_data["code"]):
            return _complete_login(request, user)
        user = actions.do_record_login_failure(user, "totp")
        error = (
            _locked_message(user)
            if is_locked(user.locked_until, timezone.now())
            else _("That code is not right.")
        )
    return render(request, "accounts/totp_verify.html", {"form": form, "error": error})


@login_required
def totp_setup_view(request: StaffRequest) -> HttpResponse:
    secret = request.session.get("careloop_totp_setup") or pyotp.random_base32()
    request.session["careloop_totp_setup"] = secret
    uri = pyotp.TOTP(secret).provisioning_uri(name=request.user.username, issuer_name="CareLoop")
    form = TotpForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        if actions.totp_matches(secret, form.cleaned_data["code"]):
            actions.do_enable_totp(request.user, secret)
            del request.session["careloop_totp_setup"]
            return redirect(settings.LOGIN_REDIRECT_URL)
        error = _("That code is not right. Check the clock of your phone and try again.")
    qr_svg = segno.make(uri, error="m").svg_inline(scale=5, dark="#111827")
    return render(
        request,
        "accounts/totp_setup.html",
        {
            "form": form,
            "error": error,
            "secret": secret,
            "qr_svg": qr_svg,
            "required": settings.REQUIRE_ADMIN_2FA,
        },
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        actions.do_record_logout(request.user)
    logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)
