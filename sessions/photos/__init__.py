"""Delivered electronic photos (issue 15): intake of the photographer's archives, the
registry's image standard, per-unit overviews, the permission-checked photo view, the
hand-over to units, and removal with a campaign's personal data."""
