from django.urls import path

from opspor.web.inbound import api

app_name = "inbound"

urlpatterns = [
    path("fhir/", api.receive, name="receive"),
]
