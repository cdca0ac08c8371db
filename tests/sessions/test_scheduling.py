import datetime as dt
from decimal import Decimal

import pytest

from sessions import scheduling
from sessions.models import CaptureSession


def _session(start=(13, 20), end=(16, 0), cameras=4, rate="1.5"):
    return CaptureSession(
        date=dt.date(2024, 3, 11),
        start=dt.time(*start),
        end=dt.time(*end),
        cameras=cameras,
        per_camera_per_minute=Decimal(rate),
    )


COUNTS = [
    (f"U{i}", n) for i, n in enumerate([91, 30, 102, 81, 42, 87, 20, 67, 68, 92, 49, 28, 68, 71])
]


@pytest.mark.parametrize("window", [10, 20, 30, 40, 60, 90])
def test_proposal_keeps_order_whole_units_marks_and_bounds(window):
    session = _session()
    result = scheduling.propose(session, COUNTS, window)
    units = [u for w in result.windows for u, _n in w.units]
    assert units == [u for u, _n in COUNTS]  # display order, each unit exactly once
    assert result.windows[0].start == session.start
    assert result.windows[-1].end == session.end
    for a, b in zip(result.windows, result.windows[1:], strict=False):
        assert a.end == b.start
        assert a.end.minute % 10 == 0  # boundaries on 10-minute marks
    for w in result.windows:
        assert w.units and w.minutes >= 10


def test_thirty_minute_windows_for_the_notice_fit_capacity():
    result = scheduling.propose(_session(), COUNTS, 30)
    assert len(result.windows) == 5
    assert result.warnings == []
    assert max(w.load for w in result.windows) <= 100


def test_over_capacity_is_warned_for_windows_and_session():
    result = scheduling.propose(_session(cameras=1, rate="1"), COUNTS, 30)
    assert result.work_minutes == sum(n for _u, n in COUNTS)
    assert result.warnings[0].startswith("整场超出产能")
    assert any("超出产能：需要" in w for w in result.warnings[1:])


def test_session_not_starting_on_a_mark():
    result = scheduling.propose(_session(start=(13, 25), end=(14, 55)), COUNTS[:4], 30)
    assert result.windows[0].start == dt.time(13, 25)
    assert all(w.end.minute % 10 == 0 for w in result.windows[:-1])
    assert result.windows[-1].end == dt.time(14, 55)


def test_load_is_work_over_window_minutes():
    w = scheduling.WindowLoad(start=dt.time(13, 0), end=dt.time(13, 30), units=[("A", 90)])
    assert scheduling.load_percent(w, Decimal(6)) == 50
