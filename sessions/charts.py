"""The live dashboard's chart, drawn on the server as inline SVG (no script, no library):
photographed students so far against the plan, every 10 minutes of the session.

The plan is the schedule's: each window's expected students spread evenly over the
window (the same rule as the dashboard's "minutes ahead/behind"). The band between the two
lines is green where the day is ahead of the plan and red where it is behind, but only on
the session's date once it has started: like the dashboard's header, the chart makes no
claim of ahead or behind on another day (nobody works to the plan's clock then).
"""

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

STEP = dt.timedelta(minutes=10)
WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 30  # room for the axis labels
GAP = 70  # the least distance between two time labels (a label is about 45 wide)


@dataclass
class Mark:
    at: dt.datetime
    plan: float
    actual: int | None  # None: still to come
    x: float = 0
    plan_y: float = 0
    actual_y: float = 0


@dataclass
class Chart:
    marks: list
    top: int  # the y axis' highest value
    plan_points: str = ""
    actual_points: str = ""
    bands: list = field(default_factory=list)  # [(points, "ahead" | "behind")]
    x_labels: list = field(default_factory=list)  # [(x, "HH:MM", text-anchor)]
    y_labels: list = field(default_factory=list)  # [(y, n)]
    now_x: float | None = None
    judged: bool = True  # False: another day or before the start, no ahead/behind drawn
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    baseline: int = HEIGHT - BOTTOM

    @property
    def latest(self):
        done = [m for m in self.marks if m.actual is not None]
        return done[-1] if done else None


def _planned(windows, at):
    total = 0.0
    for w, start, end in windows:
        share = min(max((at - start) / (end - start), 0), 1) if end > start else 1
        total += w.expected_on_site * share
    return total


def progress_chart(session, progress, timeline, now=None):
    """The chart of `progress` (selectors.session_progress) and `timeline`
    (selectors.photographed_timeline), or None for a session with no timed window."""
    now = now or progress.now
    tz = timezone.get_current_timezone()
    windows = [
        (
            w,
            dt.datetime.combine(session.date, w.slot.start, tzinfo=tz),
            dt.datetime.combine(session.date, w.slot.end, tzinfo=tz),
        )
        for w in progress.windows
        if w.slot is not None
    ]
    if not windows:
        return None
    first = min(dt.datetime.combine(session.date, session.start, tzinfo=tz), windows[0][1])
    last = max(dt.datetime.combine(session.date, session.end, tzinfo=tz), windows[-1][2])
    marks = []
    at, i, running = first, 0, 0
    while True:
        # Everything photographed before this mark (earlier days included: a make-up
        # session's students may have come early).
        while i < len(timeline) and timeline[i][0] < at:
            running += timeline[i][1]
            i += 1
        marks.append(Mark(at=at, plan=_planned(windows, at), actual=running if at <= now else None))
        if at >= last:
            break
        at = min(at + STEP, last)
    if now >= last:
        # After the session: the last mark is everything recorded, late scans included.
        marks[-1].actual = running + sum(n for _at, n in timeline[i:])
    judged = timezone.localtime(now).date() == session.date and now >= first
    return _draw(marks, progress.expected_on_site, first, last, now, judged)


def _draw(marks, expected, first, last, now, judged):
    top = max([expected, 1] + [m.actual or 0 for m in marks])
    top = _round_up(top)
    span = (last - first).total_seconds() or 1
    inner_w = WIDTH - LEFT - RIGHT
    inner_h = HEIGHT - TOP - BOTTOM

    def x(at):
        return round(LEFT + inner_w * (at - first).total_seconds() / span, 1)

    def y(n):
        return round(TOP + inner_h * (1 - n / top), 1)

    for m in marks:
        m.x, m.plan_y = x(m.at), y(m.plan)
        m.actual_y = y(m.actual) if m.actual is not None else None
    chart = Chart(marks=marks, top=top, judged=judged)
    chart.plan_points = " ".join(f"{m.x},{m.plan_y}" for m in marks)
    done = [m for m in marks if m.actual is not None]
    chart.actual_points = " ".join(f"{m.x},{m.actual_y}" for m in done)
    for a, b in zip(done, done[1:], strict=False) if judged else ():
        ahead = (a.actual + b.actual) >= (a.plan + b.plan)
        points = f"{a.x},{a.plan_y} {b.x},{b.plan_y} {b.x},{b.actual_y} {a.x},{a.actual_y}"
        chart.bands.append((points, "ahead" if ahead else "behind"))
    # A time label at the start, every half hour and at the end (every mark would crowd a
    # phone's width), none closer than GAP to the one before; (x, text, anchor).
    labels = []
    for m in marks:
        if timezone.localtime(m.at).minute % 30 and m is not marks[0] and m is not marks[-1]:
            continue
        if labels and m.x - labels[-1][0] < GAP:
            if m is not marks[-1]:
                continue
            labels.pop()  # the session's end wins over the half hour just before it
        labels.append((m.x, timezone.localtime(m.at).strftime("%H:%M"), "middle"))
    if labels:
        labels[0] = (*labels[0][:2], "start")
        labels[-1] = (*labels[-1][:2], "end")
    chart.x_labels = labels
    chart.y_labels = [(y(n), n) for n in (0, top // 2, top)]
    if first <= now <= last:
        chart.now_x = x(now)
    return chart


def _round_up(n):
    """A round axis top at or above n: 10, 20, 50, 100, 200, 500, …"""
    step = 10
    while True:
        for k in (1, 2, 5):
            if n <= step * k:
                return step * k
        step *= 10
