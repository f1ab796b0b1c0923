from django.urls import include, path

from careloop.patients.views import duplicates, merges, patient_list, registry

app_name = "patients"

urlpatterns = [
    path("", patient_list.patient_list, name="list"),
    path("new/", registry.patient_register, name="register"),
    path("duplicates/", duplicates.duplicates_list, name="duplicates"),
    path("merge/<int:first_id>/<int:second_id>/", merges.merge_pair, name="merge"),
    path("merges/", merges.merge_list, name="merges"),
    path("merges/<int:merge_id>/undo/", merges.merge_undo, name="unmerge"),
    path("<int:patient_id>/", registry.patient_detail, name="detail"),
    path("<int:patient_id>/tab/<slug:tab>/", registry.patient_detail, name="tab"),
    path("<int:patient_id>/edit/", registry.patient_edit, name="edit"),
    path("<int:patient_id>/reveal/<slug:field>/", registry.patient_reveal, name="reveal"),
    path("<int:patient_id>/tags/", registry.patient_tag, name="tag"),
    path("<int:patient_id>/tags/<int:tag_id>/remove/", registry.patient_untag, name="untag"),
    path("<int:patient_id>/record/", include("careloop.patients.record.urls")),
    path("<int:patient_id>/", include("careloop.patients.membership.urls")),
]
