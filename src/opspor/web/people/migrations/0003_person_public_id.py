"""A random public id for every person, used in URLs instead of the sequential primary key.
Existing rows get one each (a data migration between adding the column and making it unique)."""

import uuid

from django.db import migrations, models


def fill_public_ids(apps, schema_editor):
    Person = apps.get_model("people", "Person")
    batch = []
    for person in Person.objects.filter(public_id__isnull=True).only("pk").iterator(chunk_size=2000):
        person.public_id = uuid.uuid4()
        batch.append(person)
        if len(batch) == 2000:
            Person.objects.bulk_update(batch, ["public_id"])
            batch = []
    Person.objects.bulk_update(batch, ["public_id"])


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0002_residence_choices'),
    ]

    operations = [
        migrations.AddField(
            model_name='person',
            name='public_id',
            field=models.UUIDField(editable=False, null=True, verbose_name='public id'),
        ),
        migrations.RunPython(fill_public_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='person',
            name='public_id',
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name='public id'),
        ),
    ]
