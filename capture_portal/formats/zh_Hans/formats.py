# Django's zh_Hans month-day format pads the month ("03月11日"); the notice writes "3月11日".
from django.conf.locale.zh_Hans.formats import *  # noqa: F403

MONTH_DAY_FORMAT = "n月j日"
