"""The counsellor's unit page with the delivered photos (issue 15): a small lazy thumbnail per
student linking the photo, the photo's faults and warnings as badges, the count of
photographed students without a photo, in a number of queries that does not grow with the
roster; the link's word translated apart from the prints pick-up's "照片". And the office's
re-capture form of a unit's photo page, which refuses a student of another unit."""

import re
import secrets

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from capture_portal.exceptions import DomainError
from sessions.models import Capture, CaptureLog, CaptureSession, Photo
from sessions.photos.recapture import photo_recapture
from sessions.photos.standard import LABELS
from tests.factories import MembershipFactory, StudentFactory, UserFactory
from tests.sessions.test_photo_handover import _capture, make_photo
from units.models import TrainingUnit

pytestmark = pytest.mark.django_db
S = Capture.Status


def _logged_in(user, language=None):
    client = Client()
    client.force_login(user)
    if language:
        client.cookies["django_language"] = language
    return client


def _row(html, capture):
    row = html[html.index(f'id="c{capture.pk}"') :]
    return row[: row.index("</tr>")]


@pytest.fixture
def law(notice):
    return TrainingUnit.objects.get(name="法学院")


@pytest.fixture
def econ(notice):
    return TrainingUnit.objects.exclude(name="法学院").order_by("display_order").first()


@pytest.fixture
def law_counsellor(law):
    return MembershipFactory(user=UserFactory(username="law-counsellor"), unit=law).user


@pytest.fixture
def econ_counsellor(econ):
    return MembershipFactory(user=UserFactory(username="econ-counsellor"), unit=econ).user


@pytest.fixture
def roster(notice, law):
    """法学院: photographed with a fine photo, with a faulty one (and a warning), with
    warnings only, and without a photo (twice); one still expected, one off-site with a
    photo, and a withdrawn one photographed without a photo."""
    c = {
        "fine": _capture(notice, law),
        "faulty": _capture(notice, law),
        "warned": _capture(notice, law),
        "missing": _capture(notice, law),
        "missing2": _capture(notice, law),
        "expected": _capture(notice, law, S.EXPECTED),
        "offsite": _capture(notice, law, S.VERIFIED),
        "withdrawn": _capture(notice, law, withdrawn=True),
    }
    make_photo(c["fine"])
    make_photo(c["faulty"], faults=["wrong_mode"], warnings=["background"])
    make_photo(c["warned"], warnings=["dpi", "too_small"])
    make_photo(c["offsite"])
    return c


THUMB = re.compile(r"<img\b[^>]*>")


def test_each_photo_shows_as_a_lazy_fixed_size_thumbnail_linking_the_photo(
    roster, law, law_counsellor
):
    html = _logged_in(law_counsellor).get(reverse("unit:detail", args=[law.pk])).content.decode()
    photo = roster["fine"].photo
    row = _row(html, roster["fine"])
    [img] = THUMB.findall(row)
    assert f'src="{reverse("photo", args=[photo.token])}?size=thumb"' in img
    assert 'loading="lazy"' in img
    assert re.search(r'\bwidth="\d+"', img) and re.search(r'\bheight="\d+"', img)
    assert 'alt="' in img
    # The thumbnail is a link to the full photo.
    assert re.search(
        rf'<a [^>]*href="{re.escape(reverse("photo", args=[photo.token]))}"[^>]*>\s*<img', row
    )
    # No photo, no thumbnail.
    assert not THUMB.findall(_row(html, roster["missing"]))
    assert not THUMB.findall(_row(html, roster["expected"]))


def test_a_photos_faults_and_warnings_show_as_badges(roster, law, law_counsellor):
    html = _logged_in(law_counsellor).get(reverse("unit:detail", args=[law.pk])).content.decode()
    faulty = _row(html, roster["faulty"])
    assert f'<span class="badge bad">{LABELS["wrong_mode"]}</span>' in faulty
    assert f'<span class="badge warn">{LABELS["background"]}</span>' in faulty
    warned = _row(html, roster["warned"])
    for code in ("dpi", "too_small"):
        assert f'<span class="badge warn">{LABELS[code]}</span>' in warned
    assert "badge bad" not in warned
    fine = _row(html, roster["fine"])
    assert str(LABELS["background"]) not in fine and "badge bad" not in fine


def test_the_page_counts_the_photographed_students_without_a_photo(roster, law, law_counsellor):
    response = _logged_in(law_counsellor).get(reverse("unit:detail", args=[law.pk]))
    assert response.context["photos_missing"] == 2  # not the expected, off-site or withdrawn
    html = response.content.decode()
    item = html[html.index('id="photos-missing"') :]
    assert re.search(r'<span class="n[^"]*">2</span>', item[: item.index("</li>")])
    # And each of them says so in its row.
    for key in ("missing", "missing2"):
        assert "badge bad" in _row(html, roster[key])
    for key in ("expected", "offsite"):
        assert "badge bad" not in _row(html, roster[key])


def test_no_photo_delivered_yet_shows_no_missing_count(notice, law, law_counsellor):
    _capture(notice, law)
    html = _logged_in(law_counsellor).get(reverse("unit:detail", args=[law.pk])).content.decode()
    assert 'id="photos-missing"' not in html


def test_the_photo_link_is_not_the_prints_word_in_english(roster, law, law_counsellor):
    # "照片" alone is the prints pick-up's word ("Prints"); the digital photo's link has a
    # msgid of its own (context "digital photo").
    client = _logged_in(law_counsellor, "en")
    html = client.get(reverse("unit:detail", args=[law.pk])).content.decode()
    link = re.search(r'<a class="[^"]*photo-link[^"]*"[^>]*>(.*?)</a>', _row(html, roster["fine"]))
    assert link is not None
    assert "Prints" not in link.group(1)


def test_a_counsellor_of_another_unit_gets_404_for_the_thumbnail(
    roster, law, law_counsellor, econ_counsellor, econ
):
    html = _logged_in(law_counsellor).get(reverse("unit:detail", args=[law.pk])).content.decode()
    src = re.search(r'src="([^"]*\?size=thumb)"', _row(html, roster["fine"])).group(1)
    src = src.replace("&amp;", "&")
    assert _logged_in(law_counsellor).get(src).status_code == 200
    other = _logged_in(econ_counsellor)
    assert other.get(src).status_code == 404
    assert other.get(reverse("unit:detail", args=[law.pk])).status_code == 404
    assert Client().get(src).status_code == 404


def _students(campaign, unit, n):
    """`n` more students of `unit`, photographed; most with a photo (some faulty, some
    warned), every fourth without."""
    session = CaptureSession.objects.filter(campaign=campaign).first()
    for i in range(n):
        capture = Capture.objects.create(
            student=StudentFactory(unit=unit),
            campaign=campaign,
            session=session,
            status=S.PHOTOGRAPHED,
            shooting_no=f"{i:04d}",
        )
        if i % 4 == 0:
            continue
        Photo.objects.create(
            capture=capture,
            token=secrets.token_urlsafe(24),
            file=f"photos/{capture.pk}.jpg",
            sha256="0" * 64,
            size=30_000,
            width=480,
            height=640,
            mode="RGB",
            faults=["wrong_size"] if i % 3 == 0 else [],
            warnings=["background"] if i % 5 == 0 else [],
            source_name="x.jpg",
            received_at=timezone.now(),
        )


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


def test_the_query_count_does_not_grow_with_the_students(notice, law, law_counsellor):
    client = _logged_in(law_counsellor)
    url = reverse("unit:detail", args=[law.pk])
    _students(notice, law, 5)
    few, response = _queries(client, url)
    assert response.context["photos_missing"] == 2
    _students(notice, law, 45)
    many, response = _queries(client, url)
    assert response.context["photos_missing"] == 2 + 12
    assert response.content.decode().count("?size=thumb") == 50 - 14
    assert many == few, (few, many)


# The office's re-capture form ------------------------------------------------------------


@pytest.fixture
def makeup(notice):
    import datetime as dt

    first = CaptureSession.objects.get(campaign=notice)
    return CaptureSession.objects.create(
        campaign=notice,
        kind=CaptureSession.Kind.MAKEUP,
        date=first.date + dt.timedelta(days=10),
        start=dt.time(14, 0),
        end=dt.time(16, 0),
        place="补拍室",
    )


@pytest.fixture
def econ_faulty(notice, econ):
    capture = _capture(notice, econ)
    make_photo(capture, faults=["wrong_size"])
    return capture


def test_recapture_refuses_a_student_outside_the_given_unit(
    notice, law, econ_faulty, makeup, office
):
    before = Capture.objects.values().get(pk=econ_faulty.pk)
    with pytest.raises(DomainError) as refusal:
        photo_recapture(
            actor=office, capture_id=econ_faulty.pk, session_id=makeup.pk, unit_id=law.pk
        )
    assert refusal.value.code == "not_found"
    assert Capture.objects.values().get(pk=econ_faulty.pk) == before
    assert not CaptureLog.objects.filter(capture=econ_faulty).exists()


def test_the_recapture_form_of_a_unit_refuses_a_student_of_another_unit(
    notice, law, econ, econ_faulty, makeup, office_user
):
    client = _logged_in(office_user)
    url = reverse("staff:photos_unit", args=[law.pk])
    before = Capture.objects.values().get(pk=econ_faulty.pk)
    response = client.post(url, {"capture_id": econ_faulty.pk, "session_id": makeup.pk})
    assert response.status_code == 302 and response["Location"] == url
    assert Capture.objects.values().get(pk=econ_faulty.pk) == before
    assert not CaptureLog.objects.filter(capture=econ_faulty).exists()
    page = client.get(url).content.decode()
    assert "已安排补拍" not in page
    assert "不在本单位" in page
    # On its own unit's page the same student is sent to the make-up session.
    client.post(
        reverse("staff:photos_unit", args=[econ.pk]),
        {"capture_id": econ_faulty.pk, "session_id": makeup.pk},
    )
    econ_faulty.refresh_from_db()
    assert (econ_faulty.status, econ_faulty.session_id) == (S.EXPECTED, makeup.pk)
