"""`{% chsi_next_step capture as next %}`: the "下一步" of a student's page (学信网图像校对),
from the one rule in sessions.confirmation_selectors (the template only shows it)."""

from django import template

from sessions.confirmation_selectors import student_next_step

register = template.Library()


@register.simple_tag
def chsi_next_step(capture):
    return student_next_step(capture)
