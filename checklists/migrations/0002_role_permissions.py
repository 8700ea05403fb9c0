from django.db import migrations

ROLE_PERMISSIONS = {
    "release-managers": ["add_release", "change_release", "view_release"],
    "engineers": ["view_release"],
    "auditors": ["view_release"],
}


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    config = apps.get_app_config("checklists")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="checklists", codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [("checklists", "0001_initial"), ("access", "0002_roles")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
