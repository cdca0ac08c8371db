from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from payments.models import Method


class PayForm(forms.Form):
    student_id = forms.IntegerField(widget=forms.HiddenInput)
    method = forms.ChoiceField(label=_("方式"), choices=Method.choices, initial=Method.CASH)
    key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)


class ReverseForm(forms.Form):
    student_id = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("原因"), required=False, max_length=200)


class RefundForm(forms.Form):
    student_id = forms.IntegerField(widget=forms.HiddenInput)
    method = forms.ChoiceField(label=_("方式"), choices=Method.choices, initial=Method.CASH)
    reason = forms.CharField(label=_("原因"), max_length=200)


class HandoverForm(forms.Form):
    amount = forms.DecimalField(
        label=_("金额（元）"), min_value=0.01, max_digits=10, decimal_places=2
    )
    method = forms.ChoiceField(label=_("方式"), choices=Method.choices, initial=Method.CASH)
    received_by = forms.CharField(label=_("新华社接收人"), max_length=64)
    received_at = forms.DateTimeField(
        label=_("交接时间"),
        initial=timezone.now,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    reference = forms.CharField(label=_("凭证号（选填）"), max_length=64, required=False)
