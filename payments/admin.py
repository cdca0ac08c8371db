from django.contrib import admin

from payments.models import FeeEntry, Handover
from sessions.admin import ReadOnlyAdmin


@admin.register(FeeEntry)
class FeeEntryAdmin(ReadOnlyAdmin):
    """The ledger is append-only: entries are viewed here, corrected by a reversal entry."""

    list_display = [
        "recorded_at",
        "student",
        "kind",
        "amount",
        "method",
        "recorded_by",
        "recorded_by_label",
    ]
    list_filter = ["campaign", "kind", "method", "student__unit"]
    search_fields = ["student__student_no", "student__name"]
    list_select_related = ["student", "recorded_by"]


@admin.register(Handover)
class HandoverAdmin(ReadOnlyAdmin):
    """Handovers are recorded on the unit's fee page (a service); here they are only read."""

    list_display = [
        "received_at",
        "unit",
        "amount",
        "method",
        "received_by",
        "reference",
        "recorded_by",
    ]
    list_filter = ["campaign", "unit", "method"]
    search_fields = ["unit__name", "received_by", "reference"]
    list_select_related = ["unit", "recorded_by"]
