from django.contrib import admin

from careloop.accounts.admin import OrganizationScopedAdmin
from careloop.patients.models import Tag


@admin.register(Tag)
class TagAdmin(OrganizationScopedAdmin[Tag]):
    """The tag catalogue is reference data.

    Patients themselves are edited in the staff UI, which audits every change.
    """

    list_display = ["name", "organization", "color", "description"]
    list_filter = ["organization"]
    search_fields = ["name"]
