"""Programme 2's daily department lists and programme 1's eligibility, made, stored and watched.

* :mod:`~opspor.lists.build`      compute a day's lists on a snapshot; write every output file
* :mod:`~opspor.lists.model`      the lists grouped per department, in reading order
* :mod:`~opspor.lists.export_csv` the CSV files and the department file names (all CSV writing)
* :mod:`~opspor.lists.export_xlsx`, :mod:`~opspor.lists.export_pdf`, :mod:`~opspor.lists.texts`
                                  the human exports and their Danish words
* :mod:`~opspor.lists.runs`       stored runs (``$OPSPOR_HOME/lists/runs``) and atomic output folders
* :mod:`~opspor.lists.jobs`       ``run_lists`` (on the store, stored) and ``build_from_drop``
* :mod:`~opspor.lists.schedule`   run time, deadline, time zone: the one place for these settings
* :mod:`~opspor.lists.status`     is a day's list published; the alarm (also for the web app)
* :mod:`~opspor.lists.scheduler`  the long-running weekday scheduler

The rules themselves live in :mod:`opspor.rules`; see ``docs/lists.md`` and ``docs/rules.md``.
"""
