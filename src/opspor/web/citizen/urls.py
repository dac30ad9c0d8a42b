from django.urls import path

from opspor.web.citizen import views

app_name = "citizen"

urlpatterns = [
    path("", views.home, name="home"),
    path("besked/", views.send, name="send"),
    path("indsigt/", views.access, name="access"),
    path("kontakt/", views.contact, name="contact"),
    path("samtykke/", views.give_consent, name="consent"),
    path("samtykke/traek-tilbage/", views.withdraw_consent, name="withdraw"),
    path("samtykke/<uuid:record_id>/kvittering.pdf", views.consent_receipt, name="consent_receipt"),
    path("aftale.pdf", views.agreement_pdf, name="agreement_pdf"),
    path("skema/<uuid:request_id>/", views.questionnaire, name="questionnaire"),
    path("paaroerende/", views.relatives, name="relatives"),
    path("paaroerende/<uuid:grant_id>/tilbagekald/", views.revoke, name="revoke"),
    path("adgang/<uuid:grant_id>/", views.relative_view, name="relative_view"),
]
