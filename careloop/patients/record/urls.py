"""Health-record sections, under /patients/<patient_id>/record/ (namespace patients:record)."""

from django.urls import path

from careloop.patients.record import views

app_name = "record"

urlpatterns = [
    path("icd10/", views.icd10_suggest, name="icd10"),
    path("<slug:section>/add/", views.item_add, name="add"),
    path("<slug:section>/<int:item_id>/edit/", views.item_edit, name="edit"),
    path("<slug:section>/<int:item_id>/delete/", views.item_delete, name="delete"),
]
