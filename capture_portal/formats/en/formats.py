# Dates as the notice's English readers write them: "Monday, 11 March 2024", "11 March".
from django.conf.locale.en.formats import *  # noqa: F403

DATE_FORMAT = "j F Y"
MONTH_DAY_FORMAT = "j F"
# A date with its weekday (the notice's "3月11日（周一）"): get_format finds a name of our
# own in these modules; every language of settings.LANGUAGES defines it.
WEEKDAY_DATE_FORMAT = "l, j F Y"
