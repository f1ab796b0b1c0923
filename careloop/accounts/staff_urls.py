"""The organization's administration pages, under /organization/."""

from django.urls import path

from careloop.accounts import organization_views, staff_views

app_name = "staff"

urlpatterns = [
    path("", staff_views.administration, name="index"),
    path("staff/", staff_views.staff_list, name="list"),
    path("staff/add/", staff_views.staff_add, name="add"),
    path("staff/<int:user_id>/", staff_views.staff_edit, name="edit"),
    path("staff/<int:user_id>/reset-password/", staff_views.staff_reset_password, name="reset_password"),
    path("staff/<int:user_id>/unlock/", staff_views.staff_unlock, name="unlock"),
    path("departments/", organization_views.departments, name="departments"),
    path("departments/<int:department_id>/", organization_views.department_rename, name="department"),
    path(
        "departments/<int:department_id>/delete/",
        organization_views.department_delete,
        name="department_delete",
    ),
    path("tags/", organization_views.tags, name="tags"),
    path("tags/<int:tag_id>/", organization_views.tag_edit, name="tag"),
    path("password-policy/", organization_views.password_policy, name="password_policy"),
]
