from django.contrib import admin

from sessions.models import (
    Campaign,
    CampaignEvent,
    Capture,
    CaptureLog,
    CaptureSession,
    Coordinator,
    CoordinatorChange,
    CoordinatorLink,
    Device,
    RosterImport,
    SlotUnit,
    Station,
    TimeSlot,
)


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "cohort",
        "status",
        "onsite_fee",
        "offsite_fee",
        "coordinator_deadline",
    ]
    list_filter = ["status", "cohort"]
    search_fields = ["title"]
    # Publishing and closing are services with a log entry (the office's dashboard).
    readonly_fields = ["status"]


class TimeSlotInline(admin.TabularInline):
    model = TimeSlot
    extra = 0


@admin.register(CaptureSession)
class CaptureSessionAdmin(admin.ModelAdmin):
    list_display = ["campaign", "date", "start", "end", "place", "cameras", "schedule_published"]
    list_filter = ["campaign", "schedule_published"]
    inlines = [TimeSlotInline]


@admin.register(TimeSlot)
class TimeSlotAdmin(admin.ModelAdmin):
    list_display = ["session", "order", "start", "end"]
    list_filter = ["session__campaign"]


@admin.register(SlotUnit)
class SlotUnitAdmin(admin.ModelAdmin):
    list_display = ["session", "slot", "order", "unit"]
    list_filter = ["session__campaign", "unit"]
    list_select_related = ["session", "slot", "unit"]


@admin.register(Coordinator)
class CoordinatorAdmin(admin.ModelAdmin):
    list_display = ["unit", "position", "name", "phone", "registered_by", "registered_at"]
    list_filter = ["campaign", "unit"]
    search_fields = ["name", "phone", "unit__name"]
    list_select_related = ["unit", "registered_by"]
    raw_id_fields = ["student"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Status is changed only by the transition services; the admin only looks."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Capture)
class CaptureAdmin(ReadOnlyAdmin):
    list_display = [
        "student_no",
        "student_name",
        "unit",
        "campaign",
        "status",
        "status_at",
        "status_station",
        "shooting_no",
    ]
    list_filter = ["campaign", "status", "student__unit"]
    search_fields = ["student__student_no", "student__name"]
    list_select_related = ["student__unit", "campaign"]
    list_per_page = 50

    @admin.display(description="学号", ordering="student__student_no")
    def student_no(self, obj):
        return obj.student.student_no

    @admin.display(description="姓名", ordering="student__name")
    def student_name(self, obj):
        return obj.student.name

    @admin.display(description="培养单位", ordering="student__unit__display_order")
    def unit(self, obj):
        return obj.student.unit


@admin.register(CaptureLog)
class CaptureLogAdmin(ReadOnlyAdmin):
    list_display = [
        "occurred_at",
        "recorded_at",
        "capture",
        "action",
        "from_status",
        "to_status",
        "actor_user",
        "actor_device",
        "actor_label",
        "station",
    ]
    list_filter = ["action", "to_status", "capture__campaign", "capture__student__unit"]
    search_fields = ["capture__student__student_no", "capture__student__name"]
    list_select_related = ["capture__student", "actor_user", "actor_device"]
    list_per_page = 50


@admin.register(CoordinatorChange)
class CoordinatorChangeAdmin(ReadOnlyAdmin):
    list_display = ["changed_at", "unit", "position", "name", "phone", "changed_by"]
    list_filter = ["campaign", "unit"]
    search_fields = ["name", "phone", "unit__name"]
    list_select_related = ["unit", "changed_by"]


@admin.register(RosterImport)
class RosterImportAdmin(ReadOnlyAdmin):
    list_display = [
        "uploaded_at",
        "file_name",
        "status",
        "uploaded_by",
        "committed_by",
        "committed_at",
    ]
    list_filter = ["campaign", "status"]
    search_fields = ["file_name"]
    exclude = ["rows"]


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    list_display = ["session", "order", "name", "kind", "active"]
    list_filter = ["session__campaign", "kind", "active"]
    search_fields = ["name"]


@admin.register(CoordinatorLink)
class CoordinatorLinkAdmin(ReadOnlyAdmin):
    """Links are made and rotated from the unit page; the admin only shows when."""

    list_display = ["unit", "campaign", "created_by", "created_at"]
    list_filter = ["campaign"]
    search_fields = ["unit__name"]
    exclude = ["nonce"]


@admin.register(Device)
class DeviceAdmin(ReadOnlyAdmin):
    """Devices are paired and revoked on the office's stations page (a logged service);
    the admin only shows them. The token and pairing code are never shown: only hashes
    are stored."""

    list_display = ["name", "station", "created_by", "created_at", "paired_at", "revoked_at"]
    list_filter = ["station__session__campaign", "station"]
    search_fields = ["name", "station__name"]
    list_select_related = ["station", "created_by"]
    exclude = ["token_hash", "pairing_hash"]


@admin.register(CampaignEvent)
class CampaignEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "campaign", "action", "from_status", "to_status", "actor", "note"]
    list_filter = ["campaign", "action"]
    search_fields = ["note"]
    list_select_related = ["campaign", "actor"]
