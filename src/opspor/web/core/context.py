"""The navigation each role sees (one list, so menus and home pages agree)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from opspor.web.accounts.roles import Role

# (url name, label) per role, in menu order
MENUS: dict[str, list[tuple[str, str]]] = {
    Role.SPECIALIST: [("worklists:today", _("Today's list")), ("worklists:history", _("Earlier lists"))],
    Role.NURSE: [("aps:day", _("My day")), ("aps:week", _("My week")), ("aps:caseload", _("My caseload"))],
    Role.PROGRAMME_LEAD: [("aps:programme", _("Programme")), ("aps:nurses", _("Nurses and capacity"))],
    Role.MUNICIPALITY: [("core:citizens", _("Our citizens"))],
    Role.SECRETARIAT: [("core:overview", _("Overview"))],
    Role.AUDITOR: [("audit:search", _("Audit log")), ("audit:access_report", _("Access report"))],
    Role.ADMIN: [("admin:index", _("Administration"))],
    Role.CITIZEN: [("citizen:home", _("My page"))],
    Role.RELATIVE: [("citizen:home", _("My page"))],
}

# Monitoring (opspor.web.monitoring): appended, so each role's home page stays its first entry.
MENUS[Role.SECRETARIAT] += [("monitoring:dashboard", _("Indicators")), ("monitoring:rollout", _("Rollout")),
                            ("monitoring:register", _("Monitoring tasks")), ("monitoring:reports", _("Committee reports"))]
MENUS[Role.PROGRAMME_LEAD] += [("monitoring:dashboard", _("Indicators")), ("monitoring:rollout", _("Rollout")),
                               ("monitoring:register", _("Monitoring tasks"))]
MENUS[Role.MUNICIPALITY] += [("monitoring:dashboard", _("Indicators"))]
# data alerts (web/alerts): the own unit's page; the region's overview for the secretariat
MENUS[Role.MUNICIPALITY] += [("alerts:mine", _("Data alerts"))]
MENUS[Role.SECRETARIAT] += [("alerts:overview", _("Data alerts"))]
# messages to GPs and municipalities (web/messaging): the outbox
MENUS[Role.SECRETARIAT] += [("messaging:outbox", _("Messages"))]
MENUS[Role.ADMIN] += [("messaging:outbox", _("Messages"))]
# messages received (the inbox): the region's received messages; a municipality's or practice's messages from opspor
for _role in (Role.SECRETARIAT, Role.ADMIN, Role.NURSE, Role.MUNICIPALITY):
    MENUS[_role].append(("messaging:inbox", _("Inbox")))
# the service directory (web/directory): the coordinator's home page, a menu entry for the others
MENUS[Role.MONITORING_NURSE] = [("telemonitoring:worklist", _("Alarms")),
                                ("telemonitoring:patients", _("Telemonitoring patients"))]
for _role in (Role.SPECIALIST, Role.NURSE):
    MENUS[_role].append(("telemonitoring:patients", _("Telemonitoring patients")))
for _role in (Role.SECRETARIAT, Role.PROGRAMME_LEAD):  # the evaluation (MAST), beside rollout and monitoring
    MENUS[_role].append(("telemonitoring:evaluation", _("Telemonitoring evaluation")))
MENUS[Role.COORDINATOR] = [("directory:offers", _("Service directory"))]
for _role in (Role.SPECIALIST, Role.NURSE, Role.MUNICIPALITY, Role.ACUTE_NURSE, Role.DOCTOR):
    MENUS.setdefault(_role, []).append(("directory:offers", _("Service directory")))
# the municipal acute function (web/acute): the team's home page; the referrers' referrals
MENUS[Role.ACUTE_NURSE].insert(0, ("acute:team", _("Acute function")))
MENUS[Role.DOCTOR].insert(0, ("acute:mine", _("Acute function")))
for _role in (Role.SPECIALIST, Role.MUNICIPALITY):
    MENUS[_role].append(("acute:mine", _("Acute function")))

# after the MDT (web/careplan): the task board of each sector
for _role in (Role.SPECIALIST, Role.NURSE, Role.MUNICIPALITY, Role.DOCTOR):
    MENUS[_role].append(("careplan:board", _("Tasks")))

# the risk models and their governance (web/riskmodels): who proposes, approves and selects
for _role in (Role.PROGRAMME_LEAD, Role.DOCTOR, Role.ADMIN, Role.AUDITOR):
    MENUS[_role].append(("riskmodels:list", _("Risk models")))
# the risk model's monitoring after deployment (web/riskmonitor)
for _role in (Role.SECRETARIAT, Role.PROGRAMME_LEAD):
    MENUS[_role].append(("riskmonitor:page", _("Risk model monitoring")))


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"menu": []}
    return {"menu": MENUS.get(user.role, [])}
