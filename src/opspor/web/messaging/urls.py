from django.urls import path

from opspor.web.messaging import views

app_name = "messaging"

urlpatterns = [
    path("", views.outbox, name="outbox"),
    path("indbakke/", views.inbox, name="inbox"),
    path("<int:pk>/send-igen/", views.retry, name="retry"),
    path("indsigelse/<uuid:public_id>/", views.object_, name="object"),
    path("indsigelse/<int:pk>/tilbagekald/", views.withdraw, name="withdraw"),
]
