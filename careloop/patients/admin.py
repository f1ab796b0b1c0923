from typing import Any, cast

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from careloop.accounts import audit
from careloop.accounts.models import User
from careloop.patients import tag_actions
from careloop.patients.models import Tag


def _acting(request: HttpRequest) -> User:
    return cast(User, request.user)  # the admin site lets in only the installation's superuser


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin[Tag]):
    """The tag catalogue is reference data; saves and deletes go through the audited tag actions.

    Patients themselves are edited in the staff UI, which audits every change.
    """

    list_display = ["name", "organization", "color", "description"]
    list_filter = ["organization"]
    list_select_related = ["organization"]
    search_fields = ["name"]

    def get_readonly_fields(self, request: HttpRequest, obj: Tag | None = None) -> list[str]:
        return ["organization"] if obj else []  # its patients stay in their organization

    def save_model(self, request: HttpRequest, obj: Tag, form: Any, change: bool) -> None:
        if change:
            stored = Tag.objects.get(pk=obj.pk)
            before = audit.snapshot(stored, tag_actions.TAG_FIELDS)
            tag_actions.do_update_tag(_acting(request), obj, before)
        else:
            tag_actions.do_create_tag(_acting(request), obj)

    def delete_model(self, request: HttpRequest, obj: Tag) -> None:
        tag_actions.do_delete_tag(_acting(request), obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Tag]) -> None:
        for tag in queryset:
            self.delete_model(request, tag)
