from django.urls import path

from opspor.web.people import views

app_name = "people"

urlpatterns = [
    path("<int:pk>/", views.detail, name="detail"),
]
