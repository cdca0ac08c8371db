from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.db import models
from django.db.models import F, Q
from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from units.models import Student, TrainingUnit


class Campaign(models.Model):
    """One year's image-capture campaign, with the notice's facts and free text.

    Each text of the notice has an English twin `<field>_en`, shown on English pages when
    set (capture_portal.localised): explicit fields rather than a translation library, as
    Announcement.text_en, so that the admin edits both side by side, the fixture and the
    next-year copy name them like any field, and a missing English text simply falls back
    to the Chinese."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        # "Closed" as a campaign is; an announcement's "已结束" is "Ended" (no context).
        CLOSED = "closed", pgettext_lazy("campaign status", "已结束")

    title = models.CharField(_("标题"), max_length=200)
    title_en = models.CharField(_("标题（英文）"), max_length=200, blank=True)
    cohort = models.PositiveSmallIntegerField(_("届别"))
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    onsite_fee = models.DecimalField(
        _("集中采集费用（元/人）"), max_digits=8, decimal_places=2, default=Decimal("20.00")
    )
    offsite_fee = models.DecimalField(
        _("分散采集费用（元/人）"), max_digits=8, decimal_places=2, default=Decimal("45.00")
    )
    print_spec = models.CharField(_("照片规格"), max_length=50, default="8张小二寸")
    print_spec_en = models.CharField(
        _("照片规格（英文）"), max_length=50, blank=True, default="8 small 2-inch prints"
    )
    school_code = models.CharField(_("院校代码"), max_length=10)
    # The notice names the school beside its code, for the off-site centres' forms.
    school_name = models.CharField(
        _("院校名称"), max_length=100, blank=True, default="河北经贸大学"
    )
    school_name_en = models.CharField(
        _("院校名称（英文）"),
        max_length=100,
        blank=True,
        default="Hebei University of Economics and Business",
    )
    # Who photographs on the day and takes the fee ("新华社河北图像采集中心").
    capture_centre = models.CharField(
        _("图像采集中心"), max_length=100, blank=True, default="新华社河北图像采集中心"
    )
    capture_centre_en = models.CharField(
        _("图像采集中心（英文）"),
        max_length=100,
        blank=True,
        default="Xinhua News Agency Hebei Image Capture Centre",
    )
    coordinator_deadline = models.DateTimeField(_("负责人报送截止时间"))
    issuer = models.CharField(_("发文单位"), max_length=100, blank=True)
    issuer_en = models.CharField(_("发文单位（英文）"), max_length=100, blank=True)
    issued_on = models.DateField(_("发文日期"), null=True, blank=True)
    contact_office = models.CharField(_("联系地点"), max_length=100, blank=True)
    contact_office_en = models.CharField(_("联系地点（英文）"), max_length=100, blank=True)
    contact_phones = models.JSONField(_("联系电话"), default=list, blank=True)
    intro = models.TextField(_("通知导语"), blank=True)
    intro_en = models.TextField(_("通知导语（英文）"), blank=True)
    participants = models.TextField(_("参加人员"), blank=True)
    participants_en = models.TextField(_("参加人员（英文）"), blank=True)
    dress_intro = models.TextField(_("仪容仪表说明"), blank=True)
    dress_intro_en = models.TextField(_("仪容仪表说明（英文）"), blank=True)
    # [{"title": "眼镜", "text": "常戴眼镜者应佩戴眼镜，…"}, …] in the notice's order.
    dress_rules = models.JSONField(_("仪容仪表要求"), default=list, blank=True)
    # The same list in English ([{"title": "Glasses", "text": "…"}, …]), whole: an English
    # page shows it instead of the Chinese one when it is not empty.
    dress_rules_en = models.JSONField(_("仪容仪表要求（英文）"), default=list, blank=True)
    offsite_centres_url = models.URLField(_("各地新华社采集点查询地址"), blank=True)
    # The province's own retake studio ("河北图像采集补拍地址"): the notice names the
    # province, so the pages do too (`offsite_region`), never "本省".
    offsite_region = models.CharField(
        _("补拍地点所在省份"), max_length=20, blank=True, default="河北"
    )
    offsite_region_en = models.CharField(
        _("补拍地点所在省份（英文）"), max_length=20, blank=True, default="Hebei"
    )
    offsite_studio_name = models.CharField(_("省内补拍地点名称"), max_length=100, blank=True)
    offsite_studio_name_en = models.CharField(
        _("省内补拍地点名称（英文）"), max_length=100, blank=True
    )
    offsite_studio_address = models.CharField(_("省内补拍地址"), max_length=200, blank=True)
    offsite_studio_address_en = models.CharField(
        _("省内补拍地址（英文）"), max_length=200, blank=True
    )
    offsite_studio_phone = models.CharField(_("省内补拍电话"), max_length=30, blank=True)
    # After the day: the students check their photo in 学信档案 (CHSI) between these dates;
    # off-site students hand in their sheet by `offsite_deadline`.
    confirmation_opens = models.DateField(_("学信网图像校对开始日期"), null=True, blank=True)
    confirmation_deadline = models.DateField(_("学信网图像校对截止日期"), null=True, blank=True)
    offsite_deadline = models.DateField(_("分散采集照片提交截止日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["-cohort", "-id"]
        verbose_name = _("采集活动")
        verbose_name_plural = _("采集活动")
        constraints = [
            models.CheckConstraint(
                condition=Q(onsite_fee__gte=0) & Q(offsite_fee__gte=0),
                name="campaign_fees_non_negative",
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        # The admin takes any JSON in these fields; the pages read exactly this shape
        # (fragment_dress.html, fixtures/notice.json), and anything else came out garbled
        # ("hello" as the rules "H: E: L: L: O:"). Say what is wrong, in the office's words.
        errors = {}
        for field in ("dress_rules", "dress_rules_en"):
            problem = _dress_rules_problem(getattr(self, field), DRESS_RULES_SHAPE[field])
            if problem:
                label = self._meta.get_field(field).verbose_name
                errors[field] = f"{label}{problem}"
        problem = _phones_problem(self.contact_phones)
        if problem:
            errors["contact_phones"] = (
                f"{self._meta.get_field('contact_phones').verbose_name}{problem}"
            )
        if errors:
            raise ValidationError(errors)


_JSON_KINDS = {str: _("文字"), int: _("数字"), float: _("数字"), bool: _("true/false")}
DRESS_RULES_SHAPE = {
    "dress_rules": '[{"title": "眼镜", "text": "常戴眼镜者应佩戴眼镜…"}, …]',
    "dress_rules_en": '[{"title": "Glasses", "text": "If you usually wear glasses…"}, …]',
}


def _json_kind(value):
    if value is None:
        return "null"
    if isinstance(value, dict):
        return _("对象 {…}")
    if isinstance(value, list):
        return _("列表 […]")
    return _JSON_KINDS.get(type(value), type(value).__name__)


def _dress_rules_problem(rules, example):
    """Why `rules` is not a list of {"title": text, "text": text}, or "" when it is."""
    shape = _("，形如 %(shape)s（每条只有“title”和“text”两项，都是文字）") % {"shape": example}
    if not isinstance(rules, list):
        return _("须为列表%(shape)s；现在是%(kind)s。") % {
            "shape": shape,
            "kind": _json_kind(rules),
        }
    for number, rule in enumerate(rules, start=1):
        if not isinstance(rule, dict):
            return _("第 %(n)s 条须为对象%(shape)s；现在是%(kind)s。") % {
                "n": number,
                "shape": shape,
                "kind": _json_kind(rule),
            }
        missing = [key for key in ("title", "text") if key not in rule]
        if missing:
            return _("第 %(n)s 条缺少%(keys)s%(shape)s。") % {
                "n": number,
                "keys": "、".join(f"“{key}”" for key in missing),
                "shape": shape,
            }
        extra = sorted(set(rule) - {"title", "text"})
        if extra:
            return _("第 %(n)s 条有多余的%(keys)s%(shape)s。") % {
                "n": number,
                "keys": "、".join(f"“{key}”" for key in extra),
                "shape": shape,
            }
        for key in ("title", "text"):
            if not isinstance(rule[key], str) or not rule[key].strip():
                return _("第 %(n)s 条的“%(key)s”须为非空文字%(shape)s；现在是%(kind)s。") % {
                    "n": number,
                    "key": key,
                    "shape": shape,
                    "kind": _("空文字") if isinstance(rule[key], str) else _json_kind(rule[key]),
                }
    return ""


def _phones_problem(phones):
    """Why `phones` is not a list of non-empty texts, or "" when it is."""
    shape = _('，形如 ["0311-87657669", "0311-87657299"]（每个电话加引号）')
    if not isinstance(phones, list):
        return _("须为列表%(shape)s；现在是%(kind)s。") % {
            "shape": shape,
            "kind": _json_kind(phones),
        }
    for number, phone in enumerate(phones, start=1):
        if not isinstance(phone, str):
            return _("第 %(n)s 个须为文字%(shape)s；现在是%(kind)s。") % {
                "n": number,
                "shape": shape,
                "kind": _json_kind(phone),
            }
        if not phone.strip():
            return _("第 %(n)s 个为空%(shape)s。") % {"n": number, "shape": shape}
    return ""


class CaptureSession(models.Model):
    """A capture session: one afternoon (or morning), one place, photographers at their
    cameras. A campaign has any number of them, over several days and campuses; a make-up
    session (补拍) takes in absentees of sessions that have closed."""

    class Kind(models.TextChoices):
        REGULAR = "regular", _("集中采集")
        MAKEUP = "makeup", _("补拍")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("采集活动")
    )
    date = models.DateField(_("日期"))
    start = models.TimeField(_("开始时间"))
    end = models.TimeField(_("结束时间"))
    place = models.CharField(_("地点"), max_length=200)
    place_en = models.CharField(_("地点（英文）"), max_length=200, blank=True)
    campus = models.CharField(_("校区"), max_length=50, blank=True)
    campus_en = models.CharField(_("校区（英文）"), max_length=50, blank=True)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.REGULAR)
    # Students of another session of the campaign are recorded here too (else a yellow
    # answer names their own session).
    allow_cross_session = models.BooleanField(_("接受其他场次的学生"), default=False)
    entry_door = models.CharField(_("入口"), max_length=50, default="南门")
    exit_door = models.CharField(_("出口"), max_length=50, default="北门")
    # "south door": English pages say "Enter by the south door" (the sentence is in .po).
    entry_door_en = models.CharField(_("入口（英文）"), max_length=50, blank=True)
    exit_door_en = models.CharField(_("出口（英文）"), max_length=50, blank=True)
    cameras = models.PositiveSmallIntegerField(_("机位数"), default=2)
    per_camera_per_minute = models.DecimalField(
        _("每机位每分钟人数"), max_digits=5, decimal_places=2, default=Decimal("2.00")
    )
    schedule_published = models.BooleanField(_("时间表已发布"), default=False)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)

    class Meta:
        ordering = ["date", "start"]
        verbose_name = _("集中采集场次")
        verbose_name_plural = _("集中采集场次")
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="session_end_after_start"),
            models.CheckConstraint(
                condition=Q(per_camera_per_minute__gt=0), name="session_throughput_positive"
            ),
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.start:%H:%M}-{self.end:%H:%M} {self.place}"


class TimeSlot(models.Model):
    """A time window of a session (Annex 1's 预估时间)."""

    session = models.ForeignKey(
        CaptureSession, on_delete=models.CASCADE, related_name="slots", verbose_name=_("场次")
    )
    start = models.TimeField(_("开始时间"))
    end = models.TimeField(_("结束时间"))
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        ordering = ["session", "order", "start"]
        verbose_name = _("时间段")
        verbose_name_plural = _("时间段")
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="slot_end_after_start"),
            models.UniqueConstraint(fields=["session", "order"], name="unique_slot_order"),
        ]

    def __str__(self):
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


class SlotUnit(models.Model):
    """A unit placed in a window. `session` repeats the slot's so that the database
    itself keeps a unit in exactly one window of a session.

    A large unit can be split across sessions: a placement with a rule (by major, by
    level, or a list of student numbers) takes the unit's students it matches; the
    placement without a rule takes the rest (sessions.services.assignment)."""

    class SplitBy(models.TextChoices):
        ALL = "", _("全部学生")
        MAJOR = "major", _("按专业")
        LEVEL = "level", _("按层次")
        LIST = "list", _("按名单")

    session = models.ForeignKey(
        CaptureSession, on_delete=models.CASCADE, related_name="+", verbose_name=_("场次")
    )
    slot = models.ForeignKey(
        TimeSlot, on_delete=models.CASCADE, related_name="slot_units", verbose_name=_("时间段")
    )
    unit = models.ForeignKey(
        TrainingUnit,
        on_delete=models.CASCADE,
        related_name="slot_units",
        verbose_name=_("培养单位"),
    )
    order = models.PositiveSmallIntegerField(_("段内顺序"), default=0)
    split_by = models.CharField(
        _("拆分方式"), max_length=8, choices=SplitBy.choices, default="", blank=True
    )
    # Majors, level codes or student numbers this placement takes (split_by says which).
    split_values = models.JSONField(_("拆分取值"), default=list, blank=True)

    class Meta:
        ordering = ["slot__order", "order"]
        verbose_name = _("时间段单位")
        verbose_name_plural = _("时间段单位")
        constraints = [
            models.UniqueConstraint(fields=["session", "unit"], name="unique_unit_per_session"),
        ]

    def __str__(self):
        return f"{self.slot} {self.unit}"


class Coordinator(models.Model):
    """One of a unit's two student coordinators (负责人) for a campaign."""

    class Position(models.IntegerChoices):
        FIRST = 1, _("负责人一")
        SECOND = 2, _("负责人二")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="coordinators", verbose_name=_("采集活动")
    )
    unit = models.ForeignKey(
        TrainingUnit,
        on_delete=models.CASCADE,
        related_name="coordinators",
        verbose_name=_("培养单位"),
    )
    position = models.PositiveSmallIntegerField(_("序号"), choices=Position.choices)
    name = models.CharField(_("姓名"), max_length=64)
    phone = models.CharField(_("联系电话"), max_length=20)
    student = models.ForeignKey(
        Student,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("对应学生"),
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("登记人"),
    )
    registered_at = models.DateTimeField(_("登记时间"))

    class Meta:
        ordering = ["unit__display_order", "position"]
        verbose_name = _("负责人")
        verbose_name_plural = _("负责人")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "unit", "position"], name="unique_coordinator_position"
            ),
            models.CheckConstraint(
                condition=Q(position__in=[1, 2]), name="coordinator_position_1_or_2"
            ),
        ]

    def __str__(self):
        return f"{self.unit} {self.get_position_display()} {self.name}"


def _single_sessions(campaign_ids):
    """{campaign id: its session} for the campaigns that have a single regular session."""
    found = {}
    for campaign_id, pk in CaptureSession.objects.filter(
        campaign_id__in=campaign_ids, kind=CaptureSession.Kind.REGULAR
    ).values_list("campaign_id", "pk"):
        found[campaign_id] = None if campaign_id in found else pk
    return {c: pk for c, pk in found.items() if pk is not None}


class ChsiState(models.TextChoices):
    """A student's photo confirmation in 学信档案 (CHSI), as imported or recorded."""

    NONE = "", _("未记录")
    CONFIRMED = "confirmed", _("已确认")
    DISPUTED = "disputed", _("有异议")
    NO_IMAGE = "no_image", _("无图像")


class CaptureQuerySet(models.QuerySet):
    """New captures join their campaign's session when it has a single one (as
    sessions.services.assignment has it), on the bulk path too."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        missing = {c.campaign_id for c in objs if c.session_id is None}
        if missing:
            single = _single_sessions(missing)
            for capture in objs:
                if capture.session_id is None:
                    capture.session_id = single.get(capture.campaign_id)
        return super().bulk_create(objs, *args, **kwargs)


class Capture(models.Model):
    """A student's capture status in a campaign (DESIGN.md §4). Changed only by services."""

    class Status(models.TextChoices):
        EXPECTED = "expected", _("待采集")
        ARRIVED = "arrived", _("已到场")
        PHOTOGRAPHED = "photographed", _("已采集")
        ABSENT = "absent", _("缺席")
        OFFSITE = "offsite", _("分散采集")
        SHEET_RECEIVED = "sheet_received", _("已交照片")
        VERIFIED = "verified", _("已核实")
        EXEMPT = "exempt", _("免采")

    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, related_name="captures", verbose_name=_("学生")
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="captures", verbose_name=_("采集活动")
    )
    # The one session the student belongs to now (None: their unit is not scheduled
    # yet). Set by the schedule (sessions.services.assignment) or a make-up move.
    session = models.ForeignKey(
        CaptureSession,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="captures",
        verbose_name=_("场次"),
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.EXPECTED
    )
    # When and where the current status was reached (the scan's own time), so that a
    # repeated scan can answer "already photographed at 14:12 at 北门-1" without a query.
    status_at = models.DateTimeField(_("状态时间"), null=True, blank=True)
    status_station = models.CharField(_("状态站点"), max_length=50, blank=True)
    attention_note = models.CharField(_("提醒事项"), max_length=200, blank=True)
    shooting_no = models.CharField(_("拍摄号"), max_length=30, blank=True)
    # Why the student went off-site (the note of the step that sent them), for the exports.
    offsite_reason = models.CharField(_("分散采集原因"), max_length=200, blank=True)
    # After the day (sessions.services.aftercare): the student's CHSI photo confirmation,
    # the exception queue's resolution, and the prints handed to the student.
    chsi_state = models.CharField(
        _("学信网图像校对"), max_length=12, choices=ChsiState.choices, blank=True, default=""
    )
    chsi_reason = models.CharField(_("校对异议原因"), max_length=200, blank=True)
    chsi_at = models.DateTimeField(_("校对记录时间"), null=True, blank=True)
    issue_resolved_at = models.DateTimeField(_("异常处理时间"), null=True, blank=True)
    issue_note = models.CharField(_("异常处理说明"), max_length=200, blank=True)
    print_received_at = models.DateTimeField(_("照片领取时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = CaptureQuerySet.as_manager()

    class Meta:
        ordering = ["student__student_no"]
        verbose_name = _("采集状态")
        verbose_name_plural = _("采集状态")
        constraints = [
            models.UniqueConstraint(
                fields=["student", "campaign"], name="unique_capture_per_campaign"
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "status"], name="capture_campaign_status_idx"),
            models.Index(fields=["session", "status"], name="capture_session_status_idx"),
        ]

    def __str__(self):
        return f"{self.student} · {self.get_status_display()}"

    def save(self, *args, **kwargs):
        if self._state.adding and self.session_id is None:
            self.session_id = _single_sessions([self.campaign_id]).get(self.campaign_id)
        super().save(*args, **kwargs)


class CaptureLog(models.Model):
    """Append-only history of every status change; an undo is a new row, never a delete."""

    capture = models.ForeignKey(
        Capture, on_delete=models.CASCADE, related_name="logs", verbose_name=_("采集状态")
    )
    action = models.CharField(_("操作"), max_length=20)
    from_status = models.CharField(_("原状态"), max_length=16, choices=Capture.Status.choices)
    to_status = models.CharField(_("新状态"), max_length=16, choices=Capture.Status.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    actor_device = models.ForeignKey(
        "capture_sessions.Device",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作设备"),
    )
    actor_label = models.CharField(_("操作方"), max_length=100, blank=True)
    station = models.CharField(_("站点"), max_length=50, blank=True)
    occurred_at = models.DateTimeField(_("发生时间"))
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    # A door scan outside the student's own window ("early"/"late") or session
    # ("other_session", where the office allows it): counted apart on the dashboard.
    window = models.CharField(_("时段偏差"), max_length=14, blank=True, default="")
    # Where the step was recorded from: "" (a door, a page), "paper" (a paper sign-in sheet
    # recorded afterwards, sessions.paper).
    source = models.CharField(_("来源"), max_length=10, blank=True, default="")
    # Namespaced by the server (sessions.services.captures.client_key / server_key), so
    # that a device's keys cannot collide with another device's or with the server's own.
    idempotency_key = models.CharField(
        _("幂等键"), max_length=100, null=True, blank=True, unique=True
    )

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("采集记录")
        verbose_name_plural = _("采集记录")
        indexes = [models.Index(fields=["capture", "-id"], name="capturelog_capture_idx")]

    def __str__(self):
        return f"{self.capture_id}: {self.from_status} → {self.to_status}"


class CoordinatorChange(models.Model):
    """Append-only record of every coordinator registration or change (who, when, what)."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="+", verbose_name=_("采集活动")
    )
    unit = models.ForeignKey(
        TrainingUnit, on_delete=models.CASCADE, related_name="+", verbose_name=_("培养单位")
    )
    position = models.PositiveSmallIntegerField(_("序号"), choices=Coordinator.Position.choices)
    name = models.CharField(_("姓名"), max_length=64)
    phone = models.CharField(_("联系电话"), max_length=20)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("修改人"),
    )
    changed_at = models.DateTimeField(_("修改时间"), auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("负责人变更记录")
        verbose_name_plural = _("负责人变更记录")

    def __str__(self):
        return f"{self.unit} {self.position} {self.name}"


class RosterImport(models.Model):
    """An uploaded roster file, checked and waiting for the office's confirmation.

    What is kept is the checked rows, not the file: the file may hold full ID numbers,
    which are never stored (only their last 4 characters). The rows live in the database,
    not on one server's disk, so that the confirmation can reach any app server.
    """

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("待确认")
        COMMITTED = "committed", _("已导入")

    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.CASCADE,
        related_name="roster_imports",
        verbose_name=_("采集活动"),
    )
    file_name = models.CharField(_("文件名"), max_length=200)
    # [[student_no, name, unit_id, level, major, id_tail, phone], …] as checked.
    rows = models.JSONField(_("已校验的行"), default=list)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.PREVIEWED
    )
    summary = models.JSONField(_("摘要"), default=dict)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("上传人"),
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("确认人"),
    )
    committed_at = models.DateTimeField(_("导入时间"), null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("名单导入")
        verbose_name_plural = _("名单导入")

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()})"


class Station(models.Model):
    """A door station of a session: where arrivals or photographs are recorded."""

    class Kind(models.TextChoices):
        ARRIVAL = "arrival", _("到场登记（入口）")
        PHOTOGRAPHED = "photographed", _("拍摄完成（出口）")

    session = models.ForeignKey(
        CaptureSession, on_delete=models.CASCADE, related_name="stations", verbose_name=_("场次")
    )
    name = models.CharField(_("站点名称"), max_length=50)
    kind = models.CharField(_("类型"), max_length=14, choices=Kind.choices)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["session", "order", "name"]
        verbose_name = _("采集站点")
        verbose_name_plural = _("采集站点")
        constraints = [
            models.UniqueConstraint(fields=["session", "name"], name="unique_station_name"),
        ]

    def __str__(self):
        return f"{self.name} · {self.get_kind_display()}"


class CoordinatorLink(models.Model):
    """The signed per-unit link coordinators use without an account.

    The token signs (unit, campaign, nonce); rotating the nonce revokes every earlier
    link at once. The link stops working when the campaign closes."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="+", verbose_name=_("采集活动")
    )
    unit = models.ForeignKey(
        TrainingUnit, on_delete=models.CASCADE, related_name="+", verbose_name=_("培养单位")
    )
    nonce = models.CharField(_("随机串"), max_length=32)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now=True)

    class Meta:
        verbose_name = _("负责人链接")
        verbose_name_plural = _("负责人链接")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "unit"], name="unique_link_per_unit"),
        ]

    def __str__(self):
        return f"{self.unit} · {self.created_at:%Y-%m-%d %H:%M}"


class Device(models.Model):
    """A browser paired by the office as one station's device (pretix's `Device`).

    It authenticates with a token sent in an `Authorization: Device <token>` header; only
    the token's SHA-256 is stored. A device is first created with a one-time pairing code
    (its hash, valid for a few minutes) that the office shows as a link and QR code; opening
    it in the station's browser turns the code into the token. Revoking takes effect at the
    next request (sessions.devices)."""

    station = models.ForeignKey(
        Station, on_delete=models.CASCADE, related_name="devices", verbose_name=_("采集站点")
    )
    name = models.CharField(_("设备名称"), max_length=50)
    token_hash = models.CharField(
        _("令牌摘要"), max_length=64, null=True, blank=True, unique=True, editable=False
    )
    pairing_hash = models.CharField(
        _("配对码摘要"), max_length=64, null=True, blank=True, unique=True, editable=False
    )
    pairing_expires_at = models.DateTimeField(_("配对码有效期至"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    paired_at = models.DateTimeField(_("配对时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("停用人"),
    )

    class Meta:
        ordering = ["station", "-created_at", "-id"]
        verbose_name = _("站点设备")
        verbose_name_plural = _("站点设备")

    def __str__(self):
        return f"{self.name} · {self.station.name}"

    @property
    def is_active(self):
        return self.paired_at is not None and self.revoked_at is None


class CampaignEvent(models.Model):
    """Append-only history of a campaign's lifecycle (published, closed): who and when."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="events", verbose_name=_("采集活动")
    )
    action = models.CharField(_("操作"), max_length=20)
    from_status = models.CharField(_("原状态"), max_length=12, choices=Campaign.Status.choices)
    to_status = models.CharField(_("新状态"), max_length=12, choices=Campaign.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("采集活动记录")
        verbose_name_plural = _("采集活动记录")

    def __str__(self):
        return f"{self.campaign_id}: {self.from_status} → {self.to_status}"


class WalkIn(models.Model):
    """A person photographed who is not on the roster, recorded at a door as typed, so that
    the photographer's count and the portal's agree. The office resolves it afterwards:
    matched to an imported student (whose capture then becomes photographed) or dismissed."""

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        MATCHED = "matched", _("已匹配")
        DISMISSED = "dismissed", _("已忽略")

    session = models.ForeignKey(
        CaptureSession, on_delete=models.CASCADE, related_name="walk_ins", verbose_name=_("场次")
    )
    student_no = models.CharField(_("学号（现场填写）"), max_length=32)
    name = models.CharField(_("姓名（现场填写）"), max_length=64)
    unit_text = models.CharField(_("培养单位（现场填写）"), max_length=100, blank=True)
    station = models.CharField(_("站点"), max_length=50, blank=True)
    recorded_by_device = models.ForeignKey(
        "capture_sessions.Device",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("登记设备"),
    )
    recorded_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("登记人"),
    )
    recorded_at = models.DateTimeField(_("登记时间"))
    idempotency_key = models.CharField(
        _("幂等键"), max_length=100, null=True, blank=True, unique=True
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    capture = models.ForeignKey(
        Capture,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("匹配的学生"),
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("处理人"),
    )
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    resolution_note = models.CharField(_("处理说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["session", "recorded_at", "id"]
        verbose_name = _("名单外人员")
        verbose_name_plural = _("名单外人员")
        indexes = [models.Index(fields=["session", "status"], name="walkin_session_status_idx")]

    def __str__(self):
        return f"{self.session_id}: walk-in #{self.pk}"


class ConfirmationImport(models.Model):
    """An uploaded CHSI confirmation file, checked and waiting for the office's
    confirmation (as RosterImport: the checked rows are kept, not the file)."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("待确认")
        COMMITTED = "committed", _("已导入")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="+", verbose_name=_("采集活动")
    )
    file_name = models.CharField(_("文件名"), max_length=200)
    # [[capture_id, state, reason], …] as checked.
    rows = models.JSONField(_("已校验的行"), default=list)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.PREVIEWED
    )
    summary = models.JSONField(_("摘要"), default=dict)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("上传人"),
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("确认人"),
    )
    committed_at = models.DateTimeField(_("导入时间"), null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("图像校对导入")
        verbose_name_plural = _("图像校对导入")

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()})"


class CorrectionRequest(models.Model):
    """A counsellor's request that the office move a capture of their unit to another
    status (the office approves, through the one transition function, or rejects)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")

    capture = models.ForeignKey(
        Capture,
        on_delete=models.CASCADE,
        related_name="correction_requests",
        verbose_name=_("采集状态"),
    )
    from_status = models.CharField(_("原状态"), max_length=16, choices=Capture.Status.choices)
    to_status = models.CharField(_("申请改为"), max_length=16, choices=Capture.Status.choices)
    reason = models.CharField(_("原因"), max_length=200)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("申请人"),
    )
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审批人"),
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("状态更正申请")
        verbose_name_plural = _("状态更正申请")
        indexes = [models.Index(fields=["status"], name="correction_status_idx")]

    def __str__(self):
        return f"{self.capture_id}: {self.from_status} → {self.to_status}"


class UnitPrints(models.Model):
    """The unit's prints (8 per student) arrived from the photo company."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="+", verbose_name=_("采集活动")
    )
    unit = models.ForeignKey(
        TrainingUnit, on_delete=models.CASCADE, related_name="+", verbose_name=_("培养单位")
    )
    arrived_at = models.DateTimeField(_("照片到达时间"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("登记人"),
    )
    recorded_label = models.CharField(_("登记方"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("单位照片到达")
        verbose_name_plural = _("单位照片到达")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "unit"], name="unique_prints_per_unit"),
        ]

    def __str__(self):
        return f"{self.unit} · {self.arrived_at:%Y-%m-%d}"


class _PhotoStorage(LazyObject):
    """storages["photos"], looked up on first use and again after STORAGES changes: a
    FileField resolves its storage callable once, when the model class is built."""

    def _setup(self):
        self._wrapped = storages["photos"]


_photo_storage = _PhotoStorage()


def _reset_photo_storage(*, setting, **kwargs):
    if setting == "STORAGES":
        _photo_storage._wrapped = empty


setting_changed.connect(_reset_photo_storage)


def photo_storage():
    """The private storage of delivered photos (settings.STORAGES["photos"])."""
    return _photo_storage


class PhotoIntake(models.Model):
    """A delivered archive of photos, checked and waiting for the office's confirmation.

    The archive itself is kept in the private photo storage until confirmed (then its
    matched members are stored one by one as Photos and the archive is deleted) or
    discarded (the archive and the rows are deleted, the record stays); its
    `PhotoIntakeBatch`es hold what was found in it, per member."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("待确认")
        COMMITTED = "committed", _("已导入")
        DISCARDED = "discarded", _("已放弃")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="+", verbose_name=_("采集活动")
    )
    # Shooting numbers are matched within this session's doors.
    session = models.ForeignKey(
        CaptureSession,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("场次"),
    )
    file_name = models.CharField(_("文件名"), max_length=200)
    archive = models.FileField(
        _("照片压缩包"), storage=photo_storage, upload_to="intake/", max_length=300, blank=True
    )
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    # What was found per file is in PhotoIntakeBatch (a batch of files each): memory and
    # page size stay flat whatever the size of the archive.
    summary = models.JSONField(_("摘要"), default=dict)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.PREVIEWED
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("上传人"),
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("确认人"),
    )
    committed_at = models.DateTimeField(_("导入时间"), null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("照片接收")
        verbose_name_plural = _("照片接收")

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()})"


class PhotoIntakeBatch(models.Model):
    """What a preview found in BATCH files of its archive, in the archive's order: `rows` is
    a list of one dict per file with the keys that have a value (sessions.photos.intake:
    "index", "member", "capture_id", "sha256", "problem", "action", "matched_by", "size",
    "width", "height", "mode", "dpi", "faults", "warnings", "unusable", "hint",
    "candidates", "replaces").

    One row per batch rather than per file: the intake of 5,000 photos is timed against a
    raw loop over the archive (bench/photos.py), and an ORM row per file cost about 58 µs,
    a quarter of that loop's time. Nothing filters the files in SQL: the pages and the
    commit read the batches in order, one at a time."""

    intake = models.ForeignKey(
        PhotoIntake, on_delete=models.CASCADE, related_name="+", verbose_name=_("照片接收")
    )
    number = models.PositiveIntegerField(_("序号"))
    rows = models.JSONField(_("检查结果"), default=list, blank=True)

    class Meta:
        ordering = ["intake", "number"]
        verbose_name = _("照片接收文件")
        verbose_name_plural = _("照片接收文件")
        constraints = [
            models.UniqueConstraint(fields=["intake", "number"], name="photo_intake_batch_number")
        ]

    def __str__(self):
        return f"{self.intake_id}/{self.number}"


class Photo(models.Model):
    """A student's delivered electronic photo (one per capture; a corrected delivery
    replaces it). Served only through a permission-checked view, by its random `token`."""

    capture = models.OneToOneField(
        Capture, on_delete=models.CASCADE, related_name="photo", verbose_name=_("采集状态")
    )
    token = models.CharField(_("访问令牌"), max_length=40, unique=True, editable=False)
    file = models.FileField(
        _("照片文件"), storage=photo_storage, upload_to="photos/", max_length=300
    )
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("文件大小（字节）"))
    width = models.PositiveIntegerField(_("宽（像素）"))
    height = models.PositiveIntegerField(_("高（像素）"))
    mode = models.CharField(_("颜色模式"), max_length=10)
    dpi = models.PositiveIntegerField(_("分辨率（dpi）"), null=True, blank=True)
    faults = models.JSONField(_("不合格项"), default=list, blank=True)
    warnings = models.JSONField(_("提醒项"), default=list, blank=True)
    source_name = models.CharField(_("原文件名"), max_length=300)
    intake = models.ForeignKey(
        PhotoIntake,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="photos",
        verbose_name=_("接收批次"),
    )
    received_at = models.DateTimeField(_("接收时间"))

    class Meta:
        verbose_name = _("电子照片")
        verbose_name_plural = _("电子照片")

    def __str__(self):
        return f"{self.capture_id}: {self.source_name}"


class Announcement(models.Model):
    """A short notice from the office on every screen (home, student pages, stations,
    boards) of a campaign or one session, until its end time. Kept after it ends."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="announcements", verbose_name=_("采集活动")
    )
    # Only this session's stations and board (and its students' pages); None: everyone.
    session = models.ForeignKey(
        CaptureSession,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="announcements",
        verbose_name=_("场次"),
    )
    text = models.CharField(_("内容"), max_length=300)
    text_en = models.CharField(_("内容（英文）"), max_length=300, blank=True)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("撤下时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("发布人"),
    )
    created_at = models.DateTimeField(_("发布时间"), auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("公告")
        verbose_name_plural = _("公告")
        indexes = [models.Index(fields=["campaign", "ends_at"], name="announcement_live_idx")]

    def __str__(self):
        return self.text[:40]
