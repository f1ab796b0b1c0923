from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "careloop.accounts"
    label = "accounts"
    verbose_name = _("Accounts and audit")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from careloop.accounts import audit_checks, checks  # noqa: F401  (registers the system checks)
        from careloop.accounts.password_actions import on_login

        # Whichever view logs a user in, a password past the organization's maximum age must be changed.
        user_logged_in.connect(on_login, dispatch_uid="careloop.password_expiry")
