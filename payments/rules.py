"""Who owes the on-site fee: one rule for the service that refuses a tick, the sheet that
counts who is unpaid, and the row that says why there is no button.

The notice: the 20 yuan is handed to the Xinhua staff at the on-site capture. A student
who goes to a Xinhua centre instead (分散采集) pays 45 yuan there, which the unit does not
record; an exempt student is not photographed at all. An absent student has missed the
session and owes nothing until the office puts them back on the on-site path (a make-up
session makes them expected again, a matched walk-in photographed), which brings the tick
back by itself; money taken from them meanwhile would only be a refund owed (应退).
"""

from django.utils.translation import gettext_lazy as _

from sessions.models import Capture

S = Capture.Status

# Students on the way to, or through, the on-site capture.
FEE_DUE_STATUSES = frozenset({S.EXPECTED, S.ARRIVED, S.PHOTOGRAPHED})

_OFFSITE = _("分散采集，在采集点自行缴费，不在此登记。")
NO_FEE_REASONS = {
    S.OFFSITE: _OFFSITE,
    S.SHEET_RECEIVED: _OFFSITE,
    S.VERIFIED: _OFFSITE,
    S.EXEMPT: _("免采，无需缴费。"),
    S.ABSENT: _("缺席集中采集，暂不收费；安排补拍后再登记。"),
}


def fee_due(status):
    """Whether a student in this capture status owes the on-site fee."""
    return status in FEE_DUE_STATUSES


def no_fee_reason(status):
    """Why a student in this status owes nothing here ("" when they do owe)."""
    if fee_due(status):
        return ""
    return NO_FEE_REASONS.get(status, _("无需在此缴费。"))
