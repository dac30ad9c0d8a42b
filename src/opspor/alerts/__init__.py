"""Data alerts: each month, per municipality and GP practice, the patients with repeated acute
contacts against the number expected for the unit's age and sex mix (docs/alerts.md).

Aggregates only: the computation reads persons and contacts from a snapshot and returns counts
per unit; no person key leaves this package.
"""

from opspor.alerts.compute import AlertResult, AlertTable, compute, last_complete_month
from opspor.alerts.settings import AlertConfig, load_config

__all__ = ["AlertConfig", "AlertResult", "AlertTable", "compute", "last_complete_month", "load_config"]
