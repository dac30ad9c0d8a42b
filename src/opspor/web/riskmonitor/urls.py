from django.urls import path

from opspor.web.riskmonitor import views

app_name = "riskmonitor"

urlpatterns = [
    path("", views.page, name="page"),
    path("<str:run_id>.pdf", views.pdf, name="pdf"),
]
