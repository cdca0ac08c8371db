from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from sessions.models import Capture
from units.models import Student, TrainingUnit, UnitMembership


def _counts():
    return (
        Student.objects.count(),
        Capture.objects.count(),
        get_user_model().objects.count(),
        UnitMembership.objects.count(),
    )


@pytest.mark.django_db
def test_seed_demo_is_deterministic_and_idempotent():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    first = _counts()
    names = list(Student.objects.order_by("student_no").values_list("student_no", "name")[:50])
    assert 14 * 20 <= first[0] <= 14 * 120
    assert 800 <= first[0] <= 1200  # about 1,000
    for unit in TrainingUnit.objects.all():
        assert 20 <= unit.students.count() <= 120
    assert first[1] == first[0]
    assert "office" in out.getvalue() and "counsellor01" in out.getvalue()
    call_command("seed_demo", stdout=StringIO())
    assert _counts() == first
    assert (
        list(Student.objects.order_by("student_no").values_list("student_no", "name")[:50]) == names
    )


@pytest.mark.django_db
def test_seed_demo_large_roster():
    call_command("seed_demo", students=3000, stdout=StringIO())
    assert Student.objects.count() == 3000
    assert Capture.objects.count() == 3000
    assert Student.objects.filter(id_tail__regex=r"^.{4}$").count() == 3000


@pytest.mark.django_db
def test_demo_accounts_have_their_roles(client):
    call_command("seed_demo", stdout=StringIO())
    # Through the sign-in form: django-axes checks every authentication with its request.
    signed_in = client.post("/login/", {"username": "office", "password": "capture-demo-2025"})
    assert signed_in.status_code == 302
    assert client.get("/admin/units/student/").status_code == 200
    assert UnitMembership.objects.filter(user__username="counsellor01").count() == 1
