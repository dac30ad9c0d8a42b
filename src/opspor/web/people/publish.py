"""The people app's part of publishing a lists run: the listed and eligible persons, fetched from
the run's snapshot, written into :class:`Person` (created or brought up to date). Called by
``opspor.web.worklists.publish`` inside the publication's transaction."""

from __future__ import annotations

import pyarrow as pa

from opspor.store import schema
from opspor.web.people.models import Person

PERSON_FIELDS = ("cpr", "name", "birth_date", "sex", "municipality_code", "region_code",
                 "gp_provider_number", "residence_type", "death_date", "phone", "email", "snapshot_id")

# the snapshot's columns, in the order of the rows handed to upsert(); {contact}: phone and
# e-mail (NULL from a snapshot made before the contract had them)
SNAPSHOT_QUERY = """
    SELECT p.person_key, i.cpr, i.name, p.birth_date, p.sex, p.municipality_code, p.region_code,
           p.gp_provider_number, p.residence_type, p.death_date, {contact}
    FROM persons p JOIN wanted USING (person_key) LEFT JOIN identity i USING (person_key)
"""


def read(con, keys: list[str]) -> list[tuple]:
    """The person rows of ``keys`` from an open snapshot engine (:mod:`opspor.engines`)."""
    con.register("wanted", pa.table({"person_key": keys}))
    present = set(con.query("SELECT * FROM identity LIMIT 0").column_names)
    contact = ", ".join(f"i.{c}" if c in present else f"NULL AS {c}" for c in schema.LATER_COLUMNS["identity"])
    return con.rows(SNAPSHOT_QUERY.format(contact=contact))


def by_key(keys: list[str], chunk: int = 5000) -> dict[str, Person]:
    """Persons by key, in chunks (SQLite limits the number of parameters of one query)."""
    out: dict[str, Person] = {}
    for i in range(0, len(keys), chunk):
        out.update((p.person_key, p) for p in Person.objects.filter(person_key__in=keys[i:i + chunk]))
    return out


def upsert(rows: list[tuple], snapshot_id: str) -> dict[str, Person]:
    """Create or update the persons of ``rows`` (from :func:`read`); returns them by key."""
    existing = by_key([r[0] for r in rows])
    new, changed = [], []
    for key, cpr, name, birth, sex, muni, region, gp, residence, death, phone, email in rows:
        values = {"cpr": cpr or "", "name": name or "", "birth_date": birth, "sex": sex or "",
                  "municipality_code": muni or "", "region_code": region or "",
                  "gp_provider_number": gp or "", "residence_type": residence or "",
                  "death_date": death, "phone": phone or "", "email": email or "", "snapshot_id": snapshot_id}
        person = existing.get(key)
        if person is None:
            new.append(Person(person_key=key, **values))
        else:
            for field, value in values.items():
                setattr(person, field, value)
            changed.append(person)
    Person.objects.bulk_create(new, batch_size=2000)
    Person.objects.bulk_update(changed, PERSON_FIELDS, batch_size=2000)
    return by_key([r[0] for r in rows])
