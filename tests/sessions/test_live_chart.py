"""The live dashboard's chart: photographed so far (cumulative, every 10 minutes) against
the schedule's plan, with the band between them marked ahead or behind."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from capture_portal.actors import Actor
from sessions import charts, selectors
from sessions.models import Capture, CaptureLog, CaptureSession
from sessions.services.assignment import captures_assign_sessions
from tests.factories import StudentFactory
from units.models import TrainingUnit

DAY = dt.date(2024, 3, 11)


def at(h, m):
    return timezone.make_aware(dt.datetime.combine(DAY, dt.time(h, m)))


@pytest.fixture
def law_captures(notice):
    law = TrainingUnit.objects.get(name="法学院")  # the first window, 13:20–14:00
    captures = [
        Capture.objects.create(student=StudentFactory(unit=law), campaign=notice) for _ in range(8)
    ]
    captures_assign_sessions(actor=Actor.system(), campaign_id=notice.pk)
    return captures


def photographed(capture, when, undo=False):
    capture.status = "expected" if undo else "photographed"
    capture.save()
    CaptureLog.objects.create(
        capture=capture,
        action="undo" if undo else "photograph",
        from_status="photographed" if undo else "arrived",
        to_status="arrived" if undo else "photographed",
        occurred_at=when,
    )


def test_timeline_is_net_per_minute_and_undos_count_down(law_captures):
    session = CaptureSession.objects.get()
    a, b, c = law_captures[:3]
    photographed(a, at(13, 21))
    photographed(b, at(13, 21))
    photographed(c, at(13, 34))
    photographed(c, at(13, 35), undo=True)
    timeline = selectors.photographed_timeline(session)
    assert [(timezone.localtime(t).strftime("%H:%M"), n) for t, n in timeline] == [
        ("13:21", 2),
        ("13:34", 1),
        ("13:35", -1),
    ]


def test_chart_is_cumulative_every_ten_minutes_against_the_plan(law_captures):
    session = CaptureSession.objects.get()
    for capture in law_captures[:6]:
        photographed(capture, at(13, 25))
    progress = selectors.session_progress(session, now=at(13, 40))
    chart = charts.progress_chart(
        session, progress, selectors.photographed_timeline(session), now=at(13, 40)
    )
    by_time = {timezone.localtime(m.at).strftime("%H:%M"): m for m in chart.marks}
    assert list(by_time)[:4] == ["13:20", "13:30", "13:40", "13:50"]
    assert list(by_time)[-1] == "16:00"
    assert [by_time[t].actual for t in ("13:20", "13:30", "13:40")] == [0, 6, 6]
    assert by_time["13:50"].actual is None  # still to come
    # The plan: 法学院's 8 students spread over 13:20–14:00; half of them by 13:40.
    assert by_time["13:40"].plan == pytest.approx(4)
    assert by_time["13:20"].plan == 0
    kinds = [kind for _points, kind in chart.bands]
    assert kinds == ["ahead", "ahead"]
    assert chart.now_x is not None


def test_behind_the_plan_is_shaded_as_behind(law_captures):
    session = CaptureSession.objects.get()
    progress = selectors.session_progress(session, now=at(14, 0))
    chart = charts.progress_chart(session, progress, [], now=at(14, 0))
    assert [kind for _p, kind in chart.bands] == ["behind"] * 4


def test_dashboard_draws_the_chart_as_inline_svg(client, office_user, law_captures):
    photographed(law_captures[0], at(13, 25))
    client.force_login(office_user)
    html = client.get(reverse("staff:live", args=[CaptureSession.objects.get().pk])).content
    html = html.decode()
    assert '<figure class="chart" id="chart"' in html
    assert "<svg" in html and 'class="plan"' in html and 'class="actual"' in html
    assert "<script" not in html.split('id="chart"')[1].split("</figure>")[0]


def test_another_day_draws_no_ahead_or_behind(law_captures):
    # The day after: the header says "非采集当日，不计快慢"; the chart must not shade the
    # whole day as behind (nobody was photographed on the plan's clock).
    session = CaptureSession.objects.get()
    photographed(law_captures[0], at(13, 25))
    later = at(10, 0) + dt.timedelta(days=1)
    progress = selectors.session_progress(session, now=later)
    assert progress.ahead_minutes is None
    chart = charts.progress_chart(
        session, progress, selectors.photographed_timeline(session), now=later
    )
    assert chart.bands == []
    assert chart.judged is False
    assert chart.actual_points  # what was recorded is still drawn


def test_before_the_start_on_the_day_draws_no_ahead_or_behind(law_captures):
    session = CaptureSession.objects.get()
    progress = selectors.session_progress(session, now=at(9, 0))
    chart = charts.progress_chart(session, progress, [], now=at(9, 0))
    assert chart.bands == []
    assert chart.judged is False


def test_on_the_day_after_the_start_the_chart_judges(law_captures):
    session = CaptureSession.objects.get()
    progress = selectors.session_progress(session, now=at(13, 40))
    chart = charts.progress_chart(session, progress, [], now=at(13, 40))
    assert chart.judged is True


def test_dashboard_on_another_day_says_so_under_the_chart(client, office_user, law_captures):
    # The request's clock is today, not the session's date (2024-03-11).
    photographed(law_captures[0], at(13, 25))
    client.force_login(office_user)
    html = client.get(reverse("staff:live", args=[CaptureSession.objects.get().pk])).content
    figure = html.decode().split('id="chart"')[1].split("</figure>")[0]
    assert 'class="band' not in figure
    assert "落后" not in figure and "提前" not in figure
    assert "非采集当日，不计快慢" in figure


def test_the_dashboard_says_how_far_behind_without_a_minus_sign(
    client, office_user, law_captures, monkeypatch
):
    # "−1.3 minutes behind" said "behind" twice; the number is how far, the words which way.
    photographed(law_captures[0], at(13, 25))
    monkeypatch.setattr(timezone, "now", lambda: at(14, 30))
    client.force_login(office_user)
    url = reverse("staff:live", args=[CaptureSession.objects.get().pk])
    html = client.get(url).content.decode()
    number = html.split('<span class="n bad">')[1].split("</span>")[0]
    assert float(number) > 0
    assert "分钟（落后）" in html.split('<span class="n bad">')[1]
