from django.urls import path

from opspor.web.citizen import views

app_name = "citizen"

urlpatterns = [
    path("", views.home, name="home"),
    path("besked/", views.send, name="send"),
    path("indsigt/", views.access, name="access"),
    path("kontakt/", views.contact, name="contact"),
    path("skema/<uuid:request_id>/", views.questionnaire, name="questionnaire"),
    path("paaroerende/", views.relatives, name="relatives"),
    path("paaroerende/<uuid:grant_id>/tilbagekald/", views.revoke, name="revoke"),
    path("adgang/<uuid:grant_id>/", views.relative_view, name="relative_view"),
]
