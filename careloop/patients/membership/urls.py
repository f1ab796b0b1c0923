from django.urls import path

from careloop.patients.membership.views import cards, consent, family

# Included under /patients/<patient_id>/ by careloop/patients/urls.py, in the "patients" namespace.
urlpatterns = [
    path("cards/issue/", cards.issue, name="card_issue"),
    path("cards/<int:card_id>/print/", cards.print_card, name="card_print"),
    path("cards/<int:card_id>/<slug:change>/", cards.change, name="card_change"),
    path("family/find/", family.find, name="family_find"),
    path("family/add/", family.add, name="family_add"),
    path("family/<int:link_id>/edit/", family.edit, name="family_edit"),
    path("family/<int:link_id>/act-for/", family.toggle_act_for, name="family_act_for"),
    path("family/<int:link_id>/remove/", family.remove, name="family_remove"),
    path("consent/", consent.record, name="consent_record"),
]
