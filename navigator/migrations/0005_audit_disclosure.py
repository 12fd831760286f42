# Disclosure audit: where an event came from (endpoint) and what of a
# person's record a response showed (disclosed); LIST for being shown among others.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('navigator', '0002_audit_append_only'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditevent',
            name='disclosed',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='endpoint',
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='action',
            field=models.CharField(choices=[('create', 'Created'), ('update', 'Updated'), ('delete', 'Deleted (soft)'), ('restore', 'Restored'), ('view', 'Viewed'), ('list', 'Listed')], max_length=16),
        ),
    ]
