from django import template

from capture_portal.localised import localised as _localised

register = template.Library()


@register.filter
def localised(obj, field):
    """{{ campaign|localised:"title" }}: the English text on English pages when set, else
    the Chinese (capture_portal.localised)."""
    return _localised(obj, field)
