from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from sessions.models import (
    Announcement,
    Campaign,
    CampaignEvent,
    Capture,
    CaptureLog,
    CaptureSession,
    ConfirmationImport,
    Coordinator,
    CoordinatorChange,
    CoordinatorLink,
    CorrectionRequest,
    Device,
    Photo,
    PhotoIntake,
    PhotoIntakeBatch,
    RosterImport,
    SlotUnit,
    Station,
    TimeSlot,
    UnitPrints,
    WalkIn,
)


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    # The CHSI-style lookup address: "www.example.cn" means https (Django 6's default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = [
        "title",
        "cohort",
        "status",
        "onsite_fee",
        "offsite_fee",
        "coordinator_deadline",
    ]
    list_filter = ["status", "cohort"]
    search_fields = ["title", "title_en"]
    # Publishing and closing are services with a log entry (the office's dashboard).
    readonly_fields = ["status"]


class TimeSlotInline(admin.TabularInline):
    model = TimeSlot
    extra = 0


class AssignsSessions:
    """A change here can change which session students belong to: the schedule's rule
    (sessions.services.assignment) runs again in the same transaction."""

    def _reassign(self, request, campaign_id):
        from capture_portal.actors import Actor
        from sessions.services.assignment import captures_assign_sessions

        captures_assign_sessions(actor=Actor.of(request.user), campaign_id=campaign_id)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self._reassign(request, self._campaign_id(obj))

    def delete_model(self, request, obj):
        campaign_id = self._campaign_id(obj)
        super().delete_model(request, obj)
        self._reassign(request, campaign_id)

    def delete_queryset(self, request, queryset):
        campaign_ids = {self._campaign_id(obj) for obj in queryset}
        super().delete_queryset(request, queryset)
        for campaign_id in campaign_ids:
            self._reassign(request, campaign_id)


@admin.register(CaptureSession)
class CaptureSessionAdmin(AssignsSessions, admin.ModelAdmin):
    list_display = [
        "campaign",
        "kind",
        "date",
        "start",
        "end",
        "campus",
        "place",
        "cameras",
        "schedule_published",
    ]
    list_filter = ["campaign", "kind", "schedule_published"]
    inlines = [TimeSlotInline]

    def _campaign_id(self, obj):
        return obj.campaign_id


@admin.register(TimeSlot)
class TimeSlotAdmin(admin.ModelAdmin):
    list_display = ["session", "order", "start", "end"]
    list_filter = ["session__campaign"]


@admin.register(SlotUnit)
class SlotUnitAdmin(AssignsSessions, admin.ModelAdmin):
    list_display = ["session", "slot", "order", "unit", "split_by"]
    list_filter = ["session__campaign", "unit"]
    list_select_related = ["session", "slot", "unit"]

    def _campaign_id(self, obj):
        return obj.session.campaign_id


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


@admin.register(WalkIn)
class WalkInAdmin(ReadOnlyAdmin):
    """Walk-ins are recorded at the doors and resolved on the office's walk-in page."""

    list_display = ["recorded_at", "session", "station", "status", "resolved_by", "resolved_at"]
    list_filter = ["session__campaign", "status"]
    search_fields = ["student_no", "name", "unit_text"]
    list_select_related = ["session", "resolved_by"]


@admin.register(ConfirmationImport)
class ConfirmationImportAdmin(ReadOnlyAdmin):
    list_display = ["uploaded_at", "file_name", "campaign", "status", "uploaded_by"]
    list_filter = ["campaign", "status"]
    search_fields = ["file_name"]
    list_select_related = ["campaign", "uploaded_by"]
    exclude = ["rows"]


@admin.register(CorrectionRequest)
class CorrectionRequestAdmin(ReadOnlyAdmin):
    """Requests are made on the counsellor's unit page and decided on the office's page."""

    list_display = ["requested_at", "capture", "from_status", "to_status", "status"]
    list_filter = ["status"]
    search_fields = ["reason"]
    list_select_related = ["capture__student"]


@admin.register(UnitPrints)
class UnitPrintsAdmin(ReadOnlyAdmin):
    list_display = ["unit", "campaign", "arrived_at", "recorded_by"]
    list_filter = ["campaign"]
    search_fields = ["unit__name"]
    list_select_related = ["unit", "campaign", "recorded_by"]


@admin.register(PhotoIntake)
class PhotoIntakeAdmin(ReadOnlyAdmin):
    """Deliveries are taken in on the office's photo page; the files are never linked here
    (personal data, served only through the permission-checked photo view)."""

    list_display = ["uploaded_at", "file_name", "campaign", "session", "status", "uploaded_by"]
    list_filter = ["campaign", "status"]
    search_fields = ["file_name"]
    list_select_related = ["campaign", "session", "uploaded_by"]
    exclude = ["archive"]


@admin.register(PhotoIntakeBatch)
class PhotoIntakeBatchAdmin(ReadOnlyAdmin):
    """What a preview found per file, a batch of files each; written only by the intake
    service."""

    list_display = ["intake", "number", "files"]
    list_select_related = ["intake"]

    @admin.display(description=_("文件数"))
    def files(self, batch):
        return len(batch.rows)


@admin.register(Photo)
class PhotoAdmin(ReadOnlyAdmin):
    list_display = ["capture", "size", "width", "height", "mode", "received_at"]
    search_fields = ["source_name"]
    list_select_related = ["capture__student"]
    exclude = ["file", "token"]


@admin.register(Announcement)
class AnnouncementAdmin(ReadOnlyAdmin):
    """Posted and withdrawn on the office's announcements page (a logged service)."""

    list_display = ["starts_at", "text", "campaign", "session", "ends_at", "withdrawn_at"]
    list_filter = ["campaign"]
    search_fields = ["text", "text_en"]
    list_select_related = ["campaign", "session"]
