from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from units.names import normalise_name


class TrainingUnit(models.Model):
    """A training unit (培养单位), e.g. 法学院."""

    code = models.CharField(_("代码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=100, unique=True)
    # Shown on English pages when set (capture_portal.localised); else the Chinese name.
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    display_order = models.PositiveIntegerField(_("显示顺序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["display_order", "id"]
        verbose_name = _("培养单位")
        verbose_name_plural = _("培养单位")

    def __str__(self):
        return self.name


class StudentQuerySet(models.QuerySet):
    """Keeps `name_key` in step with `name` on the bulk paths, which skip save()."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for student in objs:
            student.name_key = normalise_name(student.name)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        if "name" in fields:
            for student in objs:
                student.name_key = normalise_name(student.name)
            fields = [*fields, "name_key"]
        return super().bulk_update(objs, fields, *args, **kwargs)

    def update(self, **kwargs):
        if "name" in kwargs and "name_key" not in kwargs:  # bulk_update sets both
            if not isinstance(kwargs["name"], str):
                raise TypeError("name_key follows name: update a name to a plain string only")
            kwargs["name_key"] = normalise_name(kwargs["name"])
        return super().update(**kwargs)


class Student(models.Model):
    """An expected graduate. The full ID number is never stored: only its last 4 characters."""

    class Level(models.TextChoices):
        ACADEMIC_MASTER = "academic_master", _("学术学位硕士")
        PROFESSIONAL_MASTER = "professional_master", _("专业学位硕士")
        ACADEMIC_DOCTOR = "academic_doctor", _("学术学位博士")
        PROFESSIONAL_DOCTOR = "professional_doctor", _("专业学位博士")
        # The roster said 硕士 (硕士研究生, 全日制硕士 …) without academic or professional.
        # Kept as said rather than guessed: a split of a unit 按层次 does not place them
        # by a type rule, so the schedule page lists them if no placement takes the rest.
        MASTER = "master", _("硕士（未注明学位类型）")

    student_no = models.CharField(_("学号"), max_length=32, unique=True)
    name = models.CharField(_("姓名"), max_length=64)
    # The name as every search compares it (units.names.normalise_name); set from `name`.
    name_key = models.CharField(_("姓名检索键"), max_length=128, editable=False, default="")
    unit = models.ForeignKey(
        TrainingUnit, on_delete=models.PROTECT, related_name="students", verbose_name=_("培养单位")
    )
    cohort = models.PositiveSmallIntegerField(_("届别"))
    level = models.CharField(
        _("层次"), max_length=24, choices=Level.choices, default=Level.ACADEMIC_MASTER
    )
    major = models.CharField(_("专业"), max_length=100, blank=True)
    id_tail = models.CharField(_("证件号后四位"), max_length=4, blank=True)
    phone = models.CharField(_("手机"), max_length=20, blank=True)
    withdrawn = models.BooleanField(_("已退出名单"), default=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = StudentQuerySet.as_manager()

    class Meta:
        ordering = ["unit__display_order", "student_no"]
        verbose_name = _("学生")
        verbose_name_plural = _("学生")
        indexes = [
            # Station search by name, counsellor roster by unit.
            models.Index(fields=["name_key"], name="student_name_key_idx"),
            models.Index(fields=["unit", "student_no"], name="student_unit_no_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(student_no=""), name="student_no_not_empty"),
        ]

    def __str__(self):
        return f"{self.student_no} {self.name}"

    def save(self, *args, **kwargs):
        self.name_key = normalise_name(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_key"}
        super().save(*args, **kwargs)


class UnitMembership(models.Model):
    """Links a user to a unit they look after (today: counsellors)."""

    class Role(models.TextChoices):
        COUNSELLOR = "counsellor", _("辅导员")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="unit_memberships",
        verbose_name=_("用户"),
    )
    unit = models.ForeignKey(
        TrainingUnit,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("培养单位"),
    )
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, default=Role.COUNSELLOR)

    class Meta:
        verbose_name = _("单位成员")
        verbose_name_plural = _("单位成员")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="unique_unit_membership")
        ]

    def __str__(self):
        return f"{self.user} · {self.unit} · {self.get_role_display()}"
