"""Every user's own account: /account/ and /account/password/."""

from django.urls import path

from careloop.accounts import password_views

app_name = "myaccount"

urlpatterns = [
    path("", password_views.my_account, name="home"),
    path("password/", password_views.change_password, name="password"),
]
