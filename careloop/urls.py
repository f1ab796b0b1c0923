from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="patients:list"), name="home"),
    path("", include("careloop.accounts.urls")),
    path("patients/", include("careloop.patients.urls")),
    path("imports/", include("careloop.observations.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
