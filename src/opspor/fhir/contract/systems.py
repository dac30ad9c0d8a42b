"""Identifier systems, code systems and extension URLs of the FHIR form of the data contract.

Kept apart from ``mapping`` so the command line can name them without loading the FHIR models.
"""

# Danish systems, as in HL7 Denmark's DK Core and MedCom's profiles.
CPR_SYSTEM = "urn:oid:1.2.208.176.1.2"
YDERNUMMER_SYSTEM = "urn:oid:1.2.208.176.1.4"
SKS_SYSTEM = "urn:oid:1.2.208.176.2.4"
MUNICIPALITY_EXTENSION = "http://hl7.dk/fhir/core/StructureDefinition/dk-core-municipalityCodes"
MUNICIPALITY_SYSTEM = "http://hl7.dk/fhir/core/CodeSystem/dk-core-municipality-codes"
# HL7 terminology.
ACT_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ACT_PRIORITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActPriority"
# opspor's own: one base for every identifier system, code system and extension it defines.
BASE = "https://opspor.dk/fhir"
CONTACT_ID_SYSTEM = f"{BASE}/sid/contact-id"
HOSPITAL_UNIT_SYSTEM = f"{BASE}/sid/hospital-unit"
DEPARTMENT_SYSTEM = f"{BASE}/sid/department"
SPECIALTY_SYSTEM = f"{BASE}/CodeSystem/specialty"
CONTACT_TYPE_SYSTEM = f"{BASE}/CodeSystem/contact-type"
DIAGNOSIS_KIND_SYSTEM = f"{BASE}/CodeSystem/diagnosis-kind"
RESIDENCE_EXTENSION = f"{BASE}/StructureDefinition/residence-type"
COURSE_DEPARTMENT_EXTENSION = f"{BASE}/StructureDefinition/course-department"
DRG_EXTENSION = f"{BASE}/StructureDefinition/drg-value"
PATHWAY_EXTENSION = f"{BASE}/StructureDefinition/pathway"
# A person's random public id in the web app (the id in URLs): how devices and systems name the
# patient of a home measurement without the CPR number (docs/telemonitoring.md).
PERSON_PUBLIC_ID_SYSTEM = f"{BASE}/sid/person-public-id"
