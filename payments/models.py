from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sessions.models import Campaign
from units.models import Student, TrainingUnit


class Method(models.TextChoices):
    CASH = "cash", _("现金")
    WECHAT = "wechat", _("微信")
    ALIPAY = "alipay", _("支付宝")
    BANK = "bank", _("银行转账")


class FeeEntry(models.Model):
    """An append-only ledger line: a payment (positive) or a refund/reversal (negative)."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("缴费")
        REFUND = "refund", _("退费")
        REVERSAL = "reversal", _("冲正")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="fee_entries", verbose_name=_("采集活动")
    )
    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, related_name="fee_entries", verbose_name=_("学生")
    )
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    amount = models.DecimalField(_("金额"), max_digits=10, decimal_places=2)
    method = models.CharField(_("方式"), max_length=10, choices=Method.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("记录人"),
    )
    recorded_by_label = models.CharField(_("记录方"), max_length=100, blank=True)
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    idempotency_key = models.CharField(
        _("幂等键"), max_length=64, null=True, blank=True, unique=True
    )

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("费用记录")
        verbose_name_plural = _("费用记录")
        indexes = [models.Index(fields=["campaign", "student"], name="feeentry_campaign_student")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="payment") & Q(amount__gt=0))
                | (Q(kind__in=["refund", "reversal"]) & Q(amount__lt=0)),
                name="feeentry_sign_matches_kind",
            ),
        ]

    def __str__(self):
        return f"{self.student} {self.get_kind_display()} {self.amount}"


class Handover(models.Model):
    """Money a unit handed to the Xinhua staff on site."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="handovers", verbose_name=_("采集活动")
    )
    unit = models.ForeignKey(
        TrainingUnit, on_delete=models.PROTECT, related_name="handovers", verbose_name=_("培养单位")
    )
    amount = models.DecimalField(_("金额"), max_digits=10, decimal_places=2)
    method = models.CharField(_("方式"), max_length=10, choices=Method.choices)
    received_by = models.CharField(_("接收人（新华社）"), max_length=64)
    received_at = models.DateTimeField(_("交接时间"))
    reference = models.CharField(_("凭证号"), max_length=64, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("记录人"),
    )
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("费用交接")
        verbose_name_plural = _("费用交接")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="handover_amount_positive"),
        ]

    def __str__(self):
        return f"{self.unit} {self.amount} → {self.received_by}"
