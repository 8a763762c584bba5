from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("inspector", "0003_collectionrun_cancelled_by"),
    ]

    operations = [
        migrations.AddField(
            model_name="collectionrun",
            name="replaced",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
