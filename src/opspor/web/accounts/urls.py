from django.urls import path

from opspor.web.accounts import views

app_name = "accounts"

urlpatterns = [
    path("log-ind/", views.LoginView.as_view(), name="login"),
    path("log-ud/", views.LogoutView.as_view(), name="logout"),
    path("to-faktor/opsaet/", views.totp_setup, name="totp_setup"),
    path("to-faktor/", views.verify, name="verify"),
]
