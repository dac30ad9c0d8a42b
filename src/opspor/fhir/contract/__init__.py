"""The data contract as FHIR: a drop (persons, contacts) <-> Patient, Encounter, Condition, Procedure.

``mapping`` holds the one mapping in both directions (documented in docs/fhir-import.md),
``export`` writes a drop as NDJSON or Bundle files, ``sources`` reads NDJSON and Bundle files
with the place of every resource, and ``imports`` turns them into a drop ``opspor ingest``
accepts. Models: ``fhir.resources.R4B`` (these four resources are the same in R4 and R4B).
"""
