from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def nowrap(value):
    """A phone number or a time range that must not break across lines ("0311-" then
    "87657669" reads as two numbers), also inside a {% blocktranslate %} value: the
    value is escaped, the span marked safe."""
    if isinstance(value, list | tuple):
        return [nowrap(v) for v in value]
    return format_html('<span class="nowrap">{}</span>', value)
