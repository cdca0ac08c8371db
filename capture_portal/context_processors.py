from capture_portal import permissions


def roles(request):
    """The signed-in user's roles, for the navigation."""
    user = getattr(request, "user", None)
    return {
        "role_office": permissions.is_office(user),
        "role_counsellor": permissions.is_counsellor(user),
    }
