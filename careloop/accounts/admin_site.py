"""The Django admin belongs to the installation's superuser alone (三员分立).

Staff of an organization, its administrators included, manage their organization in CareLoop's own pages
(`careloop/accounts/staff_views.py`); the admin site answers them 403, whatever `is_staff` says. Signing in
goes through CareLoop's login (second factor, throttling, audit) like every other session.
"""

from collections.abc import Callable
from typing import Any, cast

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from django.utils.translation import gettext_lazy as _

View = Callable[..., HttpResponseBase]


class InstallationAdminSite(admin.AdminSite):
    site_header = _("CareLoop installation administration")
    site_title = _("CareLoop installation")

    def has_permission(self, request: HttpRequest) -> bool:
        return bool(getattr(request.user, "is_installation_superuser", False))  # False when anonymous

    def admin_view[V: View](self, view: V, cacheable: bool = False) -> V:
        wrapped = super().admin_view(view, cacheable)

        def closed_to_staff(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            # Signed-in staff are refused outright rather than sent to a login page they have passed.
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied("installation superusers only")
            return wrapped(request, *args, **kwargs)

        return cast(V, closed_to_staff)


class InstallationAdminConfig(AdminConfig):
    default_site = "careloop.accounts.admin_site.InstallationAdminSite"
