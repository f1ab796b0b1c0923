from django.urls import path

from careloop.accounts import audit_views, login_views, second_factor_views

app_name = "accounts"

urlpatterns = [
    path("login/", login_views.login_view, name="login"),
    path("login/verify/", login_views.totp_verify_view, name="totp_verify"),
    path("logout/", login_views.logout_view, name="logout"),
    path("account/second-factor/", second_factor_views.totp_setup_view, name="totp_setup"),
    path("account/second-factor/new/", second_factor_views.totp_replace_view, name="totp_replace"),
    path("audit/", audit_views.audit_list_view, name="audit"),
    path("audit/verify/", audit_views.audit_verify_view, name="audit_verify"),
]
