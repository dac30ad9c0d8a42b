from django.urls import path

from opspor.web.careplan import citizen

app_name = "careplan_citizen"

urlpatterns = [
    path("", citizen.own_sections, name="own_sections"),
]
