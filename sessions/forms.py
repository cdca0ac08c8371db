from django import forms
from django.utils.translation import gettext_lazy as _

from units import importing
from units.validators import normalise_phone, validate_phone


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=_("名单文件（.xlsx 或 .csv）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,text/csv"}),
    )

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > importing.MAX_BYTES:
            raise forms.ValidationError(
                _("文件超过 %(mb)d MB 的上限。") % {"mb": importing.MAX_BYTES // (1024 * 1024)}
            )
        return f


class RosterConfirmForm(forms.Form):
    withdraw_missing = forms.BooleanField(
        label=_("将不在本文件中的学生标记为“已退出名单”"), required=False
    )


class ProposalForm(forms.Form):
    window_minutes = forms.IntegerField(
        label=_("每个时段约多少分钟"), min_value=10, max_value=240, initial=30
    )


KEEP_RULE = "keep"


class MoveUnitForm(forms.Form):
    """Place a unit in a window; optionally only part of it (split across sessions)."""

    unit = forms.ModelChoiceField(queryset=None, label=_("培养单位"))
    slot = forms.ModelChoiceField(queryset=None, label=_("移到时段"))
    split_by = forms.ChoiceField(
        label=_("本场次采集"),
        required=False,
        initial=KEEP_RULE,
        choices=[
            (KEEP_RULE, _("保持原安排")),
            ("", _("全部学生（或其余学生）")),
            ("major", _("按专业")),
            ("level", _("按层次")),
            ("list", _("按名单（学号）")),
        ],
    )
    split_values = forms.CharField(
        label=_("取值（每行一个，或用逗号、顿号分隔）"),
        required=False,
        max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, units, slots, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["slot"].queryset = slots

    def rule(self):
        """(split_by or None to keep the placement's rule, [values])."""
        import re

        split_by = self.cleaned_data.get("split_by", KEEP_RULE)
        if split_by == KEEP_RULE:
            return None, []
        values = re.split(r"[\n\r,，、;；]+", self.cleaned_data.get("split_values") or "")
        return split_by, [v.strip() for v in values if v.strip()]


class RemoveUnitForm(forms.Form):
    unit = forms.ModelChoiceField(queryset=None, label=_("培养单位"))

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class SlotTimesForm(forms.Form):
    """One start and one end field per window of the session."""

    def __init__(self, *args, slots, **kwargs):
        super().__init__(*args, **kwargs)
        self.slots = list(slots)
        for slot in self.slots:
            self.fields[f"start_{slot.pk}"] = forms.TimeField(
                label=_("开始"),
                initial=slot.start,
                widget=forms.TimeInput(format="%H:%M", attrs={"type": "time", "step": 600}),
            )
            self.fields[f"end_{slot.pk}"] = forms.TimeField(
                label=_("结束"),
                initial=slot.end,
                widget=forms.TimeInput(format="%H:%M", attrs={"type": "time", "step": 600}),
            )

    def rows(self):
        return [(slot, self[f"start_{slot.pk}"], self[f"end_{slot.pk}"]) for slot in self.slots]

    def times(self):
        return {
            slot.pk: (self.cleaned_data[f"start_{slot.pk}"], self.cleaned_data[f"end_{slot.pk}"])
            for slot in self.slots
        }


class CoordinatorForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=64)
    phone = forms.CharField(
        label=_("联系电话"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    student_no = forms.CharField(
        label=_("学号（选填）"),
        max_length=32,
        required=False,
        help_text=_("负责人是本单位学生时填写，便于核对。"),
    )

    def clean_phone(self):
        phone = normalise_phone(self.cleaned_data["phone"])
        validate_phone(phone)
        return phone


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=200)


class LookupForm(forms.Form):
    student_no = forms.CharField(
        label=_("学号"),
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "inputmode": "text",
                "autocapitalize": "off",
                "spellcheck": "false",
            }
        ),
    )
    name = forms.CharField(
        label=_("姓名"), max_length=64, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )

    def clean_student_no(self):
        import unicodedata

        return "".join(unicodedata.normalize("NFKC", self.cleaned_data["student_no"]).split())

    def clean_name(self):
        import unicodedata

        return unicodedata.normalize("NFKC", self.cleaned_data["name"]).strip()


class ShootingNoCorrectionForm(forms.Form):
    """The office corrects a shooting number: whose (student number), the number, why."""

    student_no = forms.CharField(label=_("学号"), max_length=32)
    shooting_no = forms.CharField(label=_("正确的拍摄号"), max_length=30)
    reason = forms.CharField(label=_("原因"), max_length=150)

    def capture_id(self, session):
        """The capture of that student in the session's campaign; DomainError otherwise."""
        from django.utils.translation import gettext

        from capture_portal.exceptions import DomainError
        from sessions.models import Capture

        capture_id = (
            Capture.objects.filter(
                campaign_id=session.campaign_id,
                student__student_no=self.cleaned_data["student_no"].strip(),
            )
            .values_list("pk", flat=True)
            .first()
        )
        if capture_id is None:
            raise DomainError(gettext("本次采集活动中没有这个学号。"), "not_found")
        return capture_id
