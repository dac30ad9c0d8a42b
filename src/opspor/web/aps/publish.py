"""The aps app's part of publishing a lists run: the programme's pool (:class:`EligibilityEntry`).

Only the newest published run's pool is kept (it is the programme lead's current pool; older
pools can be re-made from their snapshots). Called by ``opspor.web.worklists.publish``: first
:func:`acute_admissions` on the snapshot (outside the transaction), then :func:`replace_pool`
inside the publication's transaction, which writes its own audit entry."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from django.utils.translation import gettext as _

from opspor.rules import concepts as clinical
from opspor.web.aps.models import EligibilityEntry
from opspor.web.audit import actions as audit


def acute_admissions(con, eligible_keys: list[str], as_of: dt.date) -> dict[str, int]:
    """Acute admissions (the concept ``acute_admission``, its length counted up to ``as_of``
    00:00 as in the eligibility rule) started in the period ``last_year`` of concepts.yaml before
    ``as_of``, per eligible person, from an open snapshot engine (:mod:`opspor.engines`)."""
    concepts = clinical.shipped()
    con.register("eligible", pa.table({"person_key": eligible_keys}))
    cutoff = dt.datetime.combine(as_of, dt.time())
    start = cutoff - dt.timedelta(days=concepts.days("last_year"))
    return dict(con.rows(f"""
        SELECT c.person_key, count(*) FROM contacts c JOIN eligible USING (person_key)
        WHERE c.start >= ? AND c.start < ? AND {concepts.sql("acute_admission", con.dialect, "c", cutoff)}
        GROUP BY c.person_key
    """, [start, cutoff]))


def replace_pool(actor, run, rows: list[dict], persons: dict, admissions: dict[str, int]) -> int:
    """Make ``rows`` (``data/eligibility.parquet`` of ``run``) the pool; inside a transaction."""
    EligibilityEntry.objects.exclude(run=run).delete()
    EligibilityEntry.objects.bulk_create([
        EligibilityEntry(run=run, person=persons[r["person_key"]], region_code=r["region_code"] or "",
                         municipality_code=r["municipality_code"] or "", routes=r["routes"],
                         excluded=r["excluded"], exclusion_reasons=r["exclusion_reasons"],
                         acute_admissions_12m=admissions.get(r["person_key"], 0))
        for r in rows
    ], batch_size=2000)
    audit.record(actor, audit.Event.APS_ELIGIBILITY, action=audit.CHANGE, why=_("Programme pool replaced by a lists run"),
                 detail={"run": run.run_id, "eligible": len(rows), "excluded": sum(1 for r in rows if r["excluded"])})
    return len(rows)
