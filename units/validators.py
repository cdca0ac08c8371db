import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# A mainland mobile number, or a landline with its area code (0311-87657669), both in the
# form normalise_phone() stores.
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{9,11}$")
# What people put between the digits: spaces, dashes, dots, brackets around the area code.
PHONE_SEPARATORS_RE = re.compile(r"[\s\-.()]")


def normalise_phone(value):
    """The phone as stored: a mobile as 11 digits, a landline as area code, dash, number.

    "+86 138-0311-1234" → "13803111234", "(0311) 8765 4321" → "0311-87654321". Anything
    else comes back compacted but otherwise as written, for validate_phone to refuse.
    """
    # NFKC first: full-width digits and brackets （０３１１） become ASCII.
    text = PHONE_SEPARATORS_RE.sub("", unicodedata.normalize("NFKC", str(value or "")))
    for prefix in ("+86", "0086"):
        if text.startswith(prefix) and len(text) > len(prefix) + 9:
            text = text[len(prefix) :]
            break
    if LANDLINE_RE.match(text):
        # Beijing (010) and the 02x cities have 3-digit area codes; every other has 4.
        split = 3 if text[1] in "12" else 4
        text = f"{text[:split]}-{text[split:]}"
    return text


def validate_phone(value):
    if not PHONE_RE.match(normalise_phone(value)):
        raise ValidationError(
            _("请输入 11 位手机号（如 13800000000）或带区号的固定电话（如 0311-87657669）。"),
            code="phone",
        )


# GB 11643-1999: the 18th character of a citizen ID number is a check digit over the first 17.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
# A value made of digits (an X may end it) is read as a mainland ID number; anything with
# letters is another document (passport, 港澳台 permits, a foreigner's residence card).
DIGITS_ID_RE = re.compile(r"^\d+X?$")


def id_check_digit(first17):
    return ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def id_number_problem(number):
    """Why an ID number (upper-case, no spaces) cannot be right, as a code, or None.

    Codes: "check_digit" (18 characters whose last is not the GB 11643 check digit),
    "first_generation" (15 digits: the pre-1999 card, replaced by the 18-digit number),
    "short" (17 characters: one left out), "length" (digits, neither 18 nor short enough
    to be another document), "format" (anything else unreadable).
    """
    if len(number) == 18 and number[:17].isdigit():
        if number[17] not in "0123456789X":
            return "format"
        return None if id_check_digit(number[:17]) == number[17] else "check_digit"
    if DIGITS_ID_RE.match(number) and len(number) >= 15:
        if len(number) == 15 and number.isdigit():
            return "first_generation"
        if len(number) == 17:
            return "short"
        return "length"
    # Another document: only its last 4 characters are kept, so at least 4 are needed.
    if len(number) < 4 or not number.isascii() or not number.isalnum():
        return "format"
    return None
