"""The tag rules' URLs, part of the organization's administration area (namespace `staff`, composed with
`careloop.accounts.staff_urls` in `careloop.urls`)."""

from django.urls import path

from careloop.autotags import views

urlpatterns = [
    path("tag-rules/", views.rule_list, name="tag_rules"),
    path("tag-rules/new/", views.rule_edit, name="tag_rule_new"),
    path("tag-rules/try/", views.rule_try, name="tag_rule_try"),
    path("tag-rules/<int:rule_id>/", views.rule_edit, name="tag_rule"),
    path("tag-rules/<int:rule_id>/enabled/", views.rule_enabled, name="tag_rule_enabled"),
]
