"""Monitoring in the web app: the indicator dashboard (read from results published by
``opspor monitor publish``), programme rollout, the follow-up groups' task register and the
committee reports. Aggregates only: no page here shows a person.

Modules: ``models`` (published indicator results, target status, the task register),
``publish`` (indicator results into the database), ``register`` (the register's YAML import and
its rows as :class:`opspor.monitor.tasks.MonitoringTask`), ``actions`` (register changes, audited),
``queries`` (what the pages read, with suppression for users outside the region), ``rollout``
(ORM rows fed to :mod:`opspor.monitor.rollout`), ``charts`` (SVG from
:mod:`opspor.monitor.report_charts`), ``views``.
"""
