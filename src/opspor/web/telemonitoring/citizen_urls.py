from django.urls import path

from opspor.web.telemonitoring import citizen

app_name = "telemonitoring_citizen"

urlpatterns = [
    path("", citizen.measurements, name="measurements"),
]
