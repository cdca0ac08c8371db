import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# A mainland mobile number, or a landline with its area code (0311-87657669).
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


def normalise_phone(value):
    import unicodedata

    return re.sub(r"[\s]", "", unicodedata.normalize("NFKC", value or ""))


def validate_phone(value):
    if not PHONE_RE.match(normalise_phone(value)):
        raise ValidationError(
            _("请输入 11 位手机号（如 13800000000）或带区号的固定电话（如 0311-87657669）。"),
            code="phone",
        )
