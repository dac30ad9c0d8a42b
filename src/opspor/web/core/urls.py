from django.urls import path

from opspor.web.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
]
urlpatterns += [
    path("borgere/", views.citizens, name="citizens"),
    path("overblik/", views.overview, name="overview"),
]
