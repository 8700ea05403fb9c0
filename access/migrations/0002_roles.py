from django.db import migrations

# Each role's model permissions; auditors only ever read.
ROLE_PERMISSIONS = {
    "release-managers": [
        "releases.add_service", "releases.change_service", "releases.view_service",
        "evidence.view_artifact", "access.add_apitoken", "access.view_apitoken",
    ],
    "engineers": ["releases.view_service", "evidence.view_artifact"],
    "auditors": ["releases.view_service", "evidence.view_artifact", "ledger.view_ledgerentry"],
}  # fmt: skip


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for code in codes:
            app_label, codename = code.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("evidence", "0001_initial"),
        ("ledger", "0001_initial"),
        ("releases", "0001_initial"),
    ]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
