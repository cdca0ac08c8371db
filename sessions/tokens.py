"""Signed pass tokens: the student's page, the pass, its QR code and the door scanners.

A token names a student and a campaign and is signed with the project's secret and a
salt of its own, so it cannot be forged, altered or reused for another purpose. It
carries ids only, never a student number or a name. It does not expire by itself: it
stops working when the campaign closes (checked where it is read).
"""

from django.core import signing

SALT = "capture_portal.sessions.pass.v1"
_signer = signing.Signer(salt=SALT)


class BadToken(Exception):
    pass


def pass_token(student_id, campaign_id):
    return _signer.sign_object([student_id, campaign_id])


def read_pass_token(token):
    """(student_id, campaign_id) of a genuine token; BadToken for anything else."""
    try:
        value = _signer.unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError, UnicodeDecodeError):
        raise BadToken from None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise BadToken
    return value[0], value[1]


LINK_SALT = "capture_portal.sessions.coordinator_link.v1"
_link_signer = signing.Signer(salt=LINK_SALT)


def link_token(unit_id, campaign_id, nonce):
    return _link_signer.sign_object([unit_id, campaign_id, nonce])


def read_link_token(token):
    """(unit_id, campaign_id, nonce) of a genuine coordinator link; BadToken otherwise."""
    try:
        value = _link_signer.unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError, UnicodeDecodeError):
        raise BadToken from None
    if (
        not isinstance(value, list)
        or len(value) != 3
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value[:2])
        or not isinstance(value[2], str)
    ):
        raise BadToken
    return value[0], value[1], value[2]
