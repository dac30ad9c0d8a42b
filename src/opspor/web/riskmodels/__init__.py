"""The risk models' page: every registered model with its card; propose, approve, select and
roll back (opspor.risk.governance), each step audited. No Django models: the registry and the
decision log are files under $OPSPOR_HOME/risk (docs/risk.md, "Governance")."""
