from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language
from django_otp.admin import OTPAdminSite

from opspor.web.core import views

admin.site.__class__ = OTPAdminSite  # the admin needs a verified second factor

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    # browsers and tools ask for /favicon.ico whatever the page links
    path("favicon.ico", login_not_required(RedirectView.as_view(url=static("opspor/favicon.ico"), permanent=True))),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("konto/oidc/", include("opspor.web.signin.urls")),
    path("konto/", include("opspor.web.accounts.urls")),
    path("revision/", include("opspor.web.audit.urls")),
    path("lister/", include("opspor.web.worklists.urls")),
    path("aps/", include("opspor.web.aps.urls")),
    path("personer/", include("opspor.web.people.urls")),
    path("overvaagning/", include("opspor.web.monitoring.urls")),
    path("datavarsler/", include("opspor.web.alerts.urls")),
    path("meddelelser/modtag/", include("opspor.web.inbound.urls")),
    path("meddelelser/", include("opspor.web.messaging.urls")),
    path("tilbud/", include("opspor.web.directory.urls")),
    path("borger/maalinger/", include("opspor.web.telemonitoring.citizen_urls")),
    path("borger/plan/", include("opspor.web.careplan.citizen_urls")),
    path("borger/", include("opspor.web.citizen.urls")),
    path("telemonitorering/", include("opspor.web.telemonitoring.urls")),
    path("akut/", include("opspor.web.acute.urls")),
    path("samarbejde/", include("opspor.web.careplan.urls")),
    path("risikomodeller/", include("opspor.web.riskmodels.urls")),
    path("risikomodel/", include("opspor.web.riskmonitor.urls")),
    path("admin/", admin.site.urls),
    path("", include("opspor.web.core.urls")),
]

handler400 = "opspor.web.core.views.bad_request"
