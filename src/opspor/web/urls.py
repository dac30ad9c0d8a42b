from django.urls import path

from opspor.web.core import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
]
