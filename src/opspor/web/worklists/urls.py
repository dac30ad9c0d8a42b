from django.urls import path

from opspor.web.worklists import views

app_name = "worklists"

urlpatterns = [
    path("", views.today, name="today"),
    path("tidligere/", views.history, name="history"),
    path("<int:run_pk>/", views.run_list, name="run"),
    path("<int:run_pk>/eksport.<str:fmt>", views.export, name="export"),
    path("<int:run_pk>/screening/<uuid:public_id>/", views.screen, name="screen"),
    path("mdt/ny/<uuid:public_id>/", views.mdt_open, name="mdt_open"),
    path("mdt/<int:pk>/", views.mdt, name="mdt"),
]
