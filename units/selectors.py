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


def visible_units(user):
    """Units a user may see: all active ones for the office, their own for a counsellor."""
    from capture_portal.permissions import is_office
    from units.models import TrainingUnit

    units = TrainingUnit.objects.filter(active=True)
    if is_office(user):
        return units
    return units.filter(pk__in=counsellor_unit_ids(user))


def access_unit(user, unit_id):
    """The unit if the user may see it; 404 otherwise, exactly like a missing one."""
    from django.http import Http404

    unit = visible_units(user).filter(pk=unit_id).first()
    if unit is None:
        raise Http404
    return unit


def may_act_for_unit(actor, unit_id, *, links=False):
    """Whether an actor may change things of a unit: the office, the unit's counsellors,
    and, where the service allows it (`links=True`), the unit's coordinator link."""
    if actor.is_office:
        return True
    if actor.coordinator_unit_id is not None:
        return links and actor.coordinator_unit_id == unit_id
    return actor.user is not None and unit_id in counsellor_unit_ids(actor.user)
