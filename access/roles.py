"""The human roles: Django groups, created by a migration."""

RELEASE_MANAGERS = "release-managers"
ENGINEERS = "engineers"
AUDITORS = "auditors"
ALL_ROLES = [RELEASE_MANAGERS, ENGINEERS, AUDITORS]


def user_actor(user) -> str:
    return f"user:{user.get_username()}"
