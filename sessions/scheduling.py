"""Proposing time windows from headcounts and camera throughput (pure computation).

A window's *load* is the camera work its units need (students ÷ students per minute of
the whole session) over the window's length. The proposal keeps units in display order
and whole, puts boundaries on 10-minute marks of the clock, stays inside the session,
and spreads the session's time over the windows in proportion to their work.
"""

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

MARK = 10  # minutes


@dataclass
class WindowLoad:
    start: dt.time
    end: dt.time
    units: list  # [(unit, students)]
    slot: object = None  # the TimeSlot, for an existing schedule

    @property
    def students(self):
        return sum(n for _u, n in self.units)

    @property
    def minutes(self):
        return _minutes(self.end) - _minutes(self.start)


@dataclass
class ScheduleLoad:
    windows: list
    rate: Decimal  # students per minute, all cameras together
    session_minutes: int
    warnings: list = field(default_factory=list)

    @property
    def students(self):
        return sum(w.students for w in self.windows)

    @property
    def work_minutes(self):
        return float(self.students / self.rate) if self.rate else 0.0


def _minutes(t):
    return t.hour * 60 + t.minute


def _time(m):
    return dt.time(m // 60, m % 60)


def work_minutes(students, rate):
    return float(Decimal(students) / rate) if rate else 0.0


def load_percent(window, rate):
    if window.minutes <= 0:
        return math.inf
    return round(100 * work_minutes(window.students, rate) / window.minutes)


def session_rate(session):
    return Decimal(session.cameras) * session.per_camera_per_minute


def assess(session, windows):
    """Wrap windows with the session's capacity and the warnings the office must see."""
    rate = session_rate(session)
    span = _minutes(session.end) - _minutes(session.start)
    result = ScheduleLoad(windows=windows, rate=rate, session_minutes=span)
    for w in windows:
        w.work = work_minutes(w.students, rate)
        w.load = load_percent(w, rate)
        if w.load > 100:
            result.warnings.append(
                _("%(start)s–%(end)s 超出产能：需要 %(need).0f 分钟拍摄，时段只有 %(have)d 分钟。")
                % {
                    "start": f"{w.start:%H:%M}",
                    "end": f"{w.end:%H:%M}",
                    "need": w.work,
                    "have": w.minutes,
                }
            )
    if result.work_minutes > span:
        result.warnings.insert(
            0,
            _("整场超出产能：%(students)d 名学生需要 %(need).0f 分钟拍摄，场次只有 %(have)d 分钟。")
            % {"students": result.students, "need": result.work_minutes, "have": span}
            + _("请增加机位或延长场次。"),
        )
    return result


def _split(work, groups, marks, head, tail):
    """Split units (their work in minutes, in order) into `groups` runs and give each run a
    whole number of 10-minute marks, minimising the heaviest load (work ÷ minutes).

    `head`/`tail`: minutes before the first mark / after the last one, which belong to the
    first / last window. Bisection on the load; for a given load a small dynamic
    programme finds the partition that needs the fewest marks. No window gets more than
    one mark over an even share, so that windows stay close to the length asked for.
    """
    n = len(work)
    cap = math.ceil(marks / groups) + 1
    prefix = [0.0]
    for w in work:
        prefix.append(prefix[-1] + w)

    def need(j, i, first, last, load):
        extra = (head if first else 0) + (tail if last else 0)
        m = max(1, math.ceil(((prefix[i] - prefix[j]) / load - extra) / MARK - 1e-9))
        return m if m <= cap else math.inf

    def plan(load):
        inf = (math.inf, None)
        best = [[inf] * (n + 1) for _ in range(groups + 1)]
        best[0][0] = (0, None)
        for g in range(1, groups + 1):
            for i in range(g, n - (groups - g) + 1):
                for j in range(g - 1, i):
                    if best[g - 1][j][0] == math.inf:
                        continue
                    cost = best[g - 1][j][0] + need(j, i, g == 1, g == groups, load)
                    if cost < best[g][i][0]:
                        best[g][i] = (cost, j)
        if best[groups][n][0] > marks:
            return None
        cuts, i = [], n
        for g in range(groups, 0, -1):
            j = best[g][i][1]
            cuts.append((j, i))
            i = j
        return cuts[::-1]

    low, high = 1e-6, max(prefix[-1], 1e-6) / max(head + tail, 1) + prefix[-1] + 1
    cuts = plan(high)
    if cuts is None:  # no load fits within the caps: equal runs
        size = math.ceil(n / groups)
        cuts = [(i, min(i + size, n)) for i in range(0, n, size)]
    for _step in range(40):
        mid = (low + high) / 2
        found = plan(mid)
        if found is None:
            low = mid
        else:
            high, cuts = mid, found
    runs_work = [prefix[i] - prefix[j] for j, i in cuts]
    each = [1] * len(cuts)
    for _spare in range(max(0, marks - len(cuts))):
        k = max(
            range(len(cuts)),
            key=lambda x: (
                runs_work[x]
                / (each[x] * MARK + (head if x == 0 else 0) + (tail if x == len(cuts) - 1 else 0))
            ),
        )
        each[k] += 1
    return cuts, each


def propose(session, counts, window_minutes=30):
    """Propose windows for [(unit, students)] in display order. Returns a ScheduleLoad."""
    start, end = _minutes(session.start), _minutes(session.end)
    first_mark = math.ceil(start / MARK) * MARK
    # Every window is at least one mark long: at most this many fit.
    fit = max(1, (end - first_mark) // MARK)
    groups = max(1, min(len(counts), fit, round((end - start) / max(window_minutes, MARK))))
    if not counts:
        return assess(session, [])
    marks = (end - first_mark) // MARK
    head, tail = first_mark - start, end - (first_mark + marks * MARK)
    # Units without students still take a slot; weigh them as one student.
    work = [max(n, 1) for _u, n in counts]
    cuts, each = _split(work, groups, max(marks, 1), head, tail)
    runs = [counts[j:i] for j, i in cuts]
    bounds = [start]
    edge = first_mark
    for m in each:
        edge += m * MARK
        bounds.append(min(edge, end))
    bounds[-1] = end
    windows = [
        WindowLoad(start=_time(bounds[i]), end=_time(bounds[i + 1]), units=list(run))
        for i, run in enumerate(runs)
    ]
    return assess(session, windows)
