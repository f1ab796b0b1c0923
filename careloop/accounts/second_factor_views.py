"""The second-factor page: enrol an authenticator app, or see that it is on and change it behind a check."""

import time

import pyotp
import segno
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from careloop.accounts import actions, login_steps, recoverycodes, totp
from careloop.accounts.login_forms import ConfirmIdentityForm, TotpForm
from careloop.accounts.requests import StaffRequest

TOTP_BEING_SET_UP = "careloop_totp_setup"
CONFIRMED = "careloop_second_factor_confirmed"  # {"user": pk, "until": unix time}: may replace the factor
CONFIRMATION_SECONDS = 10 * 60


@login_required
def totp_setup_view(request: StaffRequest) -> HttpResponse:
    user = request.user
    if not user.totp_confirmed:
        return _enrol(request, replacing=False)
    form = ConfirmIdentityForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        outcome = login_steps.confirm_identity(user, form.cleaned_data["password"], form.cleaned_data["code"])
        if outcome == "confirmed" and form.cleaned_data["intent"] == ConfirmIdentityForm.RECOVERY_CODES:
            codes = actions.do_regenerate_recovery_codes(user)
            return render(request, "accounts/recovery_codes.html", {"codes": codes, "renewed": True})
        if outcome == "confirmed":
            request.session[CONFIRMED] = {"user": user.pk, "until": time.time() + CONFIRMATION_SECONDS}
            request.session[TOTP_BEING_SET_UP] = pyotp.random_base32()
            return redirect("accounts:totp_replace")
        error = (
            _("Too many failed attempts. Wait a few minutes and try again.")
            if outcome == "throttled"
            else _("The password or the code is not right.")
        )
    context = {
        "form": form,
        "error": error,
        "codes_left": actions.unused_recovery_codes(user),
        "codes_total": recoverycodes.COUNT,
    }
    return render(request, "accounts/second_factor_on.html", context)


@login_required
def totp_replace_view(request: StaffRequest) -> HttpResponse:
    """A new authenticator app in place of the one that is on: only just after `ConfirmIdentityForm`."""
    confirmed = request.session.get(CONFIRMED) or {}
    fresh = confirmed.get("user") == request.user.pk and confirmed.get("until", 0) > time.time()
    if not request.user.totp_confirmed or not fresh:
        return redirect("accounts:totp_setup")
    return _enrol(request, replacing=True)


def _enrol(request: StaffRequest, *, replacing: bool) -> HttpResponse:
    secret = request.session.get(TOTP_BEING_SET_UP) or pyotp.random_base32()
    request.session[TOTP_BEING_SET_UP] = secret
    form = TotpForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        step = totp.accepted_step(secret, form.cleaned_data["code"], time.time(), None)
        if step is not None:
            codes = actions.do_enable_totp(request.user, secret, step)
            request.session.pop(TOTP_BEING_SET_UP, None)
            request.session.pop(CONFIRMED, None)
            return render(request, "accounts/recovery_codes.html", {"codes": codes, "renewed": replacing})
        error = _("That code is not right. Check the clock of your phone and try again.")
    uri = pyotp.TOTP(secret).provisioning_uri(name=request.user.username, issuer_name="CareLoop")
    qr_svg = segno.make(uri, error="m").svg_inline(scale=5, dark="#111827")
    context = {
        "form": form,
        "error": error,
        "secret": secret,
        "qr_svg": qr_svg,
        "replacing": replacing,
        "required": settings.REQUIRE_ADMIN_2FA and not replacing,
    }
    return render(request, "accounts/totp_setup.html", context)
