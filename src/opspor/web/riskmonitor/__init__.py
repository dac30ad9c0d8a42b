"""The risk model's monitoring after deployment in the web app (issue 17): the runs published by
``opspor risk monitor --publish`` (figures per unit, no person), their alerts to the programme
leads of the regions concerned, the page for the programme lead and the secretariat and its PDF.
docs/risk.md, "Monitoring after deployment"."""
