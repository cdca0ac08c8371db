"""Template filters of the delivered photos: the image standard's codes in words."""

from django import template

from sessions.photos.selectors import check_labels

register = template.Library()


@register.filter
def photo_checks(codes):
    """A photo's fault or warning codes (Photo.faults, Photo.warnings) in words."""
    return check_labels(codes)
