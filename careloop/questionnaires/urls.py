from django.urls import path

from careloop.questionnaires import brief_views, builder_views, manage_views, send_views, views

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
    # The administrator's pages (QUESTIONNAIRE_MANAGE): list, builder, import and export.
    path("manage/", manage_views.questionnaire_list, name="manage"),
    path("manage/import/", manage_views.import_json, name="import"),
    path("manage/<int:questionnaire_id>/", builder_views.builder, name="builder"),
    path("manage/<int:questionnaire_id>/preview/", builder_views.builder_preview, name="preview"),
    path("manage/<int:questionnaire_id>/publish/", builder_views.publish, name="publish"),
    path("manage/<int:questionnaire_id>/discard/", builder_views.discard, name="discard"),
    path("manage/<int:questionnaire_id>/status/", manage_views.set_status, name="status"),
    path(
        "manage/<int:questionnaire_id>/versions/<int:version_id>/fhir.json",
        manage_views.export_version,
        name="export_version",
    ),
    path(
        "manage/<int:questionnaire_id>/answers.csv",
        manage_views.export_answers,
        {"fmt": "csv"},
        name="export_csv",
    ),
    path(
        "manage/<int:questionnaire_id>/answers.ndjson",
        manage_views.export_answers,
        {"fmt": "ndjson"},
        name="export_ndjson",
    ),
]
