"""The protocols' URLs, part of the organization's administration area (namespace `staff`, composed with
`careloop.accounts.staff_urls` in `careloop.urls`)."""

from django.urls import path

from careloop.followup import protocol_views

urlpatterns = [
    path("protocols/", protocol_views.protocol_list, name="protocols"),
    path("protocols/install/", protocol_views.protocol_install, name="protocols_install"),
    path("protocols/<int:protocol_id>/", protocol_views.protocol_detail, name="protocol"),
    path("protocols/<int:protocol_id>/status/", protocol_views.protocol_status, name="protocol_status"),
]
