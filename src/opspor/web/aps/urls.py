from django.urls import path

from opspor.web.aps import views

app_name = "aps"

urlpatterns = [
    # the support nurse
    path("min-dag/", views.day, name="day"),
    path("min-uge/", views.week, name="week"),
    path("forloeb/", views.caseload, name="caseload"),
    path("forloeb/eksport.<str:fmt>", views.caseload_export, name="caseload_export"),
    path("forloeb/<int:pk>/", views.case_detail, name="case"),
    path("forloeb/<int:pk>/samtykke/", views.consent, name="consent"),
    path("forloeb/<int:pk>/samtykke/<uuid:record_id>/kvittering.pdf", views.consent_receipt, name="consent_receipt"),
    path("forloeb/<int:pk>/afslag/", views.refuse, name="refuse"),
    path("forloeb/<int:pk>/ikke-truffet/", views.not_reached, name="not_reached"),
    path("forloeb/<int:pk>/opstart/", views.startup, name="startup"),
    path("forloeb/<int:pk>/samtaler/planlaeg/<str:kind>/", views.plan_session, name="plan_session"),
    path("forloeb/<int:pk>/samtaler/<int:session_pk>/", views.record_session, name="record_session"),
    path("forloeb/<int:pk>/maal/", views.add_goal, name="add_goal"),
    path("forloeb/<int:pk>/maal/<int:goal_pk>/", views.update_goal, name="update_goal"),
    path("forloeb/<int:pk>/plan/", views.save_plan, name="save_plan"),
    path("forloeb/<int:pk>/notater/", views.add_note, name="add_note"),
    path("forloeb/<int:pk>/beskeder/", views.send_message, name="send_message"),
    path("forloeb/<int:pk>/spoergeskema/", views.record_questionnaire, name="record_questionnaire"),
    path("forloeb/<int:pk>/spoergeskema/send/", views.schedule_questionnaires, name="schedule_questionnaires"),
    path("forloeb/<int:pk>/spoergeskema/<int:response_pk>/set/", views.review_response, name="review_response"),
    path("forloeb/<int:pk>/spoergeskema/<int:response_pk>/fhir.json", views.response_fhir, name="response_fhir"),
    path("forloeb/<int:pk>/spoergeskema/invitation/<uuid:request_id>/set/", views.review_unanswered,
         name="review_unanswered"),
    path("forloeb/<int:pk>/afslut/", views.end, name="end"),
    # the programme lead
    path("forloeb/<int:pk>/sygeplejerske/", views.reassign, name="reassign"),
    path("program/", views.programme, name="programme"),
    path("program/eksport.<str:fmt>", views.programme_export, name="programme_export"),
    path("program/modelrapport/", views.model_report, name="model_report"),
    path("program/inviter/", views.invite, name="invite"),
    path("program/henvist/", views.refer, name="refer"),
    path("program/vis/<uuid:public_id>/", views.reveal, name="reveal"),
    path("sygeplejersker/", views.nurses, name="nurses"),
    path("sygeplejersker/<int:nurse_pk>/kapacitet/", views.set_capacity, name="set_capacity"),
]
