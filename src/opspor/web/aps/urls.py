from django.urls import path

from opspor.web.aps import views

app_name = "aps"

urlpatterns = [
    path("min-dag/", views.day, name="day"),
    path("forloeb/", views.caseload, name="caseload"),
    path("program/", views.programme, name="programme"),
    path("sygeplejersker/", views.nurses, name="nurses"),
]
