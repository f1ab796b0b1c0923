"""The patients' addresses: short, because they travel in an SMS (`/q/<token>/`)."""

from django.urls import path

from careloop.questionnaires import link_views

app_name = "questionnaire_link"

urlpatterns = [
    path("<str:token>/", link_views.answer, name="answer"),
    path("<str:token>/save/", link_views.save, name="save"),
    path("<str:token>/done/", link_views.done, name="done"),
]
