"""Announcements (issue point 3): posted by the office for a campaign or one session, shown
on the home page, the student's page and pass, the stations' status and the boards, gone
after their end time or once withdrawn, and kept in the office's history."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from capture_portal.actors import Actor
from capture_portal.exceptions import DomainError
from sessions import tokens
from sessions.announcements import (
    announcement_post,
    announcement_withdraw,
    live_announcements,
)
from sessions.models import Announcement, Capture, CaptureSession, Station
from tests.conftest import device_client
from tests.factories import CampaignFactory, CaptureSessionFactory, StudentFactory
from units.models import TrainingUnit

pytestmark = pytest.mark.django_db

TEXT = "第三时段推迟 15 分钟"
TEXT_EN = "The third slot starts 15 minutes late"


@pytest.fixture
def first(notice):
    return CaptureSession.objects.get(campaign=notice)


@pytest.fixture
def second(notice):
    session = CaptureSessionFactory(
        campaign=notice, date=dt.date(2026, 12, 2), place="东区体育馆", schedule_published=True
    )
    Station.objects.create(session=session, name="东门-1", kind="photographed")
    return session


def _capture(notice, session, number, name):
    law = TrainingUnit.objects.get(name="法学院")
    student = StudentFactory(student_no=number, name=name, unit=law)
    return Capture.objects.create(student=student, campaign=notice, session=session)


@pytest.fixture
def zhang(notice, first):
    return _capture(notice, first, "202201010001", "张三")


@pytest.fixture
def li(notice, second):
    return _capture(notice, second, "202201010002", "李四")


def _token(capture):
    return tokens.pass_token(capture.student_id, capture.campaign_id)


def _station(session):
    return device_client(Station.objects.filter(session=session).first())


def _texts(json_list):
    return [a["text"] for a in json_list]


def _seen(client, notice, capture, session):
    """Where TEXT shows: {page: bool} for the four kinds of page (and the pass)."""
    token = _token(capture)
    status = _station(session).get(reverse("station:status")).json()
    board = client.get(reverse("board_session_json", args=[session.pk])).json()
    return {
        "home": TEXT in client.get(reverse("home")).content.decode(),
        "student": TEXT in client.get(reverse("student", args=[token])).content.decode(),
        "pass": TEXT in client.get(reverse("pass", args=[token])).content.decode(),
        "station": TEXT in _texts(status["announcements"]),
        "board": TEXT in _texts(board.get("announcements", [])),
    }


ALL = {"home": True, "student": True, "pass": True, "station": True, "board": True}
NONE = dict.fromkeys(ALL, False)


def test_a_campaign_announcement_shows_on_every_kind_of_page(client, office, notice, zhang, first):
    announcement_post(actor=office, campaign_id=notice.pk, text=TEXT, text_en=TEXT_EN)
    assert _seen(client, notice, zhang, first) == ALL
    status = _station(first).get(reverse("station:status")).json()
    assert status["announcements"] == [{"text": TEXT, "text_en": TEXT_EN}]


def test_an_announcement_is_gone_everywhere_after_its_end(client, office, notice, zhang, first):
    end = timezone.now() + dt.timedelta(minutes=30)
    a = announcement_post(actor=office, campaign_id=notice.pk, text=TEXT, ends_at=end)
    assert _seen(client, notice, zhang, first) == ALL
    assert live_announcements(notice.pk, now=end - dt.timedelta(seconds=1)) == [a]
    assert live_announcements(notice.pk, now=end) == []
    # Its end passes.
    Announcement.objects.filter(pk=a.pk).update(ends_at=timezone.now() - dt.timedelta(seconds=1))
    assert _seen(client, notice, zhang, first) == NONE
    assert Announcement.objects.filter(pk=a.pk).exists()  # kept


def test_a_withdrawn_announcement_is_gone_everywhere(client, office, notice, zhang, first):
    a = announcement_post(actor=office, campaign_id=notice.pk, text=TEXT)
    announcement_withdraw(actor=office, announcement_id=a.pk)
    assert _seen(client, notice, zhang, first) == NONE
    a.refresh_from_db()
    assert a.withdrawn_at is not None


def test_a_session_announcement_shows_only_for_that_session(
    client, office, notice, zhang, li, first, second
):
    announcement_post(actor=office, campaign_id=notice.pk, session_id=second.pk, text=TEXT)
    # Not the home page (campaign-wide only), nor the other session's doors and students.
    assert _seen(client, notice, zhang, first) == NONE
    assert _seen(client, notice, li, second) == {**ALL, "home": False}


def test_english_pages_show_the_english_text_when_given(client, office, notice, zhang, first):
    announcement_post(actor=office, campaign_id=notice.pk, text=TEXT, text_en=TEXT_EN)
    announcement_post(actor=office, campaign_id=notice.pk, text="仅中文公告")
    client.cookies["django_language"] = "en"
    for url in (reverse("home"), reverse("student", args=[_token(zhang)])):
        html = client.get(url).content.decode()
        assert TEXT_EN in html and TEXT not in html, url
        assert "仅中文公告" in html, url  # no English text: the Chinese one
    client.cookies.pop("django_language")
    html = client.get(reverse("home")).content.decode()
    assert TEXT in html and TEXT_EN not in html


def test_the_board_and_station_pages_have_their_banner(client, notice, first):
    assert (
        'id="announcements"'
        in client.get(reverse("board_session", args=[first.pk])).content.decode()
    )
    assert 'id="announcements"' in client.get(reverse("station:app")).content.decode()


# --- the services -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "text_en", "ends_in", "code"),
    [
        ("", "", None, "invalid"),
        ("   ", "", None, "invalid"),
        ("长" * 301, "", None, "invalid"),
        ("第一行\n第二行", "", None, "invalid"),
        ("推迟\u0007", "", None, "invalid"),
        (TEXT, "x" * 301, None, "invalid"),
        (TEXT, "", -60, "invalid_end"),
        (TEXT, "", 0, "invalid_end"),
    ],
)
def test_post_refuses_bad_input_and_changes_nothing(office, notice, text, text_en, ends_in, code):
    ends_at = None if ends_in is None else timezone.now() + dt.timedelta(seconds=ends_in)
    with pytest.raises(DomainError) as err:
        announcement_post(
            actor=office, campaign_id=notice.pk, text=text, text_en=text_en, ends_at=ends_at
        )
    assert err.value.code == code
    assert not Announcement.objects.exists()


def test_post_accepts_300_characters(office, notice):
    a = announcement_post(actor=office, campaign_id=notice.pk, text="长" * 300)
    assert len(a.text) == 300 and a.created_by == office.user and a.session is None


def test_only_the_office_posts_and_withdraws(office, notice, counsellor_user):
    counsellor = Actor.of(counsellor_user)
    with pytest.raises(DomainError) as err:
        announcement_post(actor=counsellor, campaign_id=notice.pk, text=TEXT)
    assert err.value.code == "forbidden"
    assert not Announcement.objects.exists()
    a = announcement_post(actor=office, campaign_id=notice.pk, text=TEXT)
    with pytest.raises(DomainError) as err:
        announcement_withdraw(actor=counsellor, announcement_id=a.pk)
    assert err.value.code == "forbidden"
    a.refresh_from_db()
    assert a.withdrawn_at is None


def test_a_double_submission_posts_once_and_a_second_withdraw_is_refused(office, notice):
    a = announcement_post(actor=office, campaign_id=notice.pk, text=TEXT)
    assert announcement_post(actor=office, campaign_id=notice.pk, text=TEXT) == a
    assert Announcement.objects.count() == 1
    announcement_withdraw(actor=office, announcement_id=a.pk)
    with pytest.raises(DomainError) as err:
        announcement_withdraw(actor=office, announcement_id=a.pk)
    assert err.value.code == "already_withdrawn"
    # Withdrawn, the same text may be posted again: a new row, the old one kept.
    b = announcement_post(actor=office, campaign_id=notice.pk, text=TEXT)
    assert b != a and Announcement.objects.count() == 2


def test_a_session_of_another_campaign_or_a_closed_campaign_is_refused(office, notice):
    other = CaptureSessionFactory(campaign=CampaignFactory())
    with pytest.raises(DomainError) as err:
        announcement_post(actor=office, campaign_id=notice.pk, session_id=other.pk, text=TEXT)
    assert err.value.code == "not_found"
    with pytest.raises(DomainError) as err:
        announcement_withdraw(actor=office, announcement_id=987654)
    assert err.value.code == "not_found"
    notice.status = "closed"
    notice.save(update_fields=["status"])
    with pytest.raises(DomainError) as err:
        announcement_post(actor=office, campaign_id=notice.pk, text=TEXT)
    assert err.value.code == "campaign_closed"
    assert not Announcement.objects.exists()


def test_live_announcements_is_one_query(office, notice, first, second):
    for i in range(5):
        announcement_post(actor=office, campaign_id=notice.pk, text=f"{TEXT} {i}")
        announcement_post(actor=office, campaign_id=notice.pk, session_id=second.pk, text=f"S{i}")
    with CaptureQueriesContext(connection) as queries:
        live = live_announcements(notice.pk, second.pk)
        [(a.text, a.text_en) for a in live]
    assert len(queries) == 1 and len(live) == 10
    assert len(live_announcements(notice.pk, first.pk)) == 5
    assert len(live_announcements(notice.pk)) == 5


def test_a_future_start_is_not_shown_yet(office, notice):
    a = announcement_post(actor=office, campaign_id=notice.pk, text=TEXT)
    assert live_announcements(notice.pk, now=a.starts_at - dt.timedelta(seconds=1)) == []


# --- the office page -------------------------------------------------------------------------


def test_the_office_posts_and_withdraws_from_the_page_and_history_is_kept(
    client, office_user, notice, second
):
    client.force_login(office_user)
    url = reverse("staff:announcements")
    assert client.get(url).status_code == 200
    end = (timezone.localtime() + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        url, {"post": "1", "session": "", "text": TEXT, "text_en": TEXT_EN, "ends_at": end}
    )
    assert response.status_code == 302 and response["Location"] == url
    a = Announcement.objects.get()
    assert (a.text, a.text_en, a.session_id, a.created_by) == (TEXT, TEXT_EN, None, office_user)
    assert a.ends_at is not None
    response = client.post(url, {"post": "1", "session": str(second.pk), "text": "东区改到二楼"})
    assert response.status_code == 302
    assert Announcement.objects.get(text="东区改到二楼").session == second

    response = client.post(url, {"withdraw": str(a.pk)})
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.withdrawn_at is not None
    html = client.get(url).content.decode()
    assert TEXT in html and "东区改到二楼" in html  # history: the withdrawn one too
    assert "已撤下" in html
    # A second withdraw says so, and changes nothing.
    client.post(url, {"withdraw": str(a.pk)})
    assert Announcement.objects.filter(withdrawn_at__isnull=False).count() == 1


def test_the_page_shows_a_refusal_beside_the_field(client, office_user, notice):
    client.force_login(office_user)
    url = reverse("staff:announcements")
    past = (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"post": "1", "text": TEXT, "ends_at": past})
    assert response.status_code == 400
    assert "结束时间必须晚于现在" in response.content.decode()
    response = client.post(url, {"post": "1", "text": ""})
    assert response.status_code == 400
    assert not Announcement.objects.exists()


def test_counsellors_get_403_on_the_office_page(client, counsellor_user, notice):
    client.force_login(counsellor_user)
    url = reverse("staff:announcements")
    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "1", "text": TEXT}).status_code == 403
    assert not Announcement.objects.exists()


def test_the_staff_index_links_the_page(client, office_user, notice):
    client.force_login(office_user)
    html = client.get(reverse("staff:index")).content.decode()
    assert reverse("staff:announcements") in html


def test_a_board_before_its_schedule_is_out_still_shows_the_announcement(client, notice, office):
    from sessions.announcements import announcement_post
    from sessions.models import CaptureSession

    session = CaptureSession.objects.get()
    CaptureSession.objects.filter(pk=session.pk).update(schedule_published=False)
    announcement_post(actor=office, campaign_id=notice.pk, text="明天见")
    data = client.get(reverse("board_session_json", args=[session.pk])).json()
    assert data["units"] == [] and [a["text"] for a in data["announcements"]] == ["明天见"]
