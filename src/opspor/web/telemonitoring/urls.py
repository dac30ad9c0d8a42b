from django.urls import path

from opspor.web.telemonitoring import api, views

app_name = "telemonitoring"

urlpatterns = [
    path("fhir/", api.receive, name="receive"),
    path("", views.patients, name="patients"),
    path("tilmeld/<uuid:public_id>/", views.enrol, name="enrol"),
    path("patient/<uuid:public_id>/", views.patient, name="patient"),
    path("patient/<uuid:public_id>/taerskel/", views.adjust, name="adjust"),
    path("patient/<uuid:public_id>/afslut/", views.end, name="end"),
    path("vagt/", views.worklist, name="worklist"),
    path("alarm/<int:pk>/", views.alarm, name="alarm"),
    path("evaluering/", views.evaluation, name="evaluation"),
]
