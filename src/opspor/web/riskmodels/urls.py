from django.urls import path

from opspor.web.riskmodels import views

app_name = "riskmodels"

urlpatterns = [
    path("", views.models_list, name="list"),
    path("tilbage/", views.rollback, name="rollback"),
    path("<str:model_id>/", views.card, name="card"),
    path("<str:model_id>/kort.pdf", views.card_pdf, name="card_pdf"),
    path("<str:model_id>/<str:step>/", views.step, name="step"),
]
