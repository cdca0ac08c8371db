"""Baselines measured in the same run as the portal's own endpoints."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template import engines

from units.models import Student

_TEMPLATE = engines["django"].from_string(
    "<!doctype html><title>{{ s.student_no }}</title><p>{{ s.name }} · {{ s.unit_id }}</p>"
)


def ok(request):
    return HttpResponse("ok")


def indexed_get(request, student_no):
    """One get() on a unique index and a small template."""
    student = get_object_or_404(Student, student_no=student_no)
    return HttpResponse(_TEMPLATE.render({"s": student}))
