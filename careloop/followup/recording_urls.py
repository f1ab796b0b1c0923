from django.urls import path

from careloop.followup import recording_views

app_name = "recordings"
urlpatterns = [
    path("contact/<int:contact_id>/", recording_views.contact_recordings, name="contact"),
    path("contact/<int:contact_id>/upload/", recording_views.upload, name="upload"),
    path("<int:recording_id>/play/", recording_views.play, name="play"),
    path("<int:recording_id>/download/", recording_views.download, name="download"),
    path("<int:recording_id>/transcript/", recording_views.transcript, name="transcript"),
    path("<int:recording_id>/transcribe/", recording_views.transcribe, name="transcribe"),
]
