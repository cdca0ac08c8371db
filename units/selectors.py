from units.models import UnitMembership


def counsellor_unit_ids(user):
    """The ids of the units a user looks after as counsellor (empty for anyone else)."""
    if user is None or not user.is_authenticated:
        return frozenset()
    if not hasattr(user, "_capture_unit_ids"):
        user._capture_unit_ids = frozenset(
            UnitMembership.objects.filter(
                user=user, role=UnitMembership.Role.COUNSELLOR
            ).values_list("unit_id", flat=True)
        )
    return user._capture_unit_ids
