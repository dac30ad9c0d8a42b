"""FHIR R4 in and out: MedCom messages (outgoing) and the FHIR form of the data contract.

Models come from ``fhir.resources`` (its R4B package: the resources used here are unchanged
between R4 4.0.1, on which MedCom's profiles are built, and R4B 4.3.0).
"""
