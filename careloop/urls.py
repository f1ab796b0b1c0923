from django.contrib import admin
from django.urls import include, path

from careloop.accounts import login_views
from careloop.accounts.start import home

urlpatterns = [
    path("", home, name="home"),
    path("", include("careloop.accounts.urls")),
    path("account/", include("careloop.accounts.password_urls")),
    path("organization/", include("careloop.accounts.staff_urls")),
    path("patients/", include("careloop.patients.urls")),
    path("imports/", include("careloop.observations.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # One login path: the admin's own login and logout pages are CareLoop's (second factor, throttle, audit).
    path("admin/login/", login_views.admin_login_view),
    path("admin/logout/", login_views.logout_view),
    path("admin/", admin.site.urls),
]
