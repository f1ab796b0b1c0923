"""The tag catalogue's URLs, part of the organization's administration area (namespace `staff`, composed
with `careloop.accounts.staff_urls` in `careloop.urls`)."""

from django.urls import path

from careloop.patients import tag_views

urlpatterns = [
    path("tags/", tag_views.tags, name="tags"),
    path("tags/<int:tag_id>/", tag_views.tag_edit, name="tag"),
]
