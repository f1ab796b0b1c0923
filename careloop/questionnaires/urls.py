from django.urls import path

from careloop.questionnaires import views

app_name = "questionnaires"

urlpatterns = [
    path("patients/<int:patient_id>/fill/<int:questionnaire_id>/", views.fill, name="fill"),
    path("patients/<int:patient_id>/answers/<int:answer_id>/", views.answer_detail, name="answer"),
]
