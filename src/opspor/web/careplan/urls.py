from django.urls import path

from opspor.web.careplan import views

app_name = "careplan"

urlpatterns = [
    path("opgaver/", views.board, name="board"),
    path("opgaver/<int:pk>/status/", views.task_status, name="task_status"),
    path("mdt/<int:pk>/", views.follow_up, name="follow_up"),
    path("mdt/<int:pk>/deltager/", views.add_participant, name="add_participant"),
    path("mdt/<int:pk>/tjekliste/", views.from_checklist, name="from_checklist"),
    path("mdt/<int:pk>/opgave/", views.add_task, name="add_task"),
    path("mdt/<int:pk>/plads/", views.book_place, name="book_place"),
    path("mdt/<int:pk>/plads/<int:booking>/frigiv/", views.release_place, name="release_place"),
    path("plan/<uuid:public_id>/", views.plan, name="plan"),
    path("plan/<uuid:public_id>/gem/", views.plan_save, name="plan_save"),
    path("plan/<uuid:public_id>/careplan.json", views.plan_fhir, name="plan_fhir"),
]
