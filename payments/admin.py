from django.contrib import admin

from payments.models import FeeEntry, Handover


@admin.register(FeeEntry)
class FeeEntryAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Handover)
class HandoverAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
