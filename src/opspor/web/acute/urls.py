from django.urls import path

from opspor.web.acute import views

app_name = "acute"

urlpatterns = [
    path("", views.team, name="team"),
    path("henvisninger/", views.mine, name="mine"),
    path("henvis/", views.new, name="new"),
    path("henvisning/<uuid:public_id>/", views.referral, name="referral"),
    path("henvisning/<uuid:public_id>/beslut/", views.decide, name="decide"),
    path("henvisning/<uuid:public_id>/book/", views.book, name="book"),
    path("henvisning/<uuid:public_id>/aendring/", views.change, name="change"),
    path("henvisning/<uuid:public_id>/afslut/", views.close, name="close"),
]
