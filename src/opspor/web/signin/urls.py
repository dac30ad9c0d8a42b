from django.urls import path

from opspor.web.signin import views

app_name = "signin"

urlpatterns = [
    path("retur/", views.callback, name="callback"),
    path("<str:door>/", views.start, name="start"),
]
