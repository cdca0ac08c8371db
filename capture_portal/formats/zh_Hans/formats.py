# Django's zh_Hans month-day format pads the month ("03月11日"); the notice writes "3月11日".
from django.conf.locale.zh_Hans.formats import *  # noqa: F403

MONTH_DAY_FORMAT = "n月j日"
# A date with its weekday: "2024年3月11日 星期一" (formats/en has its English twin).
WEEKDAY_DATE_FORMAT = "Y年n月j日 l"
