from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaptureSessionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sessions"
    # django.contrib.sessions already owns the label "sessions".
    label = "capture_sessions"
    verbose_name = _("图像采集")
