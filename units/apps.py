from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

ADMIN_APPS = ("units", "capture_sessions", "payments")


def grant_office_permissions(sender, using="default", **kwargs):
    """The office group may use the admin for every model of the portal.

    Runs after every migrate, once Django has created the permissions.
    """
    from django.contrib.auth.models import Group, Permission

    from capture_portal.permissions import OFFICE_GROUP

    group = Group.objects.using(using).filter(name=OFFICE_GROUP).first()
    if group is None:
        return
    perms = Permission.objects.using(using).filter(content_type__app_label__in=ADMIN_APPS)
    group.permissions.add(*perms)


class UnitsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "units"
    verbose_name = _("培养单位与学生")

    def ready(self):
        post_migrate.connect(grant_office_permissions, dispatch_uid="grant_office_permissions")
