"""Forms of the login and of the second-factor page."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

# Long enough for any passphrase (NIST SP 800-63B asks for at least 64), short enough that a request
# cannot make the server hash megabytes.
PASSWORD_MAX_LENGTH = 1024


def _password_field(label: StrOrPromise, autofocus: bool = False) -> forms.CharField:
    attrs: dict[str, str | bool] = {"autocomplete": "current-password"}
    if autofocus:
        attrs["autofocus"] = True
    return forms.CharField(
        label=label, max_length=PASSWORD_MAX_LENGTH, strip=False, widget=forms.PasswordInput(attrs=attrs)
    )


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = _password_field(_("Password"))


class TotpForm(forms.Form):
    """The code that proves a newly scanned authenticator app works."""

    code = forms.CharField(
        label=_("6-digit code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(
            attrs={"autofocus": True, "inputmode": "numeric", "autocomplete": "one-time-code"}
        ),
    )


def _second_factor_field(autofocus: bool) -> forms.CharField:
    attrs: dict[str, str | bool] = {"autocomplete": "one-time-code", "spellcheck": "false"}
    if autofocus:
        attrs["autofocus"] = True
    return forms.CharField(
        label=_("Code from your authenticator app, or a recovery code"),
        help_text=_("Lost your phone? Type one of your recovery codes (xxxx-xxxx-xxxx-xxxx) instead."),
        max_length=40,
        widget=forms.TextInput(attrs=attrs),
    )


class SecondFactorForm(forms.Form):
    """The login's second step."""

    code = _second_factor_field(autofocus=True)


class ConfirmIdentityForm(forms.Form):
    """What a change of an enrolled second factor asks for first."""

    REPLACE = "replace"
    RECOVERY_CODES = "recovery_codes"

    password = _password_field(_("Password"), autofocus=True)
    code = _second_factor_field(autofocus=False)
    intent = forms.ChoiceField(
        choices=[(REPLACE, REPLACE), (RECOVERY_CODES, RECOVERY_CODES)], widget=forms.HiddenInput
    )
