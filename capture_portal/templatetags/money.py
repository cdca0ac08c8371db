from django import template

from capture_portal.money import format_money

register = template.Library()


@register.filter
def money(value):
    """{{ campaign.onsite_fee|money }} → "20" (or "20.50" when there are cents); the
    template says 元 / yuan around it."""
    return format_money(value)
