"""Monitoring and evaluation: health-agreement indicators, targets, monitoring tasks, programme
rollout and effect, the committee report (docs/monitoring.md).

* :mod:`~opspor.monitor.definitions`   ``config/indicators.yaml`` -> indicator objects (clear errors)
* :mod:`~opspor.monitor.indicator_sql` one DuckDB query per indicator version, counts per age band
* :mod:`~opspor.monitor.indicators`    ``compute(con, by=..., period=...)`` -> crude and standardised rows
* :mod:`~opspor.monitor.rates`         confidence intervals, direct age standardisation
* :mod:`~opspor.monitor.suppression`   small numbers outside the region (primary and secondary)
* :mod:`~opspor.monitor.export`        CSV / XLSX
* :mod:`~opspor.monitor.targets`       ``config/targets.yaml``: paths, rebasing, status
* :mod:`~opspor.monitor.tasks`         the monitoring-task register's logic (due dates, årshjul, counts)
* :mod:`~opspor.monitor.register`      a register from YAML; :mod:`~opspor.monitor.tasks_pdf` one page per group
* :mod:`~opspor.monitor.rollout`       screening, enrolment, intake against plan, sessions
* :mod:`~opspor.monitor.randomisation` stratified permuted blocks, concealed until consent, audited
* :mod:`~opspor.monitor.effect`        intention-to-treat (statsmodels) and before-after with its limits
* :mod:`~opspor.monitor.references`    the pilot's and the national trial's published figures
* :mod:`~opspor.monitor.report`        the committee report (``report_build``, ``report_charts``,
  ``report_html``, ``report_pdf``); :mod:`~opspor.monitor.schedule` the monthly job

Modules are imported where used: ``import opspor.monitor`` is cheap.
"""
