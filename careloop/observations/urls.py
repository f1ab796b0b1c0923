from django.urls import path

from careloop.observations import critical_views, trend_views, views

app_name = "observations"

urlpatterns = [
    path("", views.import_list, name="imports"),
    path("<int:batch_id>/", views.import_detail, name="import_detail"),
    path("<int:batch_id>/errors.csv", views.import_problems_csv, name="import_errors"),
    path("template.<slug:fmt>", views.import_template, name="import_template"),
    path("unmatched/", views.unmatched_list, name="unmatched"),
    path("unmatched/<int:item_id>/candidates/", views.unmatched_candidates, name="unmatched_candidates"),
    path("unmatched/<int:item_id>/match/", views.unmatched_match, name="unmatched_match"),
    path("critical-values/", critical_views.critical_limits, name="critical_limits"),
    path("critical-values/<str:code>/", critical_views.critical_limit, name="critical_limit"),
    path("patients/<int:patient_id>/trends/chart/", trend_views.trend_chart, name="trend_chart"),
]
