"""The campaign's JSON fields in the admin: only the shape the pages read is accepted, with
a message naming what is wrong (any JSON used to be saved: "hello" came out on the student
page as the dress rules "H: E: L: L: O:")."""

import json

import pytest
from django import forms
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from sessions.admin import CampaignAdmin
from sessions.models import Campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.edu", "x")


def _form(superuser, campaign, **changes):
    """The admin's change form for `campaign`, bound to its current values with `changes`
    (JSON values given as Python, posted as the admin posts them: JSON text)."""
    request = RequestFactory().post("/")
    request.user = superuser
    model_admin = CampaignAdmin(Campaign, admin.site)
    form_class = model_admin.get_form(request, obj=campaign, change=True)
    data = {}
    for bound in form_class(instance=campaign):
        value = bound.value()
        if isinstance(bound.field.widget, forms.SplitDateTimeWidget):
            local = timezone.localtime(value)
            data[f"{bound.name}_0"] = local.date().isoformat()
            data[f"{bound.name}_1"] = local.strftime("%H:%M:%S")
        elif value is not None:
            data[bound.name] = value
    for name, value in changes.items():
        data[name] = json.dumps(value, ensure_ascii=False)
    return form_class(data=data, instance=campaign)


def test_the_notice_as_it_is_is_accepted(superuser, notice):
    form = _form(superuser, notice)
    assert form.is_valid(), form.errors


@pytest.mark.parametrize("field", ["dress_rules", "dress_rules_en"])
@pytest.mark.parametrize(
    "value, says",
    [
        ("hello", "须为列表"),
        ({"a": 1}, "须为列表"),
        ([1, 2], "第 1 条须为"),
        ([{"a": 1}], "第 1 条缺少"),
        ([{"title": "眼镜"}], "第 1 条缺少“text”"),
        ([{"title": "眼镜", "text": "…", "note": "x"}], "“note”"),
        ([{"title": "眼镜", "text": 3}], "第 1 条的“text”须为非空文字"),
        ([{"title": "眼镜", "text": "…"}, {"title": " ", "text": "…"}], "第 2 条的“title”"),
    ],
)
def test_dress_rules_of_another_shape_are_refused_with_what_is_wrong(
    superuser, notice, field, value, says
):
    form = _form(superuser, notice, **{field: value})
    assert not form.is_valid()
    message = " ".join(form.errors[field])
    assert says in message, message
    assert "title" in message and "text" in message  # the expected shape is named


@pytest.mark.parametrize("field", ["dress_rules", "dress_rules_en"])
def test_no_dress_rules_at_all_is_accepted(superuser, notice, field):
    assert _form(superuser, notice, **{field: []}).is_valid()


@pytest.mark.parametrize(
    "value, says",
    [
        ("0311-87657669", "须为列表"),
        ({"a": "1"}, "须为列表"),
        (["0311-87657669", 87657299], "第 2 个须为文字"),
        (["0311-87657669", ""], "第 2 个为空"),
        ([["0311"]], "第 1 个须为文字"),
    ],
)
def test_contact_phones_must_be_a_list_of_texts(superuser, notice, value, says):
    form = _form(superuser, notice, contact_phones=value)
    assert not form.is_valid()
    message = " ".join(form.errors["contact_phones"])
    assert says in message, message


def test_the_admin_change_page_refuses_and_keeps_the_rules(client, superuser, notice):
    form = _form(superuser, notice, dress_rules="hello")
    client.force_login(superuser)
    url = reverse("admin:capture_sessions_campaign_change", args=[notice.pk])
    response = client.post(url, form.data)
    assert response.status_code == 200  # the form again, not a redirect
    assert "仪容仪表要求须为列表" in response.content.decode()
    notice.refresh_from_db()
    assert notice.dress_rules[0]["title"] == "人物姿态与表情"
