from django.urls import path

from opspor.web.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.search, name="search"),
    path("indsigt/", views.access_report, name="access_report"),
]
