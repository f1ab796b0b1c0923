from django.urls import path

from careloop.questionnaires import brief_views, send_views, views

app_name = "questionnaires"

urlpatterns = [
    path("patients/<int:patient_id>/fill/<int:questionnaire_id>/", views.fill, name="fill"),
    path("patients/<int:patient_id>/answers/<int:answer_id>/", views.answer_detail, name="answer"),
    path("patients/<int:patient_id>/links/new/", send_views.send_link, name="send_link"),
    path("patients/<int:patient_id>/links/<int:invitation_id>/", send_views.link_detail, name="link"),
    path(
        "patients/<int:patient_id>/links/<int:invitation_id>/withdraw/",
        send_views.withdraw_link,
        name="withdraw_link",
    ),
    path("send/", send_views.send_to_tag, name="send_to_tag"),
    path("patients/<int:patient_id>/brief/", brief_views.brief, name="brief"),
]
