from django.urls import path

from opspor.web.alerts import views

app_name = "alerts"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("region/", views.overview, name="overview"),
    path("region/<str:kind>/<str:code>/", views.unit, name="unit"),
]
