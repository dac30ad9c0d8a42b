from django.urls import path

from opspor.web.citizen import views

app_name = "citizen"

urlpatterns = [
    path("", views.home, name="home"),
    path("besked/", views.send, name="send"),
    path("indsigt/", views.access, name="access"),
]
