from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

ADMIN_APPS = ("units", "capture_sessions", "payments")


# Plain data the office keeps in the admin; every other model of the portal is a record
# written by the services (ledger, handovers, logs, imports, devices) and only viewed there.
PLAIN_DATA = {
    "units": {"trainingunit", "student", "unitmembership"},
    "capture_sessions": {"campaign", "capturesession", "timeslot", "slotunit", "station"},
}


def grant_office_permissions(sender, using="default", **kwargs):
    """The office group may view every model of the portal in the admin, and add, change
    or delete the plain data only. Runs after every migrate, once Django has made the
    permissions; it sets the group's permissions to exactly these."""
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    from capture_portal.permissions import OFFICE_GROUP

    group = Group.objects.using(using).filter(name=OFFICE_GROUP).first()
    if group is None:
        return
    plain = Q()
    for app, models in PLAIN_DATA.items():
        plain |= Q(content_type__app_label=app, content_type__model__in=models)
    perms = Permission.objects.using(using).filter(
        Q(content_type__app_label__in=ADMIN_APPS) & (Q(codename__startswith="view_") | plain)
    )
    group.permissions.set(perms)


class UnitsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "units"
    verbose_name = _("培养单位与学生")

    def ready(self):
        post_migrate.connect(grant_office_permissions, dispatch_uid="grant_office_permissions")
