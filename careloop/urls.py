from django.contrib import admin
from django.urls import include, path

from careloop.accounts import login_views, staff_urls
from careloop.accounts.start import home
from careloop.autotags import urls as tag_rule_urls
from careloop.followup import protocol_urls
from careloop.patients import tag_urls

urlpatterns = [
    path("", home, name="home"),
    path("", include("careloop.accounts.urls")),
    path("account/", include("careloop.accounts.password_urls")),
    # The organization's administration area: the accounts app's pages, the patients app's tag catalogue
    # the autotags app's tag rules and the followup app's protocols.
    path(
        "organization/",
        include(
            (
                staff_urls.urlpatterns
                + tag_urls.urlpatterns
                + tag_rule_urls.urlpatterns
                + protocol_urls.urlpatterns,
                "staff",
            )
        ),
    ),
    path("patients/", include("careloop.patients.urls")),
    path("imports/", include("careloop.observations.urls")),
    path("questionnaires/", include("careloop.questionnaires.urls")),
    # A patient's questionnaire link: no login (the token is the key), short enough for an SMS.
    path("q/", include("careloop.questionnaires.link_urls")),
    path("alerts/", include("careloop.alerts.urls")),
    path("followup/", include("careloop.followup.urls")),
    path("recordings/", include("careloop.followup.recording_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # One login path: the admin's own login and logout pages are CareLoop's (second factor, throttle, audit).
    path("admin/login/", login_views.admin_login_view),
    path("admin/logout/", login_views.logout_view),
    path("admin/", admin.site.urls),
]
