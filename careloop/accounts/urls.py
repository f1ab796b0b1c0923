from django.urls import path

from careloop.accounts import audit_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.totp_verify_view, name="totp_verify"),
    path("logout/", views.logout_view, name="logout"),
    path("account/second-factor/", views.totp_setup_view, name="totp_setup"),
    path("audit/", audit_views.audit_list_view, name="audit"),
    path("audit/verify/", audit_views.audit_verify_view, name="audit_verify"),
]
