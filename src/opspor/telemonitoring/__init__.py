"""Telemonitoring: home measurements as FHIR R4 Observations, read and validated fast
(``observations``), the accepted measurement kinds (``kinds``, ``config/measurements.yaml``),
the protocols with their thresholds and the triage (``protocols``, ``triage``,
``config/protocols.yaml``). Never imports the web app; ``web/telemonitoring`` stores and shows
(docs/telemonitoring.md)."""
