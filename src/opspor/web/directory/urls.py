from django.urls import path

from opspor.web.directory import views

app_name = "directory"

urlpatterns = [
    path("", views.offers, name="offers"),
    path("indlaes/", views.load, name="load"),
    path("<slug:key>/", views.offer, name="offer"),
    path("<slug:key>/ret/", views.edit, name="edit"),
    path("<slug:key>/book/", views.hold, name="hold"),
    path("<slug:key>/frigiv/<int:booking>/", views.release, name="release"),
]
