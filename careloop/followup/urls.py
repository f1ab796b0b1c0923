from django.urls import path

from careloop.followup import views

app_name = "followup"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("reassign/", views.reassign, name="reassign"),
    path("tasks/<int:task_id>/", views.task_detail, name="task"),
]
