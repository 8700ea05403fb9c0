"""The human roles: Django groups, created by a migration."""

RELEASE_MANAGERS = "release-managers"
ENGINEERS = "engineers"
AUDITORS = "auditors"
ALL_ROLES = [RELEASE_MANAGERS, ENGINEERS, AUDITORS]


def user_actor(user) -> str:
    return f"user:{user.get_username()}"


# What each role may do, as Django model permissions (the migrations apply the same table).
ROLE_PERMISSIONS = {
    RELEASE_MANAGERS: [
        "releases.add_service", "releases.change_service", "releases.view_service", "evidence.view_artifact",
        "access.add_apitoken", "access.view_apitoken", "checklists.add_release", "checklists.change_release",
        "checklists.view_release",
    ],
    ENGINEERS: ["releases.view_service", "evidence.view_artifact", "checklists.view_release"],
    AUDITORS: ["releases.view_service", "evidence.view_artifact", "ledger.view_ledgerentry", "checklists.view_release"],
}  # fmt: skip


def roles_sync() -> None:
    """Create the role groups with their permissions (idempotent); for a database flushed by tests."""
    from django.contrib.auth.models import Group, Permission

    for role, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for code in codes:
            app_label, codename = code.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
