from django.urls import path

from careloop.observations.views import critical_limits, feed_reviews, imports, trends, unmatched

app_name = "observations"

urlpatterns = [
    path("", imports.import_list, name="imports"),
    path("<int:batch_id>/", imports.import_detail, name="import_detail"),
    path("<int:batch_id>/errors.csv", imports.import_problems_csv, name="import_errors"),
    path("template.<slug:fmt>", imports.import_template, name="import_template"),
    path("unmatched/", unmatched.unmatched_list, name="unmatched"),
    path("unmatched/<int:item_id>/candidates/", unmatched.unmatched_candidates, name="unmatched_candidates"),
    path("unmatched/<int:item_id>/match/", unmatched.unmatched_match, name="unmatched_match"),
    path("unmatched/<int:item_id>/register/", unmatched.unmatched_register, name="unmatched_register"),
    path("unmatched/<int:item_id>/reject/", unmatched.unmatched_reject, name="unmatched_reject"),
    path("feed-reviews/", feed_reviews.review_list, name="feed_reviews"),
    path("feed-reviews/<int:review_id>/", feed_reviews.review_decide, name="feed_review_decide"),
    path("feed-policy/", feed_reviews.feed_policy, name="feed_policy"),
    path("critical-values/", critical_limits.critical_limits, name="critical_limits"),
    path("critical-values/<str:code>/", critical_limits.critical_limit, name="critical_limit"),
    path("patients/<int:patient_id>/trends/chart/", trends.trend_chart, name="trend_chart"),
]
