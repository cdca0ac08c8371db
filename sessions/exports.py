"""The office's and counsellors' Excel exports (rows streamed from the database)."""

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from capture_portal.localised import localised, where
from capture_portal.xlsx import Sheet, annex_workbook, write_workbook
from sessions.aftercare_selectors import chsi_text
from sessions.models import Capture, CaptureSession
from units.models import Student

ABSENTEE_STATUSES = (Capture.Status.ABSENT, Capture.Status.OFFSITE, Capture.Status.SHEET_RECEIVED)


def _local(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M") if dt else ""


# A capture's session as session_label takes it.
SESSION_FIELDS = (
    "session__date",
    "session__start",
    "session__end",
    "session__campus",
    "session__place",
    "session__kind",
)
# What a roster row is made of (bench/export.py writes the same fields raw, as its baseline).
ROSTER_FIELDS = (
    "student__unit__name",
    "student__student_no",
    "student__name",
    "student__level",
    "student__major",
    "status",
    "status_at",
    "status_station",
    "shooting_no",
    "attention_note",
    *SESSION_FIELDS,
    "offsite_reason",
    "chsi_state",
    "chsi_reason",
    "print_received_at",
)


def _capture_rows(captures, phones=False):
    """Rows of ROSTER_HEADERS; with phones=True, the student's phone ends each row."""
    # Plain tuples, not model instances: a 20,000-row export spends its time here.
    levels = {k: str(v) for k, v in Student.Level.choices}
    statuses = {k: str(v) for k, v in Capture.Status.choices}
    tz = timezone.get_current_timezone()
    for (
        unit,
        number,
        name,
        level,
        major,
        status,
        at,
        station,
        shooting,
        note,
        s_date,
        s_start,
        s_end,
        s_campus,
        s_place,
        s_kind,
        offsite_reason,
        chsi_state,
        chsi_reason,
        print_received_at,
        *phone,
    ) in captures.values_list(*ROSTER_FIELDS, *(["student__phone"] if phones else [])).iterator(
        chunk_size=2000
    ):
        yield [
            unit,
            number,
            name,
            levels.get(level, level),
            major,
            statuses[status],
            at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if at else "",
            station,
            shooting,
            note,
            session_label(s_date, s_start, s_end, s_campus, s_place, s_kind),
            offsite_reason,
            chsi_text(chsi_state, chsi_reason, status),
            print_received_at.astimezone(tz).strftime("%Y-%m-%d") if print_received_at else "",
            *phone,
        ]


def session_label(date, start, end, campus, place, kind):
    """The student's own session as one cell, e.g. "2024-03-11 13:20–16:00 东校区 体育馆", from
    the SESSION_FIELDS of a capture."""
    if date is None:
        return ""
    label = " ".join(p for p in (f"{date:%Y-%m-%d} {start:%H:%M}–{end:%H:%M}", campus, place) if p)
    return f"{label}（{_('补拍')}）" if kind == CaptureSession.Kind.MAKEUP else label


ROSTER_HEADERS = [
    "培养单位",
    "学号",
    "姓名",
    "层次",
    "专业",
    "状态",
    "状态时间",
    "站点",
    "拍摄号",
    "提醒事项",
    "场次",
    # After the day (issue 14).
    "分散采集原因",
    "学信网校对",
    "照片领取",
]
# The absentees are called: their phones come last, so that the other columns stay where
# they are in the roster export.
ABSENTEE_HEADERS = [*ROSTER_HEADERS, "手机"]
# Floors: the office's roster runs past write_workbook's measured sample of 5,000 rows, and
# a longer unit name or session further down must still fit.
ROSTER_WIDTHS = [22, 16, 10, 14, 18, 10, 17, 10, 10, 20, 34, 20, 20, 12]
# Too wide to shrink onto one printed page: unit, number and name start every page.
ROSTER_KEY_COLUMNS = "A:C"


def _captures(campaign, unit=None, statuses=None):
    qs = Capture.objects.filter(campaign=campaign, student__withdrawn=False)
    if unit is not None:
        qs = qs.filter(student__unit=unit)
    if statuses:
        qs = qs.filter(status__in=statuses)
    return qs.order_by("student__unit__display_order", "student__student_no")


def roster_workbook(campaign, unit=None):
    return write_workbook(
        [
            Sheet(
                _("名单与采集状态"),
                ROSTER_HEADERS,
                _capture_rows(_captures(campaign, unit)),
                ROSTER_WIDTHS,
                print_title_cols=ROSTER_KEY_COLUMNS,
            )
        ]
    )


def absentees_workbook(campaign):
    return write_workbook(
        [
            Sheet(
                _("缺席与分散采集"),
                ABSENTEE_HEADERS,
                _capture_rows(_captures(campaign, statuses=ABSENTEE_STATUSES), phones=True),
                [*ROSTER_WIDTHS, 14],
                print_title_cols=ROSTER_KEY_COLUMNS,
            )
        ]
    )


def coordinators_workbook(units):
    def rows():
        for unit in units:
            coords = {c.position: c for c in unit.campaign_coordinators}
            for position in (1, 2):
                c = coords.get(position)
                yield [
                    unit.name,
                    position,
                    c.name if c else "",
                    c.phone if c else "",
                    (c.registered_by.get_username() if c and c.registered_by else ""),
                    _local(c.registered_at) if c else "",
                ]

    headers = ["培养单位", "序号", "负责人姓名", "联系电话", "登记人", "登记时间"]
    return write_workbook([Sheet(_("负责人名单"), headers, rows())])


def schedule_workbook(windows, session=None):
    """Annex 1 as the notice prints it: 附件 1, the title, the session's date, time and
    place (以实际时间为准), and the bordered table of units and windows."""
    groups = [
        (f"{w.slot.start:%H:%M}-{w.slot.end:%H:%M}", [localised(u, "name") for u in w.units])
        for w in windows
    ]
    subtitle = ""
    if session is not None:
        subtitle = _("%(date)s %(start)s–%(end)s · %(place)s（以实际时间为准）") % {
            "date": date_format(session.date, "DATE_FORMAT"),
            "start": f"{session.start:%H:%M}",
            "end": f"{session.end:%H:%M}",
            "place": where(session),
        }
    return annex_workbook(
        _("校内集中采集预估时间表"),
        [_("培养单位名称"), _("预估时间")],
        groups,
        label=_("附件 1"),
        subtitle=subtitle,
        # Not the title cut at Excel's 31 characters ("Schedule of the on-campus captu").
        sheet_name=f"{_('附件 1')} {_('时间表')}",
    )


def shooting_numbers_workbook(check):
    flags = {"repeat": "重复", "order": "顺序颠倒", "text": "非数字", "outlier": "疑似输错"}
    entries = check.entries

    def rows():
        for e in entries:
            c = e["capture"]
            yield [
                e["number"],
                c.student.student_no,
                c.student.name,
                c.student.unit.name,
                _local(c.status_at),
                c.status_station,
                "、".join(flags[f] for f in e["flags"]),
            ]

    headers = ["拍摄号", "学号", "姓名", "培养单位", "采集时间", "站点", "提示"]
    gaps = ([first, last, last - first + 1] for first, last in check.gaps)
    return write_workbook(
        [
            Sheet(_("拍摄号对照"), headers, rows()),
            Sheet(_("缺号区间"), ["起", "止", "个数"], gaps),
        ]
    )
