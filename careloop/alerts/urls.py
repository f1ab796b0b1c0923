from django.urls import path

from careloop.alerts import views

app_name = "alerts"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:alert_id>/", views.alert_detail, name="detail"),
    path("<int:alert_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<int:alert_id>/assign/", views.assign, name="assign"),
    path("<int:alert_id>/resolve/", views.resolve, name="resolve"),
]
