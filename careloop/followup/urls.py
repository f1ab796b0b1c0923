from django.urls import path

from careloop.followup import enrolment_views, views

app_name = "followup"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("reassign/", views.reassign, name="reassign"),
    path("tasks/<int:task_id>/", views.task_detail, name="task"),
    path("patients/<int:patient_id>/enrol/", enrolment_views.enrol, name="enrol"),
    path("patients/<int:patient_id>/enrol/preview/", enrolment_views.enrol_preview, name="enrol_preview"),
    path("enrolments/<int:enrolment_id>/end/", enrolment_views.enrolment_end, name="enrolment_end"),
    path("enrolments/<int:enrolment_id>/anchor/", enrolment_views.anchor_move, name="anchor_move"),
    path(
        "enrolments/<int:enrolment_id>/anchor/preview/",
        enrolment_views.anchor_preview,
        name="anchor_preview",
    ),
]
