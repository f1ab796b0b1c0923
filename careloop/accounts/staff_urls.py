"""The organization's administration pages, under /organization/ (namespace `staff`). `careloop.urls` adds
the patients app's tag catalogue (`careloop.patients.tag_urls`) to the same namespace."""

from django.urls import path

from careloop.accounts import organization_views, staff_views

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
    path("password-policy/", organization_views.password_policy, name="password_policy"),
]
