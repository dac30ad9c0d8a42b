from django.urls import path

from opspor.web.telemonitoring import api

app_name = "telemonitoring"

urlpatterns = [
    path("fhir/", api.receive, name="receive"),
]
