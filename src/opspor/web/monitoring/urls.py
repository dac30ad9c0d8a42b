from django.urls import path

from opspor.web.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("indikator/<slug:indicator_id>/v<str:version>/", views.indicator, name="indicator"),
    path("indikator/<slug:indicator_id>/v<str:version>/<str:period_kind>.<str:fmt>", views.indicator_export,
         name="indicator_export"),
    path("udrulning/", views.rollout, name="rollout"),
    path("udrulning/plan/", views.rollout_plan, name="rollout_plan"),
    path("udrulning/<slug:table>.<str:fmt>", views.rollout_export, name="rollout_export"),
    path("effekt/", views.effect, name="effect"),
    path("opgaver/", views.register, name="register"),
    path("opgaver/forfaldne/", views.due, name="due"),
    path("opgaver/aarshjul/", views.aarshjul, name="aarshjul"),
    path("opgaver/<int:pk>/", views.task_edit, name="task_edit"),
    path("opgaver/foelgegruppe/<int:pk>.pdf", views.group_pdf, name="group_pdf"),
    path("rapporter/", views.reports, name="reports"),
    path("rapporter/<str:name>/<str:file>", views.report_file, name="report_file"),
]
