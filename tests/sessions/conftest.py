"""Fixtures of the day's tests: the notice's 法学院 and one of its students, 张三."""

import pytest

from sessions.models import Capture
from tests.factories import StudentFactory
from units.models import TrainingUnit


@pytest.fixture
def law(notice):
    return TrainingUnit.objects.get(name="法学院")


@pytest.fixture
def student(notice, law):
    """张三 (202201010001) of 法学院, expected in the notice's campaign."""
    s = StudentFactory(student_no="202201010001", name="张三", unit=law)
    return Capture.objects.create(student=s, campaign=notice)
