from django.urls import path

from opspor.web.people import views

app_name = "people"

urlpatterns = [
    path("<uuid:public_id>/", views.detail, name="detail"),
]
